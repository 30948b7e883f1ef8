"""Checks that a decoded TraceItem has the field types the mapping relies on.

The shape is the `TraceItem` of `@cloudflare/workers-types`. Fields may be absent or null where
the runtime leaves them out; a field that is present with the wrong type makes the item
unmappable, and the error names the field (`logs[2].timestamp: expected a number, got string`).
Unknown fields are fine: the mapping keeps them as sent.
"""

from __future__ import annotations

import math
from typing import Any, Callable


class InvalidTraceItem(ValueError):
    """A TraceItem that can't be mapped; `path` names the offending field."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    # JSON has no NaN or infinity; a float overflow (1e400) or a protobuf NaN must not reach a row.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


Check = Callable[[Any], bool]
_STRING: tuple[Check, str] = (lambda v: isinstance(v, str), "a string")
_NUMBER: tuple[Check, str] = (_is_number, "a finite number")
_BOOL: tuple[Check, str] = (lambda v: isinstance(v, bool), "true or false")
_OBJECT: tuple[Check, str] = (lambda v: isinstance(v, dict), "an object")
_ARRAY: tuple[Check, str] = (lambda v: isinstance(v, list), "an array")


def _field(obj: dict[str, Any], key: str, path: str, check: tuple[Check, str], required: bool = False) -> Any:
    """The value of `key` if it is absent/null (unless required) or passes `check`; raises otherwise."""
    value = obj.get(key)
    where = f"{path}.{key}" if path else key
    if value is None:
        if required:
            raise InvalidTraceItem(where, f"required, expected {check[1]}")
        return None
    if not check[0](value):
        raise InvalidTraceItem(where, f"expected {check[1]}, got {_type_name(value)}")
    return value


def _objects(obj: dict[str, Any], key: str, path: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, element) of an optional array of objects."""
    items = _field(obj, key, path, _ARRAY) or []
    out = []
    base = f"{path}.{key}" if path else key
    for i, element in enumerate(items):
        if not isinstance(element, dict):
            raise InvalidTraceItem(f"{base}[{i}]", f"expected an object, got {_type_name(element)}")
        out.append((f"{base}[{i}]", element))
    return out


def validate_trace_item(item: Any) -> dict[str, Any]:
    """Return `item` if it is a mappable TraceItem; raise InvalidTraceItem naming the bad field."""
    if not isinstance(item, dict):
        raise InvalidTraceItem("", f"a TraceItem must be an object, got {_type_name(item)}")
    _field(item, "outcome", "", _STRING, required=True)
    for key in ("scriptName", "entrypoint", "dispatchNamespace", "durableObjectId", "executionModel"):
        _field(item, key, "", _STRING)
    for key in ("cpuTime", "wallTime", "eventTimestamp"):
        _field(item, key, "", _NUMBER)
    _field(item, "truncated", "", _BOOL)
    _field(item, "tailAttributes", "", _OBJECT)
    tags = _field(item, "scriptTags", "", _ARRAY) or []
    for i, tag in enumerate(tags):
        if not isinstance(tag, str):
            raise InvalidTraceItem(f"scriptTags[{i}]", f"expected a string, got {_type_name(tag)}")
    version = _field(item, "scriptVersion", "", _OBJECT)
    if version:
        for key in ("id", "tag", "message"):
            _field(version, key, "scriptVersion", _STRING)
    event = _field(item, "event", "", _OBJECT)
    if event:
        _validate_event(event)
    for path, log in _objects(item, "logs", ""):
        _field(log, "level", path, _STRING)
        _field(log, "timestamp", path, _NUMBER)
        infos = _field(log, "errorInfo", path, _ARRAY) or []
        for i, info in enumerate(infos):
            if info is not None and not isinstance(info, dict):
                raise InvalidTraceItem(f"{path}.errorInfo[{i}]", f"expected an object or null, got {_type_name(info)}")
    for path, exc in _objects(item, "exceptions", ""):
        _field(exc, "name", path, _STRING)
        _field(exc, "message", path, _STRING)
        _field(exc, "stack", path, _STRING)
        _field(exc, "timestamp", path, _NUMBER)
    for path, dce in _objects(item, "diagnosticsChannelEvents", ""):
        _field(dce, "channel", path, _STRING, required=True)
        _field(dce, "timestamp", path, _NUMBER)
    return item


def _validate_event(event: dict[str, Any]) -> None:
    request = _field(event, "request", "event", _OBJECT)
    if request is not None:
        _field(request, "url", "event.request", _STRING, required=True)
        _field(request, "method", "event.request", _STRING)
        _field(request, "cf", "event.request", _OBJECT)
        headers = _field(request, "headers", "event.request", _OBJECT) or {}
        for name, value in headers.items():
            if not isinstance(value, str):
                raise InvalidTraceItem(f"event.request.headers.{name}", f"expected a string, got {_type_name(value)}")
    response = _field(event, "response", "event", _OBJECT)
    if response is not None:
        _field(response, "status", "event.response", _NUMBER)
    for key in ("cron", "queue", "rpcMethod", "mailFrom", "rcptTo"):
        _field(event, key, "event", _STRING)
    for key in ("batchSize", "rawSize"):
        _field(event, key, "event", _NUMBER)
    _objects(event, "consumedEvents", "event")
