"""Recovering typed OTLP values from `events` columns.

The mapping views store an attribute value as text plus, for every non-string value, its type in
the matching `*_types` map (see `sql_values.py` for the rendering rules). This module is the
inverse, so that "an int 0 is not the string '' and not missing" is checkable and usable: give it
the text and the type and it returns the OTLP `AnyValue`.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValueList

_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class ValueDecodeError(ValueError):
    """Text and type do not form a value the mapping could have written."""


def decode_value(text: str, value_type: str = "string") -> AnyValue:
    """AnyValue from a stored attribute text and its type ('string' when absent from *_types)."""
    v = AnyValue()
    if value_type == "string":
        v.string_value = text
    elif value_type == "int":
        v.int_value = int(text)
    elif value_type == "double":
        v.double_value = float(text)
    elif value_type == "bool":
        if text not in ("true", "false"):
            raise ValueDecodeError(f"bool attribute stored as {text!r}")
        v.bool_value = text == "true"
    elif value_type == "bytes":
        v.bytes_value = base64.b64decode(text)
    elif value_type in ("array", "kvlist"):
        v.CopyFrom(_from_json(json.loads(text)))
    elif value_type == "empty":
        pass
    else:
        raise ValueDecodeError(f"unknown attribute type {value_type!r}")
    return v


def _from_json(obj: Any) -> AnyValue:
    v = AnyValue()
    if obj is None:
        return v
    if isinstance(obj, bool):
        v.bool_value = obj
    elif isinstance(obj, int):
        v.int_value = obj
    elif isinstance(obj, float):
        v.double_value = obj
    elif isinstance(obj, str):
        if obj in _SPECIAL_FLOATS:
            v.double_value = _SPECIAL_FLOATS[obj]
        else:
            v.string_value = obj
    elif isinstance(obj, list):
        v.array_value.CopyFrom(ArrayValue(values=[_from_json(x) for x in obj]))
    elif isinstance(obj, dict):
        if set(obj) == {"bytesValue"}:
            v.bytes_value = base64.b64decode(obj["bytesValue"])
        elif set(obj) == {"arrayValueProtobuf"}:
            v.array_value.ParseFromString(base64.b64decode(obj["arrayValueProtobuf"]))
        elif set(obj) == {"kvlistValueProtobuf"}:
            v.kvlist_value.ParseFromString(base64.b64decode(obj["kvlistValueProtobuf"]))
        else:
            kvl = KeyValueList()
            for key, item in obj.items():
                kv = kvl.values.add()
                kv.key = key
                kv.value.CopyFrom(_from_json(item))
            v.kvlist_value.CopyFrom(kvl)
    else:
        raise ValueDecodeError(f"unexpected JSON value {obj!r}")
    return v


def decode_attributes(values: dict[str, str], types: dict[str, str]) -> dict[str, AnyValue]:
    """All attributes of a row (e.g. `attributes` and `attribute_types`) as AnyValues."""
    return {k: decode_value(text, types.get(k, "string")) for k, text in values.items()}
