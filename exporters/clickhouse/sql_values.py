"""SQL expressions that turn decoded OTLP values (landing-table tuples) into `events` columns.

These are the building blocks of the OTLP → unified row mapping: `otlp_views.py` assembles the
value renderers into the materialized views; the map and JSON builders serve the frozen views of
schema migration 1 (`otlp_views_v1.py`). Everything here renders SQL text, nothing touches data in Python.

Value rendering rules (documented in the README, read back by `value_codec.decode_value`):

* top level (an attribute value, a log body): string as is; int and double via `toString`;
  bool as `true`/`false`; bytes as base64; array and kvlist as JSON; unset as ''.
  The type goes to the matching `*_types` map whenever it is not `string`.
* inside JSON: string → JSON string, int → JSON integer, double → JSON number that always has a
  `.` or exponent (NaN/Infinity as JSON strings), bool → true/false, bytes → {"bytesValue": b64},
  unset → null, array → JSON array, kvlist → JSON object; below the decoded depth an array or
  kvlist is {"arrayValueProtobuf"|"kvlistValueProtobuf": base64 of its protobuf}.
"""

from __future__ import annotations

from .landing_schema import ATTRIBUTE_VALUE_DEPTH, BODY_VALUE_DEPTH


def hex_id(expr: str) -> str:
    """Lowercase hex of an id held as raw bytes ('' stays '')."""
    return f"lower(hex({expr}))"


def nanos(expr: str) -> str:
    """DateTime64(9) from a fixed64 count of Unix nanoseconds."""
    return f"fromUnixTimestamp64Nano(toInt64({expr}))"


def _json_double(expr: str) -> str:
    s = f"toString({expr})"
    return (
        f"multiIf(isNaN({expr}), '\"NaN\"', isInfinite({expr}), if({expr} > 0, '\"Infinity\"', '\"-Infinity\"'), "
        f"match({s}, '[.e]'), {s}, concat({s}, '.0'))"
    )


def _json_any(v: str, level: int, depth: int) -> str:
    """JSON text of an AnyValue tuple at nesting `level` (1 = first level inside an array/kvlist)."""
    return (
        f"multiIf({v}.value = 'string_value', toJSONString({v}.string_value), "
        f"{v}.value = 'int_value', toString({v}.int_value), "
        f"{v}.value = 'bool_value', if({v}.bool_value, 'true', 'false'), "
        f"{v}.value = 'double_value', {_json_double(f'{v}.double_value')}, "
        f"{v}.value = 'bytes_value', concat('{{\"bytesValue\":\"', base64Encode({v}.bytes_value), '\"}}'), "
        f"{v}.value IN ('array_value', 'kvlist_value'), {_json_container(v, level + 1, depth)}, 'null')"
    )


def _json_container(v: str, level: int, depth: int) -> str:
    """JSON of an array or kvlist AnyValue whose elements are AnyValue tuples of nesting `level`.

    Arrays and kvlists share one recursion (a kvlist is an array of values with key prefixes), so
    the generated SQL grows linearly with the depth instead of doubling per level: its size
    is what ClickHouse pays to analyse the view on every insert.
    """
    is_array = f"{v}.value = 'array_value'"
    if level > depth:
        return (
            f"concat('{{\"', if({is_array}, 'arrayValueProtobuf', 'kvlistValueProtobuf'), '\":\"', "
            f"base64Encode(if({is_array}, {v}.array_value, {v}.kvlist_value)), '\"}}')"
        )
    x, k = f"x{level}", f"k{level}"
    prefixes = (
        f"if({is_array}, arrayMap({x} -> '', {v}.array_value.values), "
        f"arrayMap({x} -> concat(toJSONString({x}.key), ':'), {v}.kvlist_value.values))"
    )
    items = f"if({is_array}, {v}.array_value.values, {v}.kvlist_value.values.value)"
    body = f"arrayStringConcat(arrayMap(({k}, {x}) -> concat({k}, {_json_any(x, level, depth)}), {prefixes}, {items}), ',')"
    return f"concat(if({is_array}, '[', '{{'), {body}, if({is_array}, ']', '}}'))"


def any_value_text(v: str, depth: int = ATTRIBUTE_VALUE_DEPTH) -> str:
    """Top-level text of an AnyValue tuple decoded `depth` levels deep (attribute value or log body)."""
    return (
        f"multiIf({v}.value = 'string_value', {v}.string_value, "
        f"{v}.value = 'int_value', toString({v}.int_value), "
        f"{v}.value = 'bool_value', if({v}.bool_value, 'true', 'false'), "
        f"{v}.value = 'double_value', toString({v}.double_value), "
        f"{v}.value = 'bytes_value', base64Encode({v}.bytes_value), "
        f"{v}.value IN ('array_value', 'kvlist_value'), {_json_container(v, 1, depth)}, '')"
    )


def any_value_type(v: str) -> str:
    """Short type name of an AnyValue tuple: string, int, double, bool, bytes, array, kvlist or empty."""
    return f"if({v}.value = 'none', 'empty', replaceOne(toString({v}.value), '_value', ''))"


def body_text(v: str) -> str:
    """Text of a log body (decoded deeper than attribute values)."""
    return any_value_text(v, BODY_VALUE_DEPTH)


def attributes_map(kvs: str) -> str:
    """Map(key → text) of an Array(KeyValue) tuple column."""
    return f"CAST(mapFromArrays({kvs}.key, arrayMap(kv -> {any_value_text('kv.value')}, {kvs})), 'Map(LowCardinality(String), String)')"


def attribute_types_map(kvs: str) -> str:
    """Map(key → type) holding only the keys whose value is not a string."""
    return (
        f"CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', {kvs}).key, "
        f"arrayMap(kv -> {any_value_type('kv.value')}, arrayFilter(kv -> kv.value.value != 'string_value', {kvs}))), "
        f"'Map(LowCardinality(String), LowCardinality(String))')"
    )


def first_of(map_expr: str, *keys: str) -> str:
    """The value of the first of `keys` present in `map_expr` ('' when none is)."""
    expr = "''"
    for key in reversed(keys):
        expr = f"if(mapContains({map_expr}, '{key}'), {map_expr}['{key}'], {expr})"
    return expr


def json_object(*members: tuple[str, str, str]) -> str:
    """A JSON object built from (key, json_value_expr, include_condition) triples; '' when empty.

    Members whose condition is false are left out, so `data` holds only what was really sent.
    """
    parts = ", ".join(f"if({cond}, concat('\"{key}\":', {value}), '')" for key, value, cond in members)
    body = f"arrayStringConcat(arrayFilter(p -> p != '', [{parts}]), ',')"
    return f"if(empty({body}), '', concat('{{', {body}, '}}'))"
