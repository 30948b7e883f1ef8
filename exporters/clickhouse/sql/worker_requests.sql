-- Cloudflare Workers: fetch invocations with request, response and edge columns (migration 2).
CREATE VIEW IF NOT EXISTS {database}.worker_requests{on_cluster} AS
SELECT timestamp, service_name AS script_name, http_method, http_url, http_host, http_path, http_status_code,
  outcome, duration_ns / 1e6 AS wall_time_ms, cpu_time_ms, user_agent,
  geo_colo, geo_country, geo_city, geo_asn, trace_id, correlation_id, request_id,
  exception_type, exception_message, attributes
FROM {database}.events WHERE source = 'tail' AND event_type = 'tail' AND event_name = 'fetch'
