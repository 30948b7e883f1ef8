"""JavaScript values (as a tail worker's JSON carries them) rendered the way the `events` table keeps them.

Workers only have one number type, and the gRPC transport carries numbers as doubles, so a
whole number must look the same whichever way it came: `normalize` turns integral floats into
ints before anything is rendered or hashed. Attribute values follow the same rules as the OTLP
mapping (`exporters/clickhouse/sql_values.py`): strings as is, other types as text with their
type in the parallel `*_types` map, arrays and objects as JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

# Largest integer a JavaScript number holds exactly; bigger whole floats stay floats.
_MAX_SAFE_INT = 2**53 - 1


def normalize(value: Any) -> Any:
    """A copy of a JSON value with whole-number floats as ints (recursively)."""
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) <= _MAX_SAFE_INT:
            return int(value)
        return value
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """Compact JSON as JavaScript's JSON.stringify writes it (non-ASCII kept, NaN as null)."""
    return json.dumps(_finite(value), separators=(",", ":"), ensure_ascii=False)


def _finite(value: Any) -> Any:
    # JSON.stringify writes NaN and ±Infinity as null; json.dumps would write invalid JSON.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def value_type(value: Any) -> str:
    """Type name of a value for the `*_types` maps: string, bool, int, double, array, kvlist, empty."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "kvlist"
    return "string"


def value_text(value: Any) -> str:
    """Text of a value in an attribute map or a log body."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    return to_json(value)


def number_text(value: int | float) -> str:
    """A number as JavaScript prints it (`42`, `1.5`, `NaN`, `Infinity`)."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


class Attributes:
    """Builds an `attributes` map and its parallel `attribute_types` map."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.types: dict[str, str] = {}

    def put(self, key: str, value: Any) -> None:
        """Set `key`; a non-string value keeps its type in `types`."""
        self.values[key] = value_text(value)
        kind = value_type(value)
        if kind == "string":
            self.types.pop(key, None)
        else:
            self.types[key] = kind

    def put_all(self, prefix: str, mapping: dict[str, Any]) -> None:
        """Set every key of `mapping` under `prefix` (e.g. `cloudflare.cf.`)."""
        for key, value in mapping.items():
            self.put(f"{prefix}{key}", value)
