CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.worker_endpoint_hourly_mv{on_cluster}
TO {database}.worker_endpoint_hourly_state AS
SELECT toStartOfHour(timestamp) AS hour, service_name AS script_name, event_name AS event_kind,
  http_method, http_path,
  countState() AS requests,
  sumState(toUInt64(outcome != 'ok' OR http_status_code >= 500)) AS errors,
  sumState(cpu_time_ms) AS cpu_time_ms,
  quantilesState(0.5, 0.95, 0.99)(duration_ns / 1e6) AS wall_time_ms_quantiles
FROM {database}.events WHERE source = 'tail' AND event_type = 'tail'
GROUP BY hour, script_name, event_kind, http_method, http_path
