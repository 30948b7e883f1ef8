-- The unified `events` table. {columns} is the column list of events_table.EVENT_COLUMNS (the
-- contract users query against, which the mapping views also read).
-- The sort key starts with low-cardinality columns and then `trace_id`, so a trace's rows of one
-- service are stored together; the bloom filter on `trace_id` and the `trace_id_ts` lookup table
-- make a trace lookup skip almost every granule.
CREATE TABLE IF NOT EXISTS {database}.events{on_cluster} (
  {columns},
  INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
  INDEX idx_correlation_id correlation_id TYPE bloom_filter(0.01) GRANULARITY 1,
  INDEX idx_body body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1
) ENGINE = {engine}
PARTITION BY toDate(timestamp)
ORDER BY (event_type, service_name, trace_id, timestamp){ttl}
SETTINGS index_granularity = 8192, {dedup_setting}
