-- Cloudflare Workers: console logs, exceptions and Durable Object events (migration 2).
CREATE VIEW IF NOT EXISTS {database}.worker_logs{on_cluster} AS
SELECT timestamp, service_name AS script_name, event_name, severity_text, severity_number, body,
  exception_type, exception_message, exception_stacktrace, attributes, attribute_types,
  trace_id, span_id, correlation_id, request_id, http_method, http_path, geo_colo, importance
FROM {database}.events WHERE source = 'tail' AND event_type = 'log'
