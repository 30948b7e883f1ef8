"""Decode an OTLP/JSON document into protobuf messages, quickly and as leniently as proto3 JSON allows.

protobuf's `json_format.ParseDict` is generic and slow (~3.5k spans/s on a Workers-shaped request
of 1,000 spans, and it runs on the receiver's event loop). OTLP uses a small part of proto3 JSON:
no maps, no well-known types, no `Any`. So one table per message type, built once from its
descriptor, drives a direct walk of the decoded JSON.

What is accepted (the proto3 JSON mapping plus OTLP's hex ids):
- field names in lowerCamelCase or as in the .proto; unknown fields ignored; `null` = default;
- 64-bit integers as numbers or strings (also `"1e3"`, and integral floats such as `1.5e18`);
- doubles as numbers or strings, with "NaN", "Infinity", "-Infinity";
- enums as numbers or names; an unknown name is ignored (as an unknown field);
- bytes as base64, standard or URL-safe, padded or not; trace/span ids as hex (either case).
Anything else is an InvalidRequest naming the JSON path and the problem.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from .otlp_requests import InvalidRequest

_ID_FIELDS = frozenset({"trace_id", "span_id", "parent_span_id"})
_INTEGER_TYPES = frozenset({
    FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_SFIXED32, FieldDescriptor.TYPE_SFIXED64, FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SINT64,
})
_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

# Field kinds in the per-message tables.
_MESSAGE, _INT, _DOUBLE, _BOOL, _STRING, _BYTES, _ID, _ENUM = range(8)


@dataclass(frozen=True)
class _Field:
    attr: str  # the Python attribute (the .proto name)
    kind: int
    repeated: bool
    message: Descriptor | None = None
    enum: EnumDescriptor | None = None


class _Problem(Exception):
    """A value that doesn't fit its field; the JSON path is collected on the way out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []


def _kind(field: FieldDescriptor) -> int:
    t = field.type
    if t == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.GetOptions().map_entry:
            raise NotImplementedError(f"{field.full_name}: map fields are not used by OTLP")
        return _MESSAGE
    if t in _INTEGER_TYPES:
        return _INT
    if t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return _DOUBLE
    if t == FieldDescriptor.TYPE_BOOL:
        return _BOOL
    if t == FieldDescriptor.TYPE_STRING:
        return _STRING
    if t == FieldDescriptor.TYPE_BYTES:
        return _ID if field.name in _ID_FIELDS else _BYTES
    if t == FieldDescriptor.TYPE_ENUM:
        return _ENUM
    raise NotImplementedError(f"{field.full_name}: field type {t} is not used by OTLP")


@lru_cache(maxsize=None)
def _table(descriptor: Descriptor) -> dict[str, _Field]:
    """JSON key (both spellings) → how to set that field."""
    table: dict[str, _Field] = {}
    for f in descriptor.fields:
        kind = _kind(f)
        entry = _Field(f.name, kind, f.is_repeated, f.message_type if kind == _MESSAGE else None,
                       f.enum_type if kind == _ENUM else None)
        table[f.name] = entry
        table[f.json_name] = entry
    return table


def _integer(value: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is str:
        try:
            return int(value)
        except ValueError:
            try:
                number = float(value)  # proto3 JSON allows exponent notation
            except ValueError:
                number = math.nan
            if number.is_integer():
                return int(number)
    raise _Problem(f"expected an integer (number or string), got {value!r}")


def _double(value: Any) -> float:
    if type(value) is float or type(value) is int:
        return value
    if type(value) is str:
        special = _SPECIAL_DOUBLES.get(value)
        if special is not None:
            return special
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
    raise _Problem(f'expected a number, "NaN", "Infinity" or "-Infinity", got {value!r}')


def _bytes(value: Any) -> bytes:
    if type(value) is str:
        text = value.replace("-", "+").replace("_", "/")  # URL-safe base64 is allowed too
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except binascii.Error:
            pass
    raise _Problem(f"expected base64 bytes, got {value!r}")


def _hex_id(value: Any) -> bytes:
    if type(value) is str:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    raise _Problem(f"ids are hex strings in OTLP/JSON, got {value!r}")


def _scalar(field: _Field, value: Any) -> Any:
    """The Python value to store for one JSON scalar; None to leave the field unset."""
    kind = field.kind
    if kind == _STRING:
        if type(value) is str:
            return value
        raise _Problem(f"expected a string, got {value!r}")
    if kind == _INT:
        return _integer(value)
    if kind == _DOUBLE:
        return _double(value)
    if kind == _BOOL:
        if type(value) is bool:
            return value
        raise _Problem(f"expected true or false, got {value!r}")
    if kind == _ID:
        return _hex_id(value)
    if kind == _BYTES:
        return _bytes(value)
    assert field.enum is not None
    if type(value) is int:
        return value
    if type(value) is str:
        named = field.enum.values_by_name.get(value)
        return None if named is None else named.number  # an unknown name is ignored, as an unknown field
    raise _Problem(f"expected an enum name or number, got {value!r}")


def fill(message: Message, doc: Any) -> None:
    """Set the fields of `message` from the decoded JSON object `doc` (raises _Problem)."""
    if type(doc) is not dict:
        raise _Problem(f"expected a JSON object for {message.DESCRIPTOR.name}, got {type(doc).__name__}")
    table = _table(message.DESCRIPTOR)
    for key, value in doc.items():
        field = table.get(key)
        if field is None or value is None:
            continue
        try:
            if field.repeated:
                if type(value) is not list:
                    raise _Problem(f"expected a JSON array, got {type(value).__name__}")
                container = getattr(message, field.attr)
                if field.kind == _MESSAGE:
                    for i, item in enumerate(value):
                        try:
                            fill(container.add(), item)
                        except _Problem as exc:
                            exc.path.append(f"[{i}]")
                            raise
                else:
                    container.extend(v for v in (_scalar(field, item) for item in value) if v is not None)
            elif field.kind == _MESSAGE:
                sub = getattr(message, field.attr)
                if not value:
                    sub.SetInParent()  # present even when empty (e.g. an empty arrayValue)
                fill(sub, value)
            else:
                scalar = _scalar(field, value)
                if scalar is not None:
                    setattr(message, field.attr, scalar)
        except _Problem as exc:
            exc.path.append(f".{key}")
            raise
        except (ValueError, TypeError) as exc:  # e.g. an integer out of the field's range
            problem = _Problem(f"{value!r} does not fit: {exc}")
            problem.path.append(f".{key}")
            raise problem from None


def decode(message: Message, doc: Any) -> None:
    """Fill `message` from decoded OTLP/JSON; InvalidRequest naming the JSON path of a bad value."""
    try:
        fill(message, doc)
    except _Problem as exc:
        path = "$" + "".join(reversed(exc.path))
        raise InvalidRequest(f"not a valid OTLP/JSON {message.DESCRIPTOR.name}: {path}: {exc.message}") from None
