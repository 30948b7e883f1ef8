"""The protobuf schema ClickHouse reads OTLP requests with, and the matching landing-table columns.

Both the `.proto` text (passed to ClickHouse with ``format_schema_source='string'``) and the
ClickHouse column types of the landing tables are generated from one description below, so the
two cannot drift apart.

Two deliberate differences from the upstream OTLP protos:

* ClickHouse refuses recursive message types, so ``AnyValue`` is unrolled to a fixed depth
  (``ATTRIBUTE_VALUE_DEPTH`` for attributes, ``BODY_VALUE_DEPTH`` for log bodies); below that an
  array or kvlist arrives as its raw protobuf bytes.
* Every ``oneof`` (including proto3 ``optional``, a synthetic oneof) gets an ``Enum8`` presence
  column named after the oneof (``input_format_protobuf_oneof_presence=1``), so that an int 0,
  an empty string, ``false`` and an unset value stay distinguishable.

Enums are declared as ``int32``: same wire format, and the SQL mapping names them. Oneof names
are not on the wire, so a oneof whose name would clash with a nested field name (``value``)
is renamed here (``number_value``, ``exemplar_value``), and proto3 ``optional`` fields get a
oneof without a leading underscore (``sumcase``, not ``_sum``): ClickHouse reads ``_sum`` as a
nested path with an empty first component and refuses the schema.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .ddl import quote

# How many levels of nested AnyValue (array in array, kvlist in kvlist) ClickHouse decodes.
# Every level makes the landing types larger, and ClickHouse pays for the size of those types
# when it analyses the mapping view on every insert (measured: ~20 ms per level per attribute
# map). Attribute values are almost always scalars or flat arrays, so they get one level; a log
# body is often a structured object, so it gets three.
ATTRIBUTE_VALUE_DEPTH = 1
BODY_VALUE_DEPTH = 3


@dataclass(frozen=True)
class Field:
    """One protobuf field and the ClickHouse type its column gets."""

    name: str
    number: int
    proto_type: str  # scalar proto type or a message name
    repeated: bool = False
    oneof: str | None = None


@dataclass(frozen=True)
class Message:
    name: str
    fields: tuple[Field, ...]
    # oneof name -> member field names, in declaration order (for the presence Enum8)
    oneofs: dict[str, tuple[str, ...]] = field(default_factory=dict)


_SCALAR_CH: dict[str, str] = {
    "string": "String",
    "bytes": "String",
    "bool": "Bool",
    "int32": "Int32",
    "sint32": "Int32",
    "uint32": "UInt32",
    "fixed32": "UInt32",
    "int64": "Int64",
    "sfixed64": "Int64",
    "uint64": "UInt64",
    "fixed64": "UInt64",
    "double": "Float64",
}


def _f(name: str, number: int, proto_type: str, repeated: bool = False, oneof: str | None = None) -> Field:
    return Field(name, number, proto_type, repeated, oneof)


def _msg(name: str, *fields: Field) -> Message:
    oneofs: dict[str, list[str]] = {}
    for f in fields:
        if f.oneof:
            oneofs.setdefault(f.oneof, []).append(f.name)
    return Message(name, tuple(fields), {k: tuple(v) for k, v in oneofs.items()})


def _any_value_messages(prefix: str, depth: int) -> list[Message]:
    """AnyValue unrolled `depth` levels deep: {prefix}Value0 -> {prefix}Value1 -> …; the deepest
    level keeps an array or kvlist as its protobuf bytes."""
    msgs: list[Message] = []
    for level in range(depth, -1, -1):
        if level == depth:
            array_t, kvlist_t = "bytes", "bytes"
        else:
            nxt = f"{prefix}{level + 1}"
            array_t, kvlist_t = f"{nxt}Array", f"{nxt}KvList"
            msgs.append(_msg(f"{nxt}Array", _f("values", 1, nxt, repeated=True)))
            msgs.append(_msg(f"{nxt}Kv", _f("key", 1, "string"), _f("value", 2, nxt)))
            msgs.append(_msg(f"{nxt}KvList", _f("values", 1, f"{nxt}Kv", repeated=True)))
        msgs.append(
            _msg(
                f"{prefix}{level}",
                _f("string_value", 1, "string", oneof="value"),
                _f("bool_value", 2, "bool", oneof="value"),
                _f("int_value", 3, "int64", oneof="value"),
                _f("double_value", 4, "double", oneof="value"),
                _f("array_value", 5, array_t, oneof="value"),
                _f("kvlist_value", 6, kvlist_t, oneof="value"),
                _f("bytes_value", 7, "bytes", oneof="value"),
            )
        )
    return msgs


def _otlp_messages() -> list[Message]:
    kv = "KeyValue"
    msgs = _any_value_messages("AttrValue", ATTRIBUTE_VALUE_DEPTH) + _any_value_messages("BodyValue", BODY_VALUE_DEPTH)
    msgs += [
        _msg("KeyValue", _f("key", 1, "string"), _f("value", 2, "AttrValue0")),
        _msg("EntityRef", _f("schema_url", 1, "string"), _f("type", 2, "string"),
             _f("id_keys", 3, "string", repeated=True), _f("description_keys", 4, "string", repeated=True)),
        _msg("Resource", _f("attributes", 1, kv, repeated=True), _f("dropped_attributes_count", 2, "uint32"),
             _f("entity_refs", 3, "EntityRef", repeated=True)),
        _msg("InstrumentationScope", _f("name", 1, "string"), _f("version", 2, "string"),
             _f("attributes", 3, kv, repeated=True), _f("dropped_attributes_count", 4, "uint32")),
        # traces
        _msg("SpanEvent", _f("time_unix_nano", 1, "fixed64"), _f("name", 2, "string"),
             _f("attributes", 3, kv, repeated=True), _f("dropped_attributes_count", 4, "uint32")),
        _msg("SpanLink", _f("trace_id", 1, "bytes"), _f("span_id", 2, "bytes"), _f("trace_state", 3, "string"),
             _f("attributes", 4, kv, repeated=True), _f("dropped_attributes_count", 5, "uint32"),
             _f("flags", 6, "fixed32")),
        _msg("Status", _f("message", 2, "string"), _f("code", 3, "int32")),
        _msg("Span", _f("trace_id", 1, "bytes"), _f("span_id", 2, "bytes"), _f("trace_state", 3, "string"),
             _f("parent_span_id", 4, "bytes"), _f("flags", 16, "fixed32"), _f("name", 5, "string"),
             _f("kind", 6, "int32"), _f("start_time_unix_nano", 7, "fixed64"),
             _f("end_time_unix_nano", 8, "fixed64"), _f("attributes", 9, kv, repeated=True),
             _f("dropped_attributes_count", 10, "uint32"), _f("events", 11, "SpanEvent", repeated=True),
             _f("dropped_events_count", 12, "uint32"), _f("links", 13, "SpanLink", repeated=True),
             _f("dropped_links_count", 14, "uint32"), _f("status", 15, "Status")),
        _msg("ScopeSpans", _f("scope", 1, "InstrumentationScope"), _f("spans", 2, "Span", repeated=True),
             _f("schema_url", 3, "string")),
        _msg("ResourceSpans", _f("resource", 1, "Resource"), _f("scope_spans", 2, "ScopeSpans", repeated=True),
             _f("schema_url", 3, "string")),
        _msg("ExportTraceServiceRequest", _f("resource_spans", 1, "ResourceSpans", repeated=True)),
        # logs
        _msg("LogRecord", _f("time_unix_nano", 1, "fixed64"), _f("observed_time_unix_nano", 11, "fixed64"),
             _f("severity_number", 2, "int32"), _f("severity_text", 3, "string"), _f("body", 5, "BodyValue0"),
             _f("attributes", 6, kv, repeated=True), _f("dropped_attributes_count", 7, "uint32"),
             _f("flags", 8, "fixed32"), _f("trace_id", 9, "bytes"), _f("span_id", 10, "bytes"),
             _f("event_name", 12, "string")),
        _msg("ScopeLogs", _f("scope", 1, "InstrumentationScope"), _f("log_records", 2, "LogRecord", repeated=True),
             _f("schema_url", 3, "string")),
        _msg("ResourceLogs", _f("resource", 1, "Resource"), _f("scope_logs", 2, "ScopeLogs", repeated=True),
             _f("schema_url", 3, "string")),
        _msg("ExportLogsServiceRequest", _f("resource_logs", 1, "ResourceLogs", repeated=True)),
        # metrics
        _msg("Exemplar", _f("filtered_attributes", 7, kv, repeated=True), _f("time_unix_nano", 2, "fixed64"),
             _f("as_double", 3, "double", oneof="exemplar_value"), _f("as_int", 6, "sfixed64", oneof="exemplar_value"),
             _f("span_id", 4, "bytes"), _f("trace_id", 5, "bytes")),
        _msg("NumberDataPoint", _f("attributes", 7, kv, repeated=True), _f("start_time_unix_nano", 2, "fixed64"),
             _f("time_unix_nano", 3, "fixed64"), _f("as_double", 4, "double", oneof="number_value"),
             _f("as_int", 6, "sfixed64", oneof="number_value"), _f("exemplars", 5, "Exemplar", repeated=True),
             _f("flags", 8, "uint32")),
        _msg("HistogramDataPoint", _f("attributes", 9, kv, repeated=True), _f("start_time_unix_nano", 2, "fixed64"),
             _f("time_unix_nano", 3, "fixed64"), _f("count", 4, "fixed64"), _f("sum", 5, "double", oneof="sumcase"),
             _f("bucket_counts", 6, "fixed64", repeated=True), _f("explicit_bounds", 7, "double", repeated=True),
             _f("exemplars", 8, "Exemplar", repeated=True), _f("flags", 10, "uint32"),
             _f("min", 11, "double", oneof="mincase"), _f("max", 12, "double", oneof="maxcase")),
        _msg("Buckets", _f("offset", 1, "sint32"), _f("bucket_counts", 2, "uint64", repeated=True)),
        _msg("ExponentialHistogramDataPoint", _f("attributes", 1, kv, repeated=True),
             _f("start_time_unix_nano", 2, "fixed64"), _f("time_unix_nano", 3, "fixed64"),
             _f("count", 4, "fixed64"), _f("sum", 5, "double", oneof="sumcase"), _f("scale", 6, "sint32"),
             _f("zero_count", 7, "fixed64"), _f("positive", 8, "Buckets"), _f("negative", 9, "Buckets"),
             _f("flags", 10, "uint32"), _f("exemplars", 11, "Exemplar", repeated=True),
             _f("min", 12, "double", oneof="mincase"), _f("max", 13, "double", oneof="maxcase"),
             _f("zero_threshold", 14, "double")),
        _msg("ValueAtQuantile", _f("quantile", 1, "double"), _f("value", 2, "double")),
        _msg("SummaryDataPoint", _f("attributes", 7, kv, repeated=True), _f("start_time_unix_nano", 2, "fixed64"),
             _f("time_unix_nano", 3, "fixed64"), _f("count", 4, "fixed64"), _f("sum", 5, "double"),
             _f("quantile_values", 6, "ValueAtQuantile", repeated=True), _f("flags", 8, "uint32")),
        _msg("Gauge", _f("data_points", 1, "NumberDataPoint", repeated=True)),
        _msg("Sum", _f("data_points", 1, "NumberDataPoint", repeated=True),
             _f("aggregation_temporality", 2, "int32"), _f("is_monotonic", 3, "bool")),
        _msg("Histogram", _f("data_points", 1, "HistogramDataPoint", repeated=True),
             _f("aggregation_temporality", 2, "int32")),
        _msg("ExponentialHistogram", _f("data_points", 1, "ExponentialHistogramDataPoint", repeated=True),
             _f("aggregation_temporality", 2, "int32")),
        _msg("Summary", _f("data_points", 1, "SummaryDataPoint", repeated=True)),
        _msg("Metric", _f("name", 1, "string"), _f("description", 2, "string"), _f("unit", 3, "string"),
             _f("gauge", 5, "Gauge", oneof="data"), _f("sum", 7, "Sum", oneof="data"),
             _f("histogram", 9, "Histogram", oneof="data"),
             _f("exponential_histogram", 10, "ExponentialHistogram", oneof="data"),
             _f("summary", 11, "Summary", oneof="data"), _f("metadata", 12, kv, repeated=True)),
        _msg("ScopeMetrics", _f("scope", 1, "InstrumentationScope"), _f("metrics", 2, "Metric", repeated=True),
             _f("schema_url", 3, "string")),
        _msg("ResourceMetrics", _f("resource", 1, "Resource"),
             _f("scope_metrics", 2, "ScopeMetrics", repeated=True), _f("schema_url", 3, "string")),
        _msg("ExportMetricsServiceRequest", _f("resource_metrics", 1, "ResourceMetrics", repeated=True)),
    ]
    return msgs


MESSAGES: dict[str, Message] = {m.name: m for m in _otlp_messages()}

# Request message name -> landing table name.
LANDING_TABLES: dict[str, str] = {
    "ExportTraceServiceRequest": "otlp_traces_landing",
    "ExportLogsServiceRequest": "otlp_logs_landing",
    "ExportMetricsServiceRequest": "otlp_metrics_landing",
}


@functools.cache  # a constant of the schema, asked for by every insert
def proto_text() -> str:
    """The `.proto` source ClickHouse parses the landing inserts with."""
    out = ['syntax = "proto3";', ""]
    for msg in MESSAGES.values():
        out.append(f"message {msg.name} {{")
        emitted_oneofs: set[str] = set()
        for f in msg.fields:
            if f.oneof:
                if f.oneof in emitted_oneofs:
                    continue
                emitted_oneofs.add(f.oneof)
                members = [g for g in msg.fields if g.oneof == f.oneof]
                out.append(f"  oneof {f.oneof} {{")
                out += [f"    {g.proto_type} {g.name} = {g.number};" for g in members]
                out.append("  }")
            else:
                rep = "repeated " if f.repeated else ""
                out.append(f"  {rep}{f.proto_type} {f.name} = {f.number};")
        out.append("}")
    return "\n".join(out) + "\n"


def _presence_enum(msg: Message, oneof: str) -> str:
    """Enum8 telling which member of `oneof` was set: 0 = none, otherwise the member's tag number."""
    members = [f for f in msg.fields if f.oneof == oneof]
    values = ", ".join(["'none' = 0"] + [f"'{f.name}' = {f.number}" for f in members])
    return f"Enum8({values})"


def ch_type(proto_type: str) -> str:
    """ClickHouse type of one (non-repeated) value of `proto_type`."""
    if proto_type in _SCALAR_CH:
        return _SCALAR_CH[proto_type]
    msg = MESSAGES[proto_type]
    parts: list[str] = []
    emitted: set[str] = set()
    for f in msg.fields:
        if f.oneof and f.oneof not in emitted:
            emitted.add(f.oneof)
            parts.append(f"{quote(f.oneof)} {_presence_enum(msg, f.oneof)}")
        t = ch_type(f.proto_type)
        parts.append(f"{quote(f.name)} {'Array(' + t + ')' if f.repeated else t}")
    return f"Tuple({', '.join(parts)})"


def landing_columns(request_message: str) -> str:
    """Column list (for CREATE TABLE) of the landing table that takes `request_message`."""
    msg = MESSAGES[request_message]
    cols = []
    for f in msg.fields:
        t = ch_type(f.proto_type)
        cols.append(f"{quote(f.name)} {'Array(' + t + ')' if f.repeated else t}")
    return ",\n  ".join(cols)


def with_schema_file(settings: dict[str, str], directory: Path) -> dict[str, str]:
    """The same settings with an inline (`string`) format schema moved to a file in `directory`.

    Embedded ClickHouse caches an inline schema in a `__cache__` folder of the process's working
    directory; a schema file under the data directory keeps the user's working directory clean.
    A ClickHouse server needs the inline form (it can't read the collector's files).
    """
    if settings.get("format_schema_source") != "string":
        return settings
    text = settings["format_schema"]
    path = directory / f"tailhouse-{hashlib.sha256(text.encode()).hexdigest()[:16]}.proto"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        # A temporary name of its own per writer: parallel inserts may write the same schema at once.
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    out = {k: v for k, v in settings.items() if k not in ("format_schema_source", "format_schema_message_name")}
    out["format_schema"] = f"{path}:{settings['format_schema_message_name']}"
    return out


def insert_settings(request_message: str) -> dict[str, str]:
    """Settings for a raw `FORMAT Protobuf` insert of length-delimited `request_message`s."""
    return {
        "format_schema_source": "string",
        "format_schema": proto_text(),
        "format_schema_message_name": request_message,
        "input_format_protobuf_oneof_presence": "1",
    }
