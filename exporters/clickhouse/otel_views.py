"""Read-only views over `events` with the OpenTelemetry Collector ClickHouse exporter's schema.

Tools built for that exporter's tables (the Grafana ClickHouse data source in OpenTelemetry mode,
ClickStack/HyperDX, the exporter README's queries) read `otel_traces`, `otel_logs`,
`otel_metrics_*` and `otel_traces_trace_id_ts`. These views give them exactly those column names,
types and order (so `DESC TABLE` and `SELECT *` match the exporter's DDL) over the unified table.

Column lists below are the exporter's (its `sqltemplates/*_table.sql`), written down column by
column with the `events` expression that fills each. A column is cast only when the `events`
column's type differs: a plain column reference lets ClickHouse push a filter on the view
(`TraceId = …`, `ServiceName = …`) down to the `events` primary key and skip indexes.
Spellings match what the exporter writes: `SpanKind` is Server/Client/Internal/Producer/Consumer
(Unspecified), `StatusCode` is Unset/Ok/Error, `AggregationTemporality` is the OTLP enum number.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ddl import Placement, quote, render

LC = "LowCardinality(String)"
MAP = "Map(LowCardinality(String), String)"
TS = "DateTime64(9)"


@dataclass(frozen=True)
class ViewColumn:
    name: str
    type: str
    expr: str          # expression over `events`
    cast: bool = False  # wrap in CAST(expr, type): the events column has another type


def _c(name: str, ch_type: str, expr: str, cast: bool = False) -> ViewColumn:
    return ViewColumn(name, ch_type, expr, cast)


TRACES: list[ViewColumn] = [
    _c("Timestamp", TS, "timestamp"),
    _c("TraceId", "String", "trace_id"),
    _c("SpanId", "String", "span_id"),
    _c("ParentSpanId", "String", "parent_span_id"),
    _c("TraceState", "String", "trace_state"),
    _c("SpanName", LC, "event_name"),
    _c("SpanKind", LC, "span_kind"),
    _c("ServiceName", LC, "service_name"),
    _c("ResourceAttributes", MAP, "resource_attributes"),
    _c("ScopeName", "String", "scope_name", cast=True),
    _c("ScopeVersion", "String", "scope_version", cast=True),
    _c("SpanAttributes", MAP, "attributes"),
    _c("Duration", "UInt64", "duration_ns"),
    _c("StatusCode", LC, "status_code"),
    _c("StatusMessage", "String", "status_message"),
    _c("Events.Timestamp", f"Array({TS})", "`events.timestamp`"),
    _c("Events.Name", f"Array({LC})", "`events.name`"),
    _c("Events.Attributes", f"Array({MAP})", "`events.attributes`"),
    _c("Links.TraceId", "Array(String)", "`links.trace_id`"),
    _c("Links.SpanId", "Array(String)", "`links.span_id`"),
    _c("Links.TraceState", "Array(String)", "`links.trace_state`"),
    _c("Links.Attributes", f"Array({MAP})", "`links.attributes`"),
]

LOGS: list[ViewColumn] = [
    _c("Timestamp", TS, "timestamp"),
    # Older Grafana OTel mode and ClickStack filter, bucket and sort on TimestampTime.
    _c("TimestampTime", "DateTime", "toDateTime(timestamp)"),
    _c("TraceId", "String", "trace_id"),
    _c("SpanId", "String", "span_id"),
    # The exporter stores the low 8 bits of the log record's flags (the W3C trace flags).
    _c("TraceFlags", "UInt8", "toUInt8(bitAnd(trace_flags, 255))"),
    _c("SeverityText", LC, "severity_text"),
    _c("SeverityNumber", "UInt8", "severity_number"),
    _c("ServiceName", LC, "service_name"),
    _c("Body", "String", "body"),
    _c("ResourceSchemaUrl", LC, "resource_schema_url"),
    _c("ResourceAttributes", MAP, "resource_attributes"),
    _c("ScopeSchemaUrl", LC, "scope_schema_url"),
    _c("ScopeName", "String", "scope_name", cast=True),
    _c("ScopeVersion", LC, "scope_version"),
    _c("ScopeAttributes", MAP, "scope_attributes"),
    _c("LogAttributes", MAP, "attributes"),
    _c("EventName", "String", "event_name", cast=True),
]

_METRIC_COMMON: list[ViewColumn] = [
    _c("ResourceAttributes", MAP, "resource_attributes"),
    _c("ResourceSchemaUrl", "String", "resource_schema_url", cast=True),
    _c("ScopeName", "String", "scope_name", cast=True),
    _c("ScopeVersion", "String", "scope_version", cast=True),
    _c("ScopeAttributes", MAP, "scope_attributes"),
    # Kept in `data` by the OTLP mapping (only when non-zero).
    _c("ScopeDroppedAttrCount", "UInt32", "toUInt32(JSONExtractUInt(data, 'scope_dropped_attributes_count'))"),
    _c("ScopeSchemaUrl", "String", "scope_schema_url", cast=True),
    _c("ServiceName", LC, "service_name"),
    _c("MetricName", "String", "event_name", cast=True),
    _c("MetricDescription", "String", "metric_description"),
    _c("MetricUnit", "String", "metric_unit", cast=True),
    _c("Attributes", MAP, "attributes"),
    _c("StartTimeUnix", TS, "start_timestamp"),
    _c("TimeUnix", TS, "timestamp"),
]
_VALUE = _c("Value", "Float64", "value")
_FLAGS = _c("Flags", "UInt32", "toUInt32(JSONExtractUInt(data, 'flags'))")
_EXEMPLARS: list[ViewColumn] = [
    _c("Exemplars.FilteredAttributes", f"Array({MAP})", "`exemplars.filtered_attributes`"),
    _c("Exemplars.TimeUnix", f"Array({TS})", "`exemplars.timestamp`"),
    _c("Exemplars.Value", "Array(Float64)", "`exemplars.value`"),
    _c("Exemplars.SpanId", "Array(String)", "`exemplars.span_id`"),
    _c("Exemplars.TraceId", "Array(String)", "`exemplars.trace_id`"),
]
# events keeps the OTLP enum's name; the exporter stores its number.
_TEMPORALITY = _c(
    "AggregationTemporality", "Int32",
    "transform(toString(aggregation_temporality), ['unspecified', 'delta', 'cumulative'], [0, 1, 2], 0)", cast=True,
)
_COUNT = _c("Count", "UInt64", "`count`")
_SUM = _c("Sum", "Float64", "`sum`")
# events keeps min/max Nullable (absent ≠ 0); the exporter's columns are plain Float64 with 0 for absent.
_MIN = _c("Min", "Float64", "ifNull(`min`, 0)")
_MAX = _c("Max", "Float64", "ifNull(`max`, 0)")

METRICS_GAUGE = [*_METRIC_COMMON, _VALUE, _FLAGS, *_EXEMPLARS]
METRICS_SUM = [*_METRIC_COMMON, _VALUE, _FLAGS, *_EXEMPLARS, _TEMPORALITY, _c("IsMonotonic", "Bool", "is_monotonic")]
METRICS_HISTOGRAM = [
    *_METRIC_COMMON, _COUNT, _SUM,
    _c("BucketCounts", "Array(UInt64)", "bucket_counts"),
    _c("ExplicitBounds", "Array(Float64)", "explicit_bounds"),
    *_EXEMPLARS, _FLAGS, _MIN, _MAX, _TEMPORALITY,
]
METRICS_EXP_HISTOGRAM = [
    *_METRIC_COMMON, _COUNT, _SUM,
    _c("Scale", "Int32", "exp_scale"),
    _c("ZeroCount", "UInt64", "exp_zero_count"),
    _c("PositiveOffset", "Int32", "exp_positive_offset"),
    _c("PositiveBucketCounts", "Array(UInt64)", "exp_positive_bucket_counts"),
    _c("NegativeOffset", "Int32", "exp_negative_offset"),
    _c("NegativeBucketCounts", "Array(UInt64)", "exp_negative_bucket_counts"),
    *_EXEMPLARS, _FLAGS, _MIN, _MAX, _TEMPORALITY,
]
METRICS_SUMMARY = [
    *_METRIC_COMMON, _COUNT, _SUM,
    _c("ValueAtQuantiles.Quantile", "Array(Float64)", "`quantiles.quantile`"),
    _c("ValueAtQuantiles.Value", "Array(Float64)", "`quantiles.value`"),
    _FLAGS,
]

TRACE_ID_TS: list[ViewColumn] = [
    _c("TraceId", "String", "trace_id"),
    # The exporter's lookup table keeps seconds; tools add 1 to End to cover the last second.
    _c("Start", "DateTime", "toDateTime(start)"),
    _c("End", "DateTime", "toDateTime(end)"),
]


@dataclass(frozen=True)
class OtelView:
    name: str
    columns: list[ViewColumn]
    source: str  # table in the same database
    where: str   # which rows of `source`


OTEL_VIEWS: list[OtelView] = [
    OtelView("otel_traces", TRACES, "events", "event_type = 'span'"),
    OtelView("otel_traces_trace_id_ts", TRACE_ID_TS, "trace_id_ts", ""),
    OtelView("otel_logs", LOGS, "events", "event_type = 'log'"),
    OtelView("otel_metrics_gauge", METRICS_GAUGE, "events", "event_type = 'metric' AND metric_type = 'gauge'"),
    OtelView("otel_metrics_sum", METRICS_SUM, "events", "event_type = 'metric' AND metric_type = 'sum'"),
    OtelView("otel_metrics_histogram", METRICS_HISTOGRAM, "events", "event_type = 'metric' AND metric_type = 'histogram'"),
    # Both names exist in the wild (exporter versions and ClickStack differ).
    OtelView("otel_metrics_exponential_histogram", METRICS_EXP_HISTOGRAM, "events",
             "event_type = 'metric' AND metric_type = 'exponential_histogram'"),
    OtelView("otel_metrics_exp_histogram", METRICS_EXP_HISTOGRAM, "events",
             "event_type = 'metric' AND metric_type = 'exponential_histogram'"),
    OtelView("otel_metrics_summary", METRICS_SUMMARY, "events", "event_type = 'metric' AND metric_type = 'summary'"),
]


def _select_item(col: ViewColumn) -> str:
    expr = f"CAST({col.expr}, '{col.type}')" if col.cast else col.expr
    return f"{expr} AS {quote(col.name)}"


def view_ddl(placement: Placement, view: OtelView) -> str:
    """CREATE VIEW statement of one compatibility view (sql/otel_view.sql)."""
    items = ",\n  ".join(_select_item(c) for c in view.columns)
    where = f"\nWHERE {view.where}" if view.where else ""
    return render("otel_view", placement.slots(view=view.name, columns=items, source=view.source, where=where))


def otel_view_statements(placement: Placement, _options: object = None) -> list[str]:
    """DDL of every OTel-compatible view (migration 3)."""
    return [view_ddl(placement, v) for v in OTEL_VIEWS]
