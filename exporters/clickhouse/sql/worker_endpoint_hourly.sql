-- Requests, errors, error rate and p50/p95/p99 wall time per hour and endpoint, merged from the
-- states. {all} is empty, or `_all` on a cluster for the view that merges every shard's states
-- (read through the Distributed table worker_endpoint_hourly_state_all).
CREATE VIEW IF NOT EXISTS {database}.worker_endpoint_hourly{all}{on_cluster} AS
SELECT hour, script_name, event_kind, http_method, http_path,
  countMerge(requests) AS requests,
  sumMerge(errors) AS errors,
  errors / requests AS error_rate,
  sumMerge(cpu_time_ms) AS cpu_time_ms,
  quantilesMerge(0.5, 0.95, 0.99)(wall_time_ms_quantiles) AS wall_time_ms_q,
  wall_time_ms_q[1] AS p50_wall_time_ms,
  wall_time_ms_q[2] AS p95_wall_time_ms,
  wall_time_ms_q[3] AS p99_wall_time_ms
FROM {database}.worker_endpoint_hourly_state{all}
GROUP BY hour, script_name, event_kind, http_method, http_path
