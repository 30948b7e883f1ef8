"""The first OTLP → `events` mapping views (schema migration 1), kept as released: migration 4 replaces them.

Do not edit: an applied migration never changes. The current mapping is `otlp_views.py`.

Each view walks resource → scope → item with ARRAY JOIN and derives the
resource- and scope-level columns before the innermost join, so they are computed once per
resource/scope instead of once per row.
"""

from __future__ import annotations

from .ddl import quote
from .landing_schema import LANDING_TABLES, ch_type
from .sql_values import (
    attribute_types_map,
    attributes_map,
    body_text,
    any_value_type,
    first_of,
    hex_id,
    json_object,
    nanos,
)


def _resource_columns(rs: str) -> str:
    """Columns derived from a ResourceX tuple alias `rs` (its `.resource` and `.schema_url`)."""
    ra = "resource_attributes"
    return ",\n      ".join(
        [
            f"{attributes_map(f'{rs}.resource.attributes')} AS {ra}",
            f"{attribute_types_map(f'{rs}.resource.attributes')} AS resource_attribute_types",
            f"{rs}.schema_url AS resource_schema_url",
            f"{first_of(ra, 'service.name')} AS service_name",
            f"{first_of(ra, 'service.namespace')} AS service_namespace",
            f"{first_of(ra, 'service.version')} AS service_version",
            f"{first_of(ra, 'service.instance.id')} AS service_instance_id",
            f"{first_of(ra, 'host.name')} AS host_name",
            f"{first_of(ra, 'cloud.provider')} AS cloud_provider",
            f"{first_of(ra, 'deployment.environment.name', 'deployment.environment')} AS deployment_environment",
            f"{rs}.resource.dropped_attributes_count AS resource_dropped_attributes_count",
            f"toJSONString({rs}.resource.entity_refs) AS resource_entity_refs_json",
            f"length({rs}.resource.entity_refs) > 0 AS has_entity_refs",
        ]
    )


def _scope_columns(ss: str) -> str:
    return ",\n      ".join(
        [
            f"{ss}.scope.name AS scope_name",
            f"{ss}.scope.version AS scope_version",
            f"{attributes_map(f'{ss}.scope.attributes')} AS scope_attributes",
            f"{attribute_types_map(f'{ss}.scope.attributes')} AS scope_attribute_types",
            f"{ss}.scope.dropped_attributes_count AS scope_dropped_attributes_count",
            f"{ss}.schema_url AS scope_schema_url",
        ]
    )


_CARRIED = (
    "resource_attributes, resource_attribute_types, resource_schema_url, service_name, service_namespace, "
    "service_version, service_instance_id, host_name, cloud_provider, deployment_environment, "
    "resource_dropped_attributes_count, resource_entity_refs_json, has_entity_refs"
)
_CARRIED_SCOPE = (
    "scope_name, scope_version, scope_attributes, scope_attribute_types, scope_dropped_attributes_count, "
    "scope_schema_url"
)
# The carried columns that are also `events` columns (a view may output only those).
_OUTER_COMMON = (
    "'otlp' AS source, service_namespace AS ns, resource_attributes, resource_attribute_types, "
    "resource_schema_url, service_name, service_namespace, service_version, service_instance_id, host_name, "
    "cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, "
    "scope_schema_url"
)

_RESOURCE_DATA = [
    ("resource_dropped_attributes_count", "toString(resource_dropped_attributes_count)",
     "resource_dropped_attributes_count > 0"),
    ("scope_dropped_attributes_count", "toString(scope_dropped_attributes_count)", "scope_dropped_attributes_count > 0"),
    ("resource_entity_refs", "resource_entity_refs_json", "has_entity_refs"),
]


def _http_columns(attrs: str) -> str:
    url = first_of(attrs, "url.full", "http.url")
    return ",\n  ".join(
        [
            f"{first_of(attrs, 'http.request.method', 'http.method')} AS http_method",
            f"{url} AS http_url",
            f"if(mapContains({attrs}, 'server.address') OR mapContains({attrs}, 'http.host'), "
            f"{first_of(attrs, 'server.address', 'http.host')}, domain({url})) AS http_host",
            f"multiIf(mapContains({attrs}, 'url.path'), {attrs}['url.path'], mapContains({attrs}, 'http.target'), "
            f"path({attrs}['http.target']), mapContains({attrs}, 'http.route'), {attrs}['http.route'], path({url})) AS http_path",
            f"toUInt16OrZero({first_of(attrs, 'http.response.status_code', 'http.status_code')}) AS http_status_code",
            f"{first_of(attrs, 'user_agent.original', 'http.user_agent')} AS user_agent",
            f"{first_of(attrs, 'correlation_id', 'correlation.id')} AS correlation_id",
            f"{first_of(attrs, 'request_id', 'http.request.id', 'request.id')} AS request_id",
            f"{first_of(attrs, 'session.id', 'session_id')} AS session_id",
        ]
    )


def _walk(request_array: str, scope_array: str, item_array: str, table: str) -> str:
    """FROM clause: landing → resources → scopes → items, deriving per-level columns on the way."""
    return (
        "FROM (\n"
        f"  SELECT {_CARRIED},\n      {_scope_columns('ss')},\n      ss.{item_array} AS items\n"
        "  FROM (\n"
        f"    SELECT {_resource_columns('rs')},\n      rs.{scope_array} AS scopes\n"
        f"    FROM {table} ARRAY JOIN {request_array} AS rs\n"
        "  ) ARRAY JOIN scopes AS ss\n"
        ") ARRAY JOIN items AS it"
    )


def traces_view_select(db: str) -> str:
    """SELECT of the materialized view that maps OTLP spans to `events` rows."""
    table = f"{quote(db)}.{LANDING_TABLES['ExportTraceServiceRequest']}"
    kind = "transform(it.kind, [0, 1, 2, 3, 4, 5], ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'], toString(it.kind))"
    status = "transform(it.status.code, [0, 1, 2], ['Unset', 'Ok', 'Error'], toString(it.status.code))"
    exc = "arrayFirst(e -> e.name = 'exception', it.events)"
    exc_attrs = attributes_map(f"{exc}.attributes")
    data = json_object(*_RESOURCE_DATA)
    return f"""SELECT
  concat({hex_id('it.trace_id')}, {hex_id('it.span_id')}) AS event_id,
  'span' AS event_type,
  it.name AS event_name,
  {_OUTER_COMMON},
  {nanos('it.start_time_unix_nano')} AS timestamp,
  {nanos('it.start_time_unix_nano')} AS observed_timestamp,
  {nanos('it.end_time_unix_nano')} AS end_timestamp,
  if(it.end_time_unix_nano > it.start_time_unix_nano, it.end_time_unix_nano - it.start_time_unix_nano, 0) AS duration_ns,
  {hex_id('it.trace_id')} AS trace_id,
  {hex_id('it.span_id')} AS span_id,
  {hex_id('it.parent_span_id')} AS parent_span_id,
  it.trace_state AS trace_state,
  it.flags AS trace_flags,
  {attributes_map('it.attributes')} AS attributes,
  {attribute_types_map('it.attributes')} AS attribute_types,
  {_http_columns('attributes')},
  {data} AS data,
  {status} AS status_code,
  it.status.message AS status_message,
  if(it.status.code = 2, 'error', 'ok') AS outcome,
  if(it.status.code = 2 OR http_status_code >= 500, 1, 3) AS importance,
  {kind} AS span_kind,
  arrayMap(e -> {nanos('e.time_unix_nano')}, it.events) AS `events.timestamp`,
  arrayMap(e -> e.name, it.events) AS `events.name`,
  arrayMap(e -> {attributes_map('e.attributes')}, it.events) AS `events.attributes`,
  arrayMap(e -> {attribute_types_map('e.attributes')}, it.events) AS `events.attribute_types`,
  arrayMap(e -> e.dropped_attributes_count, it.events) AS `events.dropped_attributes_count`,
  arrayMap(l -> {hex_id('l.trace_id')}, it.links) AS `links.trace_id`,
  arrayMap(l -> {hex_id('l.span_id')}, it.links) AS `links.span_id`,
  arrayMap(l -> l.trace_state, it.links) AS `links.trace_state`,
  arrayMap(l -> {attributes_map('l.attributes')}, it.links) AS `links.attributes`,
  arrayMap(l -> {attribute_types_map('l.attributes')}, it.links) AS `links.attribute_types`,
  arrayMap(l -> l.flags, it.links) AS `links.flags`,
  arrayMap(l -> l.dropped_attributes_count, it.links) AS `links.dropped_attributes_count`,
  it.dropped_attributes_count AS dropped_attributes_count,
  it.dropped_events_count AS dropped_events_count,
  it.dropped_links_count AS dropped_links_count,
  {exc_attrs}['exception.type'] AS exception_type,
  {exc_attrs}['exception.message'] AS exception_message,
  {exc_attrs}['exception.stacktrace'] AS exception_stacktrace
{_walk('resource_spans', 'scope_spans', 'spans', table)}"""


def logs_view_select(db: str) -> str:
    """SELECT of the materialized view that maps OTLP log records to `events` rows."""
    table = f"{quote(db)}.{LANDING_TABLES['ExportLogsServiceRequest']}"
    severity = "least(it.severity_number, 255)"
    # An unset time_unix_nano falls back to the observed time in `timestamp`; say so in `data`.
    data = json_object(*_RESOURCE_DATA, ("time_unix_nano_unset", "'true'", "it.time_unix_nano = 0"))
    return f"""SELECT
  lower(hex(sipHash128(it.time_unix_nano, it.observed_time_unix_nano, it.trace_id, it.span_id, it.severity_number,
    it.severity_text, body, it.event_name, attributes, service_name, scope_name))) AS event_id,
  'log' AS event_type,
  it.event_name AS event_name,
  {_OUTER_COMMON},
  {nanos('if(it.time_unix_nano = 0, it.observed_time_unix_nano, it.time_unix_nano)')} AS timestamp,
  {nanos('it.observed_time_unix_nano')} AS observed_timestamp,
  {hex_id('it.trace_id')} AS trace_id,
  {hex_id('it.span_id')} AS span_id,
  it.flags AS trace_flags,
  {attributes_map('it.attributes')} AS attributes,
  {attribute_types_map('it.attributes')} AS attribute_types,
  {_http_columns('attributes')},
  {body_text('it.body')} AS body,
  {any_value_type('it.body')} AS body_type,
  {data} AS data,
  if({severity} >= 17, 'error', 'ok') AS outcome,
  multiIf({severity} >= 21, 0, {severity} >= 17, 1, {severity} >= 13, 2, 3) AS importance,
  it.severity_text AS severity_text,
  {severity} AS severity_number,
  it.dropped_attributes_count AS dropped_attributes_count,
  attributes['exception.type'] AS exception_type,
  attributes['exception.message'] AS exception_message,
  attributes['exception.stacktrace'] AS exception_stacktrace
{_walk('resource_logs', 'scope_logs', 'log_records', table)}"""


# Every data point type is normalised into one tuple shape so a single view (one ARRAY JOIN)
# handles all five metric types: one insert then feeds exactly one view, which keeps
# insert_deduplication_token semantics simple.
_POINT_FIELDS: list[tuple[str, str]] = [
    # (name, ClickHouse type) — the normalised point tuple
    ("metric_type", "String"),
    ("attrs", "ATTRS"),
    ("start", "UInt64"),
    ("time", "UInt64"),
    ("value", "Float64"),
    ("value_kind", "String"),  # as_double | as_int | '' (no number value)
    ("value_int", "Int64"),
    ("exemplars", "EXEMPLARS"),
    ("flags", "UInt32"),
    ("count", "UInt64"),
    ("sum", "Float64"),
    ("has_sum", "UInt8"),
    ("min", "Nullable(Float64)"),
    ("max", "Nullable(Float64)"),
    ("bucket_counts", "Array(UInt64)"),
    ("explicit_bounds", "Array(Float64)"),
    ("scale", "Int32"),
    ("zero_count", "UInt64"),
    ("zero_threshold", "Float64"),
    ("pos_offset", "Int32"),
    ("pos_counts", "Array(UInt64)"),
    ("neg_offset", "Int32"),
    ("neg_counts", "Array(UInt64)"),
    ("q_quantile", "Array(Float64)"),
    ("q_value", "Array(Float64)"),
    ("temporality", "String"),
    ("monotonic", "Bool"),
]
_P = {name: i + 1 for i, (name, _) in enumerate(_POINT_FIELDS)}


def _point_tuple(metric_type: str, **exprs: str) -> str:
    defaults = {
        "value": "toFloat64(0)", "value_kind": "''", "value_int": "toInt64(0)", "flags": "toUInt32(p.flags)",
        "count": "toUInt64(0)", "sum": "toFloat64(0)", "has_sum": "toUInt8(0)",
        "min": "CAST(NULL, 'Nullable(Float64)')", "max": "CAST(NULL, 'Nullable(Float64)')",
        "bucket_counts": "CAST([], 'Array(UInt64)')", "explicit_bounds": "CAST([], 'Array(Float64)')",
        "scale": "toInt32(0)", "zero_count": "toUInt64(0)", "zero_threshold": "toFloat64(0)",
        "pos_offset": "toInt32(0)", "pos_counts": "CAST([], 'Array(UInt64)')", "neg_offset": "toInt32(0)",
        "neg_counts": "CAST([], 'Array(UInt64)')", "q_quantile": "CAST([], 'Array(Float64)')",
        "q_value": "CAST([], 'Array(Float64)')", "temporality": "''", "monotonic": "false",
        "attrs": "p.attributes", "start": "p.start_time_unix_nano", "time": "p.time_unix_nano",
        "exemplars": "p.exemplars",
    }
    defaults.update(exprs)
    parts = [f"'{metric_type}'"] + [defaults[name] for name, _ in _POINT_FIELDS[1:]]
    return f"tuple({', '.join(parts)})"


_TEMPORALITY = "transform(m.{t}.aggregation_temporality, [0, 1, 2], ['unspecified', 'delta', 'cumulative'], toString(m.{t}.aggregation_temporality))"
_NUMBER = dict(
    value="if(p.number_value = 'as_int', toFloat64(p.as_int), p.as_double)",
    value_kind="toString(p.number_value)",
    value_int="p.as_int",
)
_HIST_COMMON = dict(
    count="p.count", sum="p.sum", has_sum="toUInt8(p.sumcase = 'sum')",
    min="if(p.mincase = 'min', toNullable(p.min), NULL)", max="if(p.maxcase = 'max', toNullable(p.max), NULL)",
)


def _metric_points() -> str:
    arrays = [
        f"arrayMap(p -> {_point_tuple('gauge', **_NUMBER)}, m.gauge.data_points)",
        f"arrayMap(p -> {_point_tuple('sum', **_NUMBER, temporality=_TEMPORALITY.format(t='sum'), monotonic='m.sum.is_monotonic')}, m.sum.data_points)",
        f"arrayMap(p -> {_point_tuple('histogram', **_HIST_COMMON, bucket_counts='p.bucket_counts', explicit_bounds='p.explicit_bounds', temporality=_TEMPORALITY.format(t='histogram'))}, m.histogram.data_points)",
        "arrayMap(p -> "
        + _point_tuple(
            "exponential_histogram", **_HIST_COMMON, scale="p.scale", zero_count="p.zero_count",
            zero_threshold="p.zero_threshold", pos_offset="p.positive.offset", pos_counts="p.positive.bucket_counts",
            neg_offset="p.negative.offset", neg_counts="p.negative.bucket_counts",
            temporality=_TEMPORALITY.format(t="exponential_histogram"),
        )
        + ", m.exponential_histogram.data_points)",
        "arrayMap(p -> "
        + _point_tuple(
            "summary", count="p.count", sum="p.sum", has_sum="toUInt8(1)",
            exemplars="CAST([], 'Array(" + ch_type("Exemplar").replace("'", "\\'") + ")')",
            q_quantile="p.quantile_values.quantile", q_value="p.quantile_values.value",
        )
        + ", m.summary.data_points)",
    ]
    return f"arrayConcat({', '.join(arrays)})"


def metrics_view_select(db: str) -> str:
    """SELECT of the materialized view that maps OTLP metric data points to `events` rows."""
    table = f"{quote(db)}.{LANDING_TABLES['ExportMetricsServiceRequest']}"

    def f(name: str) -> str:
        return f"tupleElement(pt, {_P[name]})"

    data = json_object(
        *_RESOURCE_DATA,
        ("as_int", f"toString({f('value_int')})", f"{f('value_kind')} = 'as_int'"),
        ("has_sum", "'false'", f"{f('metric_type')} IN ('histogram', 'exponential_histogram') AND {f('has_sum')} = 0"),
        ("flags", f"toString({f('flags')})", f"{f('flags')} != 0"),
        ("metric_metadata", "toJSONString(metric_metadata)", "notEmpty(metric_metadata)"),
        ("metric_metadata_types", "toJSONString(metric_metadata_types)", "notEmpty(metric_metadata_types)"),
    )
    ex = f"{f('exemplars')}"
    walk = (
        "FROM (\n"
        f"  SELECT {_CARRIED},\n      {_scope_columns('ss')},\n"
        "      m.name AS metric_name, m.description AS metric_description, m.unit AS metric_unit,\n"
        f"      {attributes_map('m.metadata')} AS metric_metadata,\n"
        f"      {attribute_types_map('m.metadata')} AS metric_metadata_types,\n"
        f"      {_metric_points()} AS points\n"
        "  FROM (\n"
        f"    SELECT {_resource_columns('rs')},\n      rs.scope_metrics AS scopes\n"
        f"    FROM {table} ARRAY JOIN resource_metrics AS rs\n"
        "  ) ARRAY JOIN scopes AS ss ARRAY JOIN ss.metrics AS m\n"
        ") ARRAY JOIN points AS pt"
    )
    return f"""SELECT
  lower(hex(sipHash128(metric_name, {f('start')}, {f('time')}, {f('attrs')}.key, attributes, resource_attributes, scope_name,
    {f('value')}, {f('count')}, {f('sum')}))) AS event_id,
  'metric' AS event_type,
  metric_name AS event_name,
  {_OUTER_COMMON},
  {nanos(f('time'))} AS timestamp,
  {nanos(f('time'))} AS observed_timestamp,
  {nanos(f('start'))} AS start_timestamp,
  {attributes_map(f('attrs'))} AS attributes,
  {attribute_types_map(f('attrs'))} AS attribute_types,
  {data} AS data,
  3 AS importance,
  {f('metric_type')} AS metric_type,
  metric_unit,
  metric_description,
  {f('value')} AS value,
  {f('monotonic')} AS is_monotonic,
  {f('temporality')} AS aggregation_temporality,
  {f('count')} AS count,
  {f('sum')} AS sum,
  {f('min')} AS min,
  {f('max')} AS max,
  {f('bucket_counts')} AS bucket_counts,
  {f('explicit_bounds')} AS explicit_bounds,
  {f('scale')} AS exp_scale,
  {f('zero_count')} AS exp_zero_count,
  {f('zero_threshold')} AS exp_zero_threshold,
  {f('pos_offset')} AS exp_positive_offset,
  {f('pos_counts')} AS exp_positive_bucket_counts,
  {f('neg_offset')} AS exp_negative_offset,
  {f('neg_counts')} AS exp_negative_bucket_counts,
  {f('q_quantile')} AS `quantiles.quantile`,
  {f('q_value')} AS `quantiles.value`,
  arrayMap(e -> {nanos('e.time_unix_nano')}, {ex}) AS `exemplars.timestamp`,
  arrayMap(e -> if(e.exemplar_value = 'as_int', toFloat64(e.as_int), e.as_double), {ex}) AS `exemplars.value`,
  arrayMap(e -> {hex_id('e.trace_id')}, {ex}) AS `exemplars.trace_id`,
  arrayMap(e -> {hex_id('e.span_id')}, {ex}) AS `exemplars.span_id`,
  arrayMap(e -> {attributes_map('e.filtered_attributes')}, {ex}) AS `exemplars.filtered_attributes`
{walk}"""


VIEW_SELECTS = {
    "otlp_traces_mv": traces_view_select,
    "otlp_logs_mv": logs_view_select,
    "otlp_metrics_mv": metrics_view_select,
}
