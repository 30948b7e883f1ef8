"""Views for Cloudflare Workers users over `events` (schema migration 2).

* `worker_logs`: console logs, exceptions and Durable Object events of Workers;
* `worker_errors`: failed invocations (outcome other than `ok`) and exceptions;
* `worker_requests`: fetch invocations with request, response and edge columns;
* `worker_endpoint_hourly`: per hour, script, event kind, method and path: requests, errors,
  error rate and p50/p95/p99 wall time; read from `worker_endpoint_hourly_state`, an
  AggregatingMergeTree a materialized view keeps up to date as rows arrive;
* `error_patterns`: per script, exception type and message: count, first and last seen and
  the distinct colos; likewise backed by `error_patterns_state`.

The aggregate tables hold aggregate states, so the views stay cheap however large `events`
grows, and they dedupe retried inserts like `events` does.
"""

from __future__ import annotations

from .events_table import TableOptions

_TAIL = "source = 'tail'"


def worker_statements(db: str, options: TableOptions) -> list[str]:
    """DDL of the Workers views, in order."""
    ev = f"`{db}`.events"
    dedup = f"SETTINGS non_replicated_deduplication_window = {options.dedup_window}"
    return [
        f"""CREATE VIEW IF NOT EXISTS `{db}`.worker_logs AS
SELECT timestamp, service_name AS script_name, event_name, severity_text, severity_number, body,
  exception_type, exception_message, exception_stacktrace, attributes, attribute_types,
  trace_id, span_id, correlation_id, request_id, http_method, http_path, geo_colo, importance
FROM {ev} WHERE {_TAIL} AND event_type = 'log'""",
        f"""CREATE VIEW IF NOT EXISTS `{db}`.worker_errors AS
SELECT timestamp, service_name AS script_name,
  if(event_type = 'tail', 'invocation', 'exception') AS kind,
  event_name, outcome, exception_type, exception_message, exception_stacktrace, body,
  http_method, http_url, http_path, http_status_code, geo_colo,
  trace_id, correlation_id, request_id, attributes
FROM {ev}
WHERE {_TAIL} AND ((event_type = 'tail' AND outcome != 'ok') OR (event_type = 'log' AND event_name = 'exception'))""",
        f"""CREATE VIEW IF NOT EXISTS `{db}`.worker_requests AS
SELECT timestamp, service_name AS script_name, http_method, http_url, http_host, http_path, http_status_code,
  outcome, duration_ns / 1e6 AS wall_time_ms, cpu_time_ms, user_agent,
  geo_colo, geo_country, geo_city, geo_asn, trace_id, correlation_id, request_id,
  exception_type, exception_message, attributes
FROM {ev} WHERE {_TAIL} AND event_type = 'tail' AND event_name = 'fetch'""",
        f"""CREATE TABLE IF NOT EXISTS `{db}`.worker_endpoint_hourly_state (
  hour DateTime,
  script_name LowCardinality(String),
  event_kind LowCardinality(String),
  http_method LowCardinality(String),
  http_path String,
  requests AggregateFunction(count),
  errors AggregateFunction(sum, UInt64),
  cpu_time_ms AggregateFunction(sum, Float64),
  wall_time_ms_quantiles AggregateFunction(quantiles(0.5, 0.95, 0.99), Float64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (script_name, event_kind, http_method, http_path, hour)
{dedup}""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS `{db}`.worker_endpoint_hourly_mv
TO `{db}`.worker_endpoint_hourly_state AS
SELECT toStartOfHour(timestamp) AS hour, service_name AS script_name, event_name AS event_kind,
  http_method, http_path,
  countState() AS requests,
  sumState(toUInt64(outcome != 'ok' OR http_status_code >= 500)) AS errors,
  sumState(cpu_time_ms) AS cpu_time_ms,
  quantilesState(0.5, 0.95, 0.99)(duration_ns / 1e6) AS wall_time_ms_quantiles
FROM {ev} WHERE {_TAIL} AND event_type = 'tail'
GROUP BY hour, script_name, event_kind, http_method, http_path""",
        f"""CREATE VIEW IF NOT EXISTS `{db}`.worker_endpoint_hourly AS
SELECT hour, script_name, event_kind, http_method, http_path,
  countMerge(requests) AS requests,
  sumMerge(errors) AS errors,
  errors / requests AS error_rate,
  sumMerge(cpu_time_ms) AS cpu_time_ms,
  quantilesMerge(0.5, 0.95, 0.99)(wall_time_ms_quantiles) AS wall_time_ms_q,
  wall_time_ms_q[1] AS p50_wall_time_ms,
  wall_time_ms_q[2] AS p95_wall_time_ms,
  wall_time_ms_q[3] AS p99_wall_time_ms
FROM `{db}`.worker_endpoint_hourly_state
GROUP BY hour, script_name, event_kind, http_method, http_path""",
        f"""CREATE TABLE IF NOT EXISTS `{db}`.error_patterns_state (
  script_name LowCardinality(String),
  exception_type LowCardinality(String),
  exception_message String,
  occurrences AggregateFunction(count),
  first_seen AggregateFunction(min, DateTime64(9)),
  last_seen AggregateFunction(max, DateTime64(9)),
  colos AggregateFunction(groupUniqArray, LowCardinality(String))
) ENGINE = AggregatingMergeTree
ORDER BY (script_name, exception_type, exception_message)
{dedup}""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS `{db}`.error_patterns_mv TO `{db}`.error_patterns_state AS
SELECT service_name AS script_name, exception_type, exception_message,
  countState() AS occurrences,
  minState(timestamp) AS first_seen,
  maxState(timestamp) AS last_seen,
  groupUniqArrayState(geo_colo) AS colos
FROM {ev} WHERE {_TAIL} AND event_type = 'log' AND exception_type != ''
GROUP BY script_name, exception_type, exception_message""",
        f"""CREATE VIEW IF NOT EXISTS `{db}`.error_patterns AS
SELECT script_name, exception_type, exception_message,
  countMerge(occurrences) AS count,
  minMerge(first_seen) AS first_seen,
  maxMerge(last_seen) AS last_seen,
  arraySort(arrayFilter(c -> c != '', groupUniqArrayMerge(colos))) AS colos,
  length(colos) AS distinct_colos
FROM `{db}`.error_patterns_state
GROUP BY script_name, exception_type, exception_message""",
    ]
