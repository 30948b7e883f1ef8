"""The unified `events` table: its columns (a contract users query against) and its DDL."""

from __future__ import annotations

from dataclasses import dataclass

from .ddl import EVENTS_ALL, EVENTS_INGEST, Placement, quote, render

LC = "LowCardinality(String)"
ATTR_MAP = "Map(LowCardinality(String), String)"
TYPE_MAP = "Map(LowCardinality(String), LowCardinality(String))"
TS9 = "DateTime64(9)"

# Rows with no trace id (metrics, logs without one) spread by `event_id` rather than all landing
# on the shard of cityHash64('').
INGEST_SHARDING_KEY = "if(trace_id = '', cityHash64(event_id), cityHash64(trace_id))"

# (name, type, default expression or '') — order is the column order of the table.
EVENT_COLUMNS: list[tuple[str, str, str]] = [
    # identity
    ("event_id", "String", ""),
    ("event_type", LC, ""),  # span | log | metric | tail
    ("event_name", LC, ""),
    ("ns", LC, ""),
    ("source", LC, ""),  # otlp | tail
    # time
    ("timestamp", TS9, ""),
    ("observed_timestamp", TS9, ""),
    ("end_timestamp", TS9, ""),
    ("start_timestamp", TS9, ""),
    ("duration_ns", "UInt64", ""),
    ("cpu_time_ms", "Float64", ""),
    ("ingested_at", "DateTime64(3)", "now64(3)"),
    # causality
    ("trace_id", "String", ""),
    ("span_id", "String", ""),
    ("parent_span_id", "String", ""),
    ("trace_state", "String", ""),
    ("trace_flags", "UInt32", ""),
    ("correlation_id", "String", ""),
    ("request_id", "String", ""),
    ("session_id", "String", ""),
    # service
    ("service_name", LC, ""),
    ("service_namespace", LC, ""),
    ("service_version", LC, ""),
    ("service_instance_id", "String", ""),
    ("host_name", LC, ""),
    ("cloud_provider", LC, ""),
    ("deployment_environment", LC, ""),
    # payload
    ("attributes", ATTR_MAP, ""),
    ("attribute_types", TYPE_MAP, ""),
    ("resource_attributes", ATTR_MAP, ""),
    ("resource_attribute_types", TYPE_MAP, ""),
    ("resource_schema_url", LC, ""),
    ("scope_name", LC, ""),
    ("scope_version", LC, ""),
    ("scope_attributes", ATTR_MAP, ""),
    ("scope_attribute_types", TYPE_MAP, ""),
    ("scope_schema_url", LC, ""),
    ("body", "String", ""),
    ("body_type", LC, ""),
    ("data", "String", ""),
    # outcome
    ("status_code", LC, ""),
    ("status_message", "String", ""),
    ("outcome", LC, ""),
    ("importance", "UInt8", "3"),
    ("severity_text", LC, ""),
    ("severity_number", "UInt8", ""),
    # span
    ("span_kind", LC, ""),
    ("events.timestamp", f"Array({TS9})", ""),
    ("events.name", f"Array({LC})", ""),
    ("events.attributes", f"Array({ATTR_MAP})", ""),
    ("events.attribute_types", f"Array({TYPE_MAP})", ""),
    ("events.dropped_attributes_count", "Array(UInt32)", ""),
    ("links.trace_id", "Array(String)", ""),
    ("links.span_id", "Array(String)", ""),
    ("links.trace_state", "Array(String)", ""),
    ("links.attributes", f"Array({ATTR_MAP})", ""),
    ("links.attribute_types", f"Array({TYPE_MAP})", ""),
    ("links.flags", "Array(UInt32)", ""),
    ("links.dropped_attributes_count", "Array(UInt32)", ""),
    ("dropped_attributes_count", "UInt32", ""),
    ("dropped_events_count", "UInt32", ""),
    ("dropped_links_count", "UInt32", ""),
    # http / edge
    ("http_method", LC, ""),
    ("http_url", "String", ""),
    ("http_host", LC, ""),
    ("http_path", "String", ""),
    ("http_status_code", "UInt16", ""),
    ("user_agent", "String", ""),
    ("geo_colo", LC, ""),
    ("geo_country", LC, ""),
    ("geo_city", LC, ""),
    ("geo_asn", "UInt32", ""),
    # error
    ("exception_type", LC, ""),
    ("exception_message", "String", ""),
    ("exception_stacktrace", "String", ""),
    # metric
    ("metric_type", LC, ""),
    ("metric_unit", LC, ""),
    ("metric_description", "String", ""),
    ("value", "Float64", ""),
    ("is_monotonic", "Bool", ""),
    ("aggregation_temporality", LC, ""),
    ("count", "UInt64", ""),
    ("sum", "Float64", ""),
    ("min", "Nullable(Float64)", ""),
    ("max", "Nullable(Float64)", ""),
    ("bucket_counts", "Array(UInt64)", ""),
    ("explicit_bounds", "Array(Float64)", ""),
    ("exp_scale", "Int32", ""),
    ("exp_zero_count", "UInt64", ""),
    ("exp_zero_threshold", "Float64", ""),
    ("exp_positive_offset", "Int32", ""),
    ("exp_positive_bucket_counts", "Array(UInt64)", ""),
    ("exp_negative_offset", "Int32", ""),
    ("exp_negative_bucket_counts", "Array(UInt64)", ""),
    ("quantiles.quantile", "Array(Float64)", ""),
    ("quantiles.value", "Array(Float64)", ""),
    ("exemplars.timestamp", f"Array({TS9})", ""),
    ("exemplars.value", "Array(Float64)", ""),
    ("exemplars.trace_id", "Array(String)", ""),
    ("exemplars.span_id", "Array(String)", ""),
    ("exemplars.filtered_attributes", f"Array({ATTR_MAP})", ""),
]

EVENT_COLUMN_NAMES: frozenset[str] = frozenset(name for name, _, _ in EVENT_COLUMNS)


@dataclass(frozen=True)
class TableOptions:
    """Physical options of the events table, from the exporter config."""

    ttl_days: int = 0
    dedup_window: int = 10000


def _column_ddl(name: str, ch_type: str, default: str) -> str:
    d = f" DEFAULT {default}" if default else ""
    return f"{quote(name)} {ch_type}{d}"


def ttl_clause(options: TableOptions) -> str:
    """The TTL of `events` (sql/events_ttl.sql)."""
    return render("events_ttl", {"ttl_days": str(options.ttl_days)})


def events_ddl(placement: Placement, options: TableOptions) -> list[str]:
    """CREATE TABLE for `events` (sql/events.sql) and, on a cluster, its Distributed tables.

    They come right after `events`: in distributed mode the mapping views, created next, insert
    into `events_ingest`.
    """
    cols = ",\n  ".join(_column_ddl(n, t, d) for n, t, d in EVENT_COLUMNS)
    ttl = "\n" + ttl_clause(options) if options.ttl_days > 0 else ""
    stmts = [render("events", placement.slots(options.dedup_window, columns=cols, ttl=ttl))]
    if placement.on_cluster:
        stmts.append(distributed_ddl(placement, EVENTS_ALL, "events", "cityHash64(trace_id)"))
        if placement.mapping_target == EVENTS_INGEST:
            stmts.append(distributed_ddl(placement, EVENTS_INGEST, "events", INGEST_SHARDING_KEY))
    return stmts


def distributed_ddl(placement: Placement, table: str, local: str, key: str) -> str:
    """A Distributed table `table` over `local` on every shard (sql/distributed_table.sql)."""
    return render("distributed_table", placement.slots(
        table=table, local=local, sharding_key=f", {key}" if key else ""))


def trace_lookup_ddl(placement: Placement) -> list[str]:
    """trace_id → time range, kept by a materialized view on `events` (as the OTel exporter does)."""
    return [render("trace_id_ts", placement.slots()), render("trace_id_ts_mv", placement.slots())]
