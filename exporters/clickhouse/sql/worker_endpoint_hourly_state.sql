-- Per hour, script, event kind, method and path: aggregate states, kept by worker_endpoint_hourly_mv.
-- They dedupe retried inserts like `events` does.
CREATE TABLE IF NOT EXISTS {database}.worker_endpoint_hourly_state{on_cluster} (
  hour DateTime,
  script_name LowCardinality(String),
  event_kind LowCardinality(String),
  http_method LowCardinality(String),
  http_path String,
  requests AggregateFunction(count),
  errors AggregateFunction(sum, UInt64),
  cpu_time_ms AggregateFunction(sum, Float64),
  wall_time_ms_quantiles AggregateFunction(quantiles(0.5, 0.95, 0.99), Float64)
) ENGINE = {aggregating_engine}
PARTITION BY toYYYYMM(hour)
ORDER BY (script_name, event_kind, http_method, http_path, hour)
SETTINGS {dedup_setting}
