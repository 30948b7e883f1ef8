-- trace_id -> time range, kept by trace_id_ts_mv (as the OpenTelemetry Collector exporter does).
CREATE TABLE IF NOT EXISTS {database}.trace_id_ts{on_cluster} (
  trace_id String, start DateTime64(9), end DateTime64(9),
  INDEX idx_trace_id trace_id TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = {engine} PARTITION BY toDate(start) ORDER BY (trace_id, start)
