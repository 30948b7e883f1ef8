-- Cloudflare Workers: failed invocations (outcome other than `ok`) and exceptions (migration 2).
CREATE VIEW IF NOT EXISTS {database}.worker_errors{on_cluster} AS
SELECT timestamp, service_name AS script_name,
  if(event_type = 'tail', 'invocation', 'exception') AS kind,
  event_name, outcome, exception_type, exception_message, exception_stacktrace, body,
  http_method, http_url, http_path, http_status_code, geo_colo,
  trace_id, correlation_id, request_id, attributes
FROM {database}.events
WHERE source = 'tail' AND ((event_type = 'tail' AND outcome != 'ok') OR (event_type = 'log' AND event_name = 'exception'))
