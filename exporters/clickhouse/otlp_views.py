"""The OTLP → `events` mapping, written as ClickHouse materialized views over the landing tables.

This is the single definition of how OTLP traces, logs and metrics become rows; the same SQL runs
in chDB and on a server (schema migration 4 installs it, replacing the views of migration 1;
migration 5 changes how host and path derive from a URL). The rules every source shares (which
attribute keys fill the `http_*` columns, importance, outcome, severity) are rendered from the
tables of `tailhouse.pipeline.rules`, which the Workers tail mapper applies in Python.

Why it is shaped this way (measured with `python -m bench.mapping`; README, Performance):
ClickHouse analyses a view's SELECT again on every insert, which is most of an insert's fixed cost,
and the analysis time grows with the number of expression nodes. Per row, rendering attribute
values and copying wide tuples dominate. So:

* attribute values are rendered once per list level by one lambda each: the resource's and the
  scope's lists together once per scope, the item's own list in place (putting it into a list of
  lists first would copy every attribute), its span events' and links' lists together;
* the `*_types` maps read the presence Enum8 sub-column only, without rendering or copying values;
* each heavy expression is computed one SELECT level below the expressions that read it, so it is
  analysed and evaluated once, not once per alias reference;
* resource- and scope-level columns (service columns, maps, the resource part of `data`) are
  derived and cast to their `events` types before the innermost ARRAY JOIN: once per scope, and
  the join then copies LowCardinality indexes rather than strings;
* column lookups (`http_*`, `service_*`, …) read the rendered key/value arrays with `indexOf`
  instead of building a Map and casting it to Map(LowCardinality(String), …) first.

Value rendering rules are those of `sql_values.py` (unchanged, so the stored text is the same).
Cloudflare Workers' own OTLP export is mapped in `_cloudflare`, the only place that knows its keys.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from tailhouse.pipeline.rules.http import LEGACY_URL_PARTS_SQL, URL_PARTS_SQL, column_sql
from tailhouse.pipeline.rules.importance import importance_sql, span_outcome_sql
from tailhouse.pipeline.rules.severity import importance_of_severity_sql, severity_outcome_sql
from tailhouse.pipeline.rules.sql import lookup

from .ddl import quote
from .events_table import EVENT_COLUMNS
from .landing_schema import LANDING_TABLES
from .otlp_views_v1 import _P, _metric_points  # the point normalisation is unchanged
from .sql_values import any_value_text, any_value_type, body_text, hex_id, nanos

# AnyValue type names by the presence Enum8's value (the oneof member's tag number); 'none' is 0.
_TYPE_BY_TAG = "['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes']"

# ---- building blocks -------------------------------------------------------------------------


def render(kvs: str) -> str:
    """Array(KeyValue) → Array(String): each value's text."""
    return f"arrayMap(kv -> {any_value_text('kv.value')}, {kvs})"


def render_lists(lists: str) -> str:
    """Array(Array(KeyValue)) → Array(Array(String)): every value's text, rendered by one lambda."""
    return f"arrayMap(kvs -> arrayMap(kv -> {any_value_text('kv.value')}, kvs), {lists})"


def text_map(keys: str, texts: str) -> str:
    """Map(key → text) from a key array and the matching rendered texts."""
    return f"mapFromArrays({keys}, {texts})"


def type_map(kvs: str) -> str:
    """Map(key → type) of the keys of Array(KeyValue) `kvs` whose value is not a string.

    It reads the presence Enum8 sub-column only (no rendering, no tuple copies); the type name is an
    array lookup by the oneof member's tag number, as `sql_values.any_value_type` names it.
    """
    enums = f"{kvs}.value.value"
    name = f"if(e = 'none', 'empty', {_TYPE_BY_TAG}[toUInt8(CAST(e, 'Int8'))])"
    return (f"mapFromArrays(arrayFilter((k, e) -> e != 'string_value', {kvs}.key, {enums}), "
            f"arrayMap(e -> {name}, arrayFilter(e -> e != 'string_value', {enums})))")


def json_members(*members: tuple[str, str, str]) -> str:
    """Comma-joined JSON members from (key, json_value_expr, include_condition) triples ('' when none)."""
    parts = ", ".join(f"if({cond}, concat('\"{key}\":', {value}), '')" for key, value, cond in members)
    return f"arrayStringConcat(arrayFilter(p -> p != '', [{parts}]), ',')"


def json_object_from(base: str, *members: tuple[str, str, str]) -> str:
    """A JSON object of pre-rendered members `base` followed by `members`; '' when it has none."""
    body = base if not members else (
        f"arrayStringConcat(arrayFilter(p -> p != '', [{base}, "
        + ", ".join(f"if({cond}, concat('\"{key}\":', {value}), '')" for key, value, cond in members)
        + "]), ',')"
    )
    return f"if(empty({body}), '', concat('{{', {body}, '}}'))"


# ---- resource and scope levels ---------------------------------------------------------------

# Columns the scope level hands to the item level (and, but for the res_* helpers, to `events`).
_SCOPE_OUT = [
    "resource_attributes", "resource_attribute_types", "resource_schema_url", "res_service_name",
    "service_namespace", "service_version", "service_instance_id", "host_name", "cloud_provider",
    "deployment_environment", "scope_name", "scope_version", "scope_attributes", "scope_attribute_types",
    "scope_schema_url", "resource_data", "res_cf_keys", "res_cf_vals",
]
_EVENT_TYPES = {name: t for name, t, _ in EVENT_COLUMNS}
_EVENT_TYPES["res_service_name"] = _EVENT_TYPES["service_name"]
# The ones that are `events` columns as they are.
_PASSED = [
    "resource_attributes", "resource_attribute_types", "resource_schema_url", "service_namespace",
    "service_version", "service_instance_id", "host_name", "cloud_provider", "deployment_environment",
    "scope_name", "scope_version", "scope_attributes", "scope_attribute_types", "scope_schema_url",
]


def _scope_levels(table: str, request_array: str, scope_array: str, item_array: str) -> str:
    """FROM-subquery yielding one row per scope: resource and scope columns derived, `items` to join."""
    rk, rv = "res_kvs.key", "sr[1]"
    # Cast once per scope to the `events` types: ARRAY JOIN then copies LowCardinality indexes, and
    # the insert converts nothing per row.
    typed = ", ".join(f"CAST({c}, '{_EVENT_TYPES[c]}') AS {c}" if c in _EVENT_TYPES else c for c in _SCOPE_OUT)
    cf_idx = f"arrayFilter(k -> startsWith(k, 'cloudflare.'), {rk})"
    resource_data = json_members(
        ("resource_dropped_attributes_count", "toString(res_dropped)", "res_dropped > 0"),
        ("scope_dropped_attributes_count", "toString(ss_dropped)", "ss_dropped > 0"),
        ("resource_entity_refs", "toJSONString(res_entity_refs)", "notEmpty(res_entity_refs)"),
    )
    return f"""(
  SELECT {typed}, items
  FROM (
    SELECT
      {text_map(rk, 'sr[1]')} AS resource_attributes,
      {type_map('res_kvs')} AS resource_attribute_types,
      res_schema_url AS resource_schema_url,
      {lookup(rk, rv, 'service.name')} AS res_service_name,
      {lookup(rk, rv, 'service.namespace')} AS service_namespace,
      {lookup(rk, rv, 'service.version')} AS service_version,
      {lookup(rk, rv, 'service.instance.id')} AS service_instance_id,
      {lookup(rk, rv, 'host.name')} AS host_name,
      {lookup(rk, rv, 'cloud.provider')} AS cloud_provider,
      {lookup(rk, rv, 'deployment.environment.name', 'deployment.environment')} AS deployment_environment,
      scope_name, scope_version,
      {text_map('scope_kvs.key', 'sr[2]')} AS scope_attributes,
      {type_map('scope_kvs')} AS scope_attribute_types,
      scope_schema_url,
      {resource_data} AS resource_data,
      {cf_idx} AS res_cf_keys,
      arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), {rv}, {rk}) AS res_cf_vals,
      items
    FROM (
      SELECT res_kvs, res_schema_url, res_dropped, res_entity_refs,
        ss.scope.name AS scope_name, ss.scope.version AS scope_version, ss.scope.attributes AS scope_kvs,
        ss.scope.dropped_attributes_count AS ss_dropped, ss.schema_url AS scope_schema_url,
        {render_lists('[res_kvs, ss.scope.attributes]')} AS sr,
        ss.{item_array} AS items
      FROM (
        SELECT rs.resource.attributes AS res_kvs, rs.schema_url AS res_schema_url,
          rs.resource.dropped_attributes_count AS res_dropped, rs.resource.entity_refs AS res_entity_refs,
          rs.{scope_array} AS scopes
        FROM {table} ARRAY JOIN {request_array} AS rs
      ) ARRAY JOIN scopes AS ss
    )
  )
)"""


# ---- Cloudflare Workers' native OTLP export ----------------------------------------------------

def cf_row(keys: str) -> str:
    """Whether a row may carry Cloudflare attributes: its resource does, or one of its own keys is one.

    (Measured: `arrayExists` with `startsWith` costs next to nothing per row; `hasAny` against the
    list of the six keys cost ~1.7 µs per row.)
    """
    return f"(notEmpty(res_cf_keys) OR arrayExists(k -> startsWith(k, 'cloudflare.'), {keys}))"


def cf_arrays(keys: str, values: str) -> str:
    """`cf_keys`, `cf_vals`: a row's `cloudflare.*` attributes, its own first, then its resource's.

    Only rows that may carry some (`cf_row`) build them: `if` evaluates a branch only for the rows
    that take it, so other rows pay one `arrayExists` and carry empty arrays.
    """
    own_k = f"arrayFilter(k -> startsWith(k, 'cloudflare.'), {keys})"
    own_v = f"arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), {values}, {keys})"
    return (f"if(cf_row, arrayConcat({own_k}, res_cf_keys), []) AS cf_keys, "
            f"if(cf_row, arrayConcat({own_v}, res_cf_vals), []) AS cf_vals")


def _cloudflare() -> dict[str, str]:
    """`cloudflare.*` attributes (item first, then resource) onto the columns we have for them.

    Workers Observability exports spans and logs carrying `cloudflare.script_name`, `cloudflare.colo`
    and, on root spans, `cloudflare.ray_id` (Cloudflare's "Spans and attributes" page); it sets
    `service.name` to the script name too, which wins when present. `cloudflare.outcome`,
    `cloudflare.cpu_time_ms` and `cloudflare.wall_time_ms` follow the same naming for the
    invocation's outcome and times (assumed names: mapped when sent, ignored otherwise). The
    attributes stay in `attributes`/`resource_attributes` as sent; these are derived columns.
    """

    def cf(name: str) -> str:
        # `cf_keys`/`cf_vals` (one level down) hold the row's own cloudflare.* attributes, then its
        # resource's, so the first match is the item's; both are empty on rows with none
        return f"cf_vals[indexOf(cf_keys, 'cloudflare.{name}')]"

    return {
        "script_name": cf("script_name"),
        "ray_id": cf("ray_id"),
        "colo": cf("colo"),
        "outcome": cf("outcome"),
        "cpu_time_ms": f"toFloat64OrZero({cf('cpu_time_ms')})",
        "wall_time_ns": f"toUInt64(greatest(toFloat64OrZero({cf('wall_time_ms')}), 0) * 1000000)",
    }


# ---- item-level columns shared by spans and logs ---------------------------------------------

def _common_item_columns(keys: str, values: str, kvs: str, cf: dict[str, str], url_parts: dict[str, str]) -> list[str]:
    def rule(column: str) -> str:
        # the precedence of attribute keys is the shared table's (tailhouse.pipeline.rules.http)
        return f"{column_sql(column, keys, values, lambda name: cf[name], url_parts)} AS {column}"

    return [
        "'otlp' AS source",
        "service_namespace AS ns",
        *_PASSED,
        f"if(res_service_name != '', res_service_name, {cf['script_name']}) AS service_name",
        f"{text_map(keys, values)} AS attributes",
        f"{type_map(kvs)} AS attribute_types",
        *(rule(c) for c in ("http_method", "http_url", "http_host", "http_path", "http_status_code", "user_agent",
                            "correlation_id", "request_id", "session_id")),
        f"{cf['colo']} AS geo_colo",
        f"{cf['cpu_time_ms']} AS cpu_time_ms",
    ]


def _select(columns: list[str]) -> str:
    return "SELECT\n  " + ",\n  ".join(columns)


# ---- traces ----------------------------------------------------------------------------------

def traces_view_select(db: str, url_parts: dict[str, str] = URL_PARTS_SQL) -> str:
    """SELECT of the materialized view that maps OTLP spans to `events` rows (`url_parts`: how host
    and path derive from a URL; `LEGACY_URL_PARTS_SQL` renders the view of schema migration 4)."""
    table = f"{quote(db)}.{LANDING_TABLES['ExportTraceServiceRequest']}"
    # short names for what many columns read (each reference is a node ClickHouse analyses per insert)
    keys, values = "ak", "av"
    cf = _cloudflare()
    kind = ("transform(it.kind, [0, 1, 2, 3, 4, 5], ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', "
            "'Consumer'], toString(it.kind))")
    status = "transform(it.status.code, [0, 1, 2], ['Unset', 'Ok', 'Error'], toString(it.status.code))"
    n_events = "length(it.events)"
    ev_r = f"arraySlice(er, 1, {n_events})"
    ln_r = f"arraySlice(er, {n_events} + 1)"
    # the first `exception` span event: its rendered attributes (index 0 reads as empty arrays)
    exc_i = "indexOf(it.events.name, 'exception')"
    exc_k, exc_v = f"it.events.attributes[{exc_i}].key", f"{ev_r}[{exc_i}]"
    duration = "if(it.end_time_unix_nano > it.start_time_unix_nano, it.end_time_unix_nano - it.start_time_unix_nano, 0)"
    columns = [
        f"concat({hex_id('it.trace_id')}, {hex_id('it.span_id')}) AS event_id",
        "'span' AS event_type",
        "it.name AS event_name",
        *_common_item_columns(keys, values, 'it.attributes', cf, url_parts),
        f"{nanos('it.start_time_unix_nano')} AS timestamp",
        f"{nanos('it.start_time_unix_nano')} AS observed_timestamp",
        f"{nanos('it.end_time_unix_nano')} AS end_timestamp",
        f"if({duration} > 0, {duration}, {cf['wall_time_ns']}) AS duration_ns",
        f"{hex_id('it.trace_id')} AS trace_id",
        f"{hex_id('it.span_id')} AS span_id",
        f"{hex_id('it.parent_span_id')} AS parent_span_id",
        "it.trace_state AS trace_state",
        "it.flags AS trace_flags",
        f"{json_object_from('resource_data')} AS data",
        f"{status} AS status_code",
        "it.status.message AS status_message",
        f"if({cf['outcome']} != '', {cf['outcome']}, {span_outcome_sql('it.status.code')}) AS outcome",
        f"{importance_sql('span', span_status='it.status.code', http_status='http_status_code')} AS importance",
        f"{kind} AS span_kind",
        f"arrayMap(e -> {nanos('e.time_unix_nano')}, it.events) AS `events.timestamp`",
        "it.events.name AS `events.name`",
        f"arrayMap((kvs, rr) -> {text_map('kvs.key', 'rr')}, it.events.attributes, {ev_r}) AS `events.attributes`",
        f"arrayMap(kvs -> {type_map('kvs')}, it.events.attributes) AS `events.attribute_types`",
        "it.events.dropped_attributes_count AS `events.dropped_attributes_count`",
        f"arrayMap(l -> {hex_id('l.trace_id')}, it.links) AS `links.trace_id`",
        f"arrayMap(l -> {hex_id('l.span_id')}, it.links) AS `links.span_id`",
        "it.links.trace_state AS `links.trace_state`",
        f"arrayMap((kvs, rr) -> {text_map('kvs.key', 'rr')}, it.links.attributes, {ln_r}) AS `links.attributes`",
        f"arrayMap(kvs -> {type_map('kvs')}, it.links.attributes) AS `links.attribute_types`",
        "it.links.flags AS `links.flags`",
        "it.links.dropped_attributes_count AS `links.dropped_attributes_count`",
        "it.dropped_attributes_count AS dropped_attributes_count",
        "it.dropped_events_count AS dropped_events_count",
        "it.dropped_links_count AS dropped_links_count",
        f"{exc_v}[indexOf({exc_k}, 'exception.type')] AS exception_type",
        f"{exc_v}[indexOf({exc_k}, 'exception.message')] AS exception_message",
        f"{exc_v}[indexOf({exc_k}, 'exception.stacktrace')] AS exception_stacktrace",
    ]
    scopes = _scope_levels(table, "resource_spans", "scope_spans", "spans")
    # The span's own attributes are rendered in place; putting them into one list with the events'
    # and links' lists first copies every attribute (measured: ~1 µs per span).
    lists = "arrayConcat(it.events.attributes, it.links.attributes)"
    return f"""{_select(columns)}
FROM (
  SELECT *, it.attributes.key AS ak, {cf_arrays('it.attributes.key', 'av')}
  FROM (
    SELECT {', '.join(_SCOPE_OUT)}, it, {cf_row('it.attributes.key')} AS cf_row,
      {render('it.attributes')} AS av, {render_lists(lists)} AS er
    FROM {scopes} ARRAY JOIN items AS it
  )
)"""


# ---- logs ------------------------------------------------------------------------------------

def logs_view_select(db: str, url_parts: dict[str, str] = URL_PARTS_SQL) -> str:
    """SELECT of the materialized view that maps OTLP log records to `events` rows (`url_parts` as for
    `traces_view_select`)."""
    table = f"{quote(db)}.{LANDING_TABLES['ExportLogsServiceRequest']}"
    keys, values = "ak", "av"
    cf = _cloudflare()
    severity = "least(it.severity_number, 255)"
    exc = {n: f"{values}[indexOf({keys}, 'exception.{n}')]" for n in ("type", "message", "stacktrace")}
    columns = [
        "lower(hex(sipHash128(it.time_unix_nano, it.observed_time_unix_nano, it.trace_id, it.span_id, "
        "it.severity_number, it.severity_text, body, it.event_name, attributes, service_name, scope_name))) AS event_id",
        "'log' AS event_type",
        "it.event_name AS event_name",
        *_common_item_columns(keys, values, 'it.attributes', cf, url_parts),
        f"{nanos('if(it.time_unix_nano = 0, it.observed_time_unix_nano, it.time_unix_nano)')} AS timestamp",
        f"{nanos('it.observed_time_unix_nano')} AS observed_timestamp",
        f"{cf['wall_time_ns']} AS duration_ns",
        f"{hex_id('it.trace_id')} AS trace_id",
        f"{hex_id('it.span_id')} AS span_id",
        "it.flags AS trace_flags",
        f"{body_text('it.body')} AS body",
        f"{any_value_type('it.body')} AS body_type",
        # An unset time_unix_nano falls back to the observed time in `timestamp`; say so in `data`.
        f"{json_object_from('resource_data', ('time_unix_nano_unset', repr('true'), 'it.time_unix_nano = 0'))} AS data",
        f"if({cf['outcome']} != '', {cf['outcome']}, {severity_outcome_sql(severity)}) AS outcome",
        f"{importance_of_severity_sql(severity)} AS importance",
        "it.severity_text AS severity_text",
        f"{severity} AS severity_number",
        "it.dropped_attributes_count AS dropped_attributes_count",
        f"{exc['type']} AS exception_type",
        f"{exc['message']} AS exception_message",
        f"{exc['stacktrace']} AS exception_stacktrace",
    ]
    scopes = _scope_levels(table, "resource_logs", "scope_logs", "log_records")
    return f"""{_select(columns)}
FROM (
  SELECT *, it.attributes.key AS ak, {cf_arrays('it.attributes.key', 'av')}
  FROM (
    SELECT {', '.join(_SCOPE_OUT)}, it, {cf_row('it.attributes.key')} AS cf_row,
      {render('it.attributes')} AS av
    FROM {scopes} ARRAY JOIN items AS it
  )
)"""


# ---- metrics ---------------------------------------------------------------------------------

def metrics_view_select(db: str) -> str:
    """SELECT of the materialized view that maps OTLP metric data points to `events` rows.

    Every data point type is normalised into one tuple shape (`otlp_views_v1._metric_points`) so one
    view (one ARRAY JOIN) handles all five metric types.
    """
    table = f"{quote(db)}.{LANDING_TABLES['ExportMetricsServiceRequest']}"

    def f(name: str) -> str:
        return f"tupleElement(pt, {_P[name]})"

    keys, texts = f"{f('attrs')}.key", "av"
    ex = f("exemplars")
    ex_r = "er"
    data = json_object_from(
        "resource_data",
        ("as_int", f"toString({f('value_int')})", f"{f('value_kind')} = 'as_int'"),
        ("has_sum", "'false'", f"{f('metric_type')} IN ('histogram', 'exponential_histogram') AND {f('has_sum')} = 0"),
        ("flags", f"toString({f('flags')})", f"{f('flags')} != 0"),
        ("metric_metadata", "toJSONString(metric_metadata)", "notEmpty(metric_metadata)"),
        ("metric_metadata_types", "toJSONString(metric_metadata_types)", "notEmpty(metric_metadata_types)"),
    )
    columns = [
        f"lower(hex(sipHash128(metric_name, {f('start')}, {f('time')}, {keys}, attributes, resource_attributes, "
        f"scope_name, {f('value')}, {f('count')}, {f('sum')}))) AS event_id",
        "'metric' AS event_type",
        "metric_name AS event_name",
        "'otlp' AS source",
        "service_namespace AS ns",
        *_PASSED,
        "res_service_name AS service_name",
        f"{nanos(f('time'))} AS timestamp",
        f"{nanos(f('time'))} AS observed_timestamp",
        f"{nanos(f('start'))} AS start_timestamp",
        f"{text_map(keys, texts)} AS attributes",
        f"{type_map(f('attrs'))} AS attribute_types",
        f"{data} AS data",
        f"{importance_sql('metric')} AS importance",
        f"{f('metric_type')} AS metric_type",
        "metric_unit",
        "metric_description",
        f"{f('value')} AS value",
        f"{f('monotonic')} AS is_monotonic",
        f"{f('temporality')} AS aggregation_temporality",
        f"{f('count')} AS count",
        f"{f('sum')} AS sum",
        f"{f('min')} AS min",
        f"{f('max')} AS max",
        f"{f('bucket_counts')} AS bucket_counts",
        f"{f('explicit_bounds')} AS explicit_bounds",
        f"{f('scale')} AS exp_scale",
        f"{f('zero_count')} AS exp_zero_count",
        f"{f('zero_threshold')} AS exp_zero_threshold",
        f"{f('pos_offset')} AS exp_positive_offset",
        f"{f('pos_counts')} AS exp_positive_bucket_counts",
        f"{f('neg_offset')} AS exp_negative_offset",
        f"{f('neg_counts')} AS exp_negative_bucket_counts",
        f"{f('q_quantile')} AS `quantiles.quantile`",
        f"{f('q_value')} AS `quantiles.value`",
        f"arrayMap(e -> {nanos('e.time_unix_nano')}, {ex}) AS `exemplars.timestamp`",
        f"arrayMap(e -> if(e.exemplar_value = 'as_int', toFloat64(e.as_int), e.as_double), {ex}) AS `exemplars.value`",
        f"arrayMap(e -> {hex_id('e.trace_id')}, {ex}) AS `exemplars.trace_id`",
        f"arrayMap(e -> {hex_id('e.span_id')}, {ex}) AS `exemplars.span_id`",
        f"arrayMap((kvs, rr) -> {text_map('kvs.key', 'rr')}, {ex}.filtered_attributes, {ex_r}) "
        "AS `exemplars.filtered_attributes`",
    ]
    scopes = _scope_levels(table, "resource_metrics", "scope_metrics", "metrics")
    carried = ", ".join(_SCOPE_OUT)
    return f"""{_select(columns)}
FROM (
  SELECT {carried}, metric_name, metric_description, metric_unit, metric_metadata, metric_metadata_types, pt,
    {render(f('attrs'))} AS av, {render_lists(f"{ex}.filtered_attributes")} AS er
  FROM (
    SELECT {carried}, m.name AS metric_name, m.description AS metric_description, m.unit AS metric_unit,
      {text_map('m.metadata.key', 'mr[1]')} AS metric_metadata,
      {type_map('m.metadata')} AS metric_metadata_types,
      points
    FROM (
      SELECT {carried}, m, {render_lists('[m.metadata]')} AS mr, {_metric_points()} AS points
      FROM {scopes} ARRAY JOIN items AS m
    )
  ) ARRAY JOIN points AS pt
)"""


VIEW_SELECTS: dict[str, Callable[[str], str]] = {
    "otlp_traces_mv": traces_view_select,
    "otlp_logs_mv": logs_view_select,
    "otlp_metrics_mv": metrics_view_select,
}

# The views as schema migration 4 installed them: host and path of a URL read with ClickHouse's
# `domain()` / `path()`. Released migrations render as they did; migration 5 installs VIEW_SELECTS.
MIGRATION_4_VIEW_SELECTS: dict[str, Callable[[str], str]] = {
    "otlp_traces_mv": partial(traces_view_select, url_parts=LEGACY_URL_PARTS_SQL),
    "otlp_logs_mv": partial(logs_view_select, url_parts=LEGACY_URL_PARTS_SQL),
    "otlp_metrics_mv": metrics_view_select,
}
# The views migration 5 changes (the metrics view has no URL columns).
URL_VIEWS = ("otlp_traces_mv", "otlp_logs_mv")
