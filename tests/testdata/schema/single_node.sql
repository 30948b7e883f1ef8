-- Rendered schema: single node (database tailhouse). Generated, do not edit:
-- python -m tailhouse.exporters.clickhouse.render_schema

CREATE DATABASE IF NOT EXISTS `tailhouse`;

CREATE TABLE IF NOT EXISTS `tailhouse`.events (
  `event_id` String,
  `event_type` LowCardinality(String),
  `event_name` LowCardinality(String),
  `ns` LowCardinality(String),
  `source` LowCardinality(String),
  `timestamp` DateTime64(9),
  `observed_timestamp` DateTime64(9),
  `end_timestamp` DateTime64(9),
  `start_timestamp` DateTime64(9),
  `duration_ns` UInt64,
  `cpu_time_ms` Float64,
  `ingested_at` DateTime64(3) DEFAULT now64(3),
  `trace_id` String,
  `span_id` String,
  `parent_span_id` String,
  `trace_state` String,
  `trace_flags` UInt32,
  `correlation_id` String,
  `request_id` String,
  `session_id` String,
  `service_name` LowCardinality(String),
  `service_namespace` LowCardinality(String),
  `service_version` LowCardinality(String),
  `service_instance_id` String,
  `host_name` LowCardinality(String),
  `cloud_provider` LowCardinality(String),
  `deployment_environment` LowCardinality(String),
  `attributes` Map(LowCardinality(String), String),
  `attribute_types` Map(LowCardinality(String), LowCardinality(String)),
  `resource_attributes` Map(LowCardinality(String), String),
  `resource_attribute_types` Map(LowCardinality(String), LowCardinality(String)),
  `resource_schema_url` LowCardinality(String),
  `scope_name` LowCardinality(String),
  `scope_version` LowCardinality(String),
  `scope_attributes` Map(LowCardinality(String), String),
  `scope_attribute_types` Map(LowCardinality(String), LowCardinality(String)),
  `scope_schema_url` LowCardinality(String),
  `body` String,
  `body_type` LowCardinality(String),
  `data` String,
  `status_code` LowCardinality(String),
  `status_message` String,
  `outcome` LowCardinality(String),
  `importance` UInt8 DEFAULT 3,
  `severity_text` LowCardinality(String),
  `severity_number` UInt8,
  `span_kind` LowCardinality(String),
  `events.timestamp` Array(DateTime64(9)),
  `events.name` Array(LowCardinality(String)),
  `events.attributes` Array(Map(LowCardinality(String), String)),
  `events.attribute_types` Array(Map(LowCardinality(String), LowCardinality(String))),
  `events.dropped_attributes_count` Array(UInt32),
  `links.trace_id` Array(String),
  `links.span_id` Array(String),
  `links.trace_state` Array(String),
  `links.attributes` Array(Map(LowCardinality(String), String)),
  `links.attribute_types` Array(Map(LowCardinality(String), LowCardinality(String))),
  `links.flags` Array(UInt32),
  `links.dropped_attributes_count` Array(UInt32),
  `dropped_attributes_count` UInt32,
  `dropped_events_count` UInt32,
  `dropped_links_count` UInt32,
  `http_method` LowCardinality(String),
  `http_url` String,
  `http_host` LowCardinality(String),
  `http_path` String,
  `http_status_code` UInt16,
  `user_agent` String,
  `geo_colo` LowCardinality(String),
  `geo_country` LowCardinality(String),
  `geo_city` LowCardinality(String),
  `geo_asn` UInt32,
  `exception_type` LowCardinality(String),
  `exception_message` String,
  `exception_stacktrace` String,
  `metric_type` LowCardinality(String),
  `metric_unit` LowCardinality(String),
  `metric_description` String,
  `value` Float64,
  `is_monotonic` Bool,
  `aggregation_temporality` LowCardinality(String),
  `count` UInt64,
  `sum` Float64,
  `min` Nullable(Float64),
  `max` Nullable(Float64),
  `bucket_counts` Array(UInt64),
  `explicit_bounds` Array(Float64),
  `exp_scale` Int32,
  `exp_zero_count` UInt64,
  `exp_zero_threshold` Float64,
  `exp_positive_offset` Int32,
  `exp_positive_bucket_counts` Array(UInt64),
  `exp_negative_offset` Int32,
  `exp_negative_bucket_counts` Array(UInt64),
  `quantiles.quantile` Array(Float64),
  `quantiles.value` Array(Float64),
  `exemplars.timestamp` Array(DateTime64(9)),
  `exemplars.value` Array(Float64),
  `exemplars.trace_id` Array(String),
  `exemplars.span_id` Array(String),
  `exemplars.filtered_attributes` Array(Map(LowCardinality(String), String)),
  INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
  INDEX idx_correlation_id correlation_id TYPE bloom_filter(0.01) GRANULARITY 1,
  INDEX idx_body body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toDate(timestamp)
ORDER BY (event_type, service_name, trace_id, timestamp)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `tailhouse`.trace_id_ts (
  trace_id String, start DateTime64(9), end DateTime64(9),
  INDEX idx_trace_id trace_id TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree PARTITION BY toDate(start) ORDER BY (trace_id, start);

CREATE MATERIALIZED VIEW IF NOT EXISTS `tailhouse`.trace_id_ts_mv TO `tailhouse`.trace_id_ts AS
SELECT trace_id, min(timestamp) AS start, max(timestamp) AS end
FROM `tailhouse`.events WHERE trace_id != '' GROUP BY trace_id;

CREATE TABLE IF NOT EXISTS `tailhouse`.otlp_traces_landing (
  `resource_spans` Array(Tuple(`resource` Tuple(`attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `dropped_attributes_count` UInt32, `entity_refs` Array(Tuple(`schema_url` String, `type` String, `id_keys` Array(String), `description_keys` Array(String)))), `scope_spans` Array(Tuple(`scope` Tuple(`name` String, `version` String, `attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `dropped_attributes_count` UInt32), `spans` Array(Tuple(`trace_id` String, `span_id` String, `trace_state` String, `parent_span_id` String, `flags` UInt32, `name` String, `kind` Int32, `start_time_unix_nano` UInt64, `end_time_unix_nano` UInt64, `attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `dropped_attributes_count` UInt32, `events` Array(Tuple(`time_unix_nano` UInt64, `name` String, `attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `dropped_attributes_count` UInt32)), `dropped_events_count` UInt32, `links` Array(Tuple(`trace_id` String, `span_id` String, `trace_state` String, `attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `dropped_attributes_count` UInt32, `flags` UInt32)), `dropped_links_count` UInt32, `status` Tuple(`message` String, `code` Int32))), `schema_url` String)), `schema_url` String))
) ENGINE = Null;

CREATE TABLE IF NOT EXISTS `tailhouse`.otlp_logs_landing (
  `resource_logs` Array(Tuple(`resource` Tuple(`attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `dropped_attributes_count` UInt32, `entity_refs` Array(Tuple(`schema_url` String, `type` String, `id_keys` Array(String), `description_keys` Array(String)))), `scope_logs` Array(Tuple(`scope` Tuple(`name` String, `version` String, `attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `dropped_attributes_count` UInt32), `log_records` Array(Tuple(`time_unix_nano` UInt64, `observed_time_unix_nano` UInt64, `severity_number` Int32, `severity_text` String, `body` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String)))), `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String)))), `bytes_value` String)))), `bytes_value` String), `attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `dropped_attributes_count` UInt32, `flags` UInt32, `trace_id` String, `span_id` String, `event_name` String)), `schema_url` String)), `schema_url` String))
) ENGINE = Null;

CREATE TABLE IF NOT EXISTS `tailhouse`.otlp_metrics_landing (
  `resource_metrics` Array(Tuple(`resource` Tuple(`attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `dropped_attributes_count` UInt32, `entity_refs` Array(Tuple(`schema_url` String, `type` String, `id_keys` Array(String), `description_keys` Array(String)))), `scope_metrics` Array(Tuple(`scope` Tuple(`name` String, `version` String, `attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `dropped_attributes_count` UInt32), `metrics` Array(Tuple(`name` String, `description` String, `unit` String, `data` Enum8('none' = 0, 'gauge' = 5, 'sum' = 7, 'histogram' = 9, 'exponential_histogram' = 10, 'summary' = 11), `gauge` Tuple(`data_points` Array(Tuple(`attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `start_time_unix_nano` UInt64, `time_unix_nano` UInt64, `number_value` Enum8('none' = 0, 'as_double' = 4, 'as_int' = 6), `as_double` Float64, `as_int` Int64, `exemplars` Array(Tuple(`filtered_attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `time_unix_nano` UInt64, `exemplar_value` Enum8('none' = 0, 'as_double' = 3, 'as_int' = 6), `as_double` Float64, `as_int` Int64, `span_id` String, `trace_id` String)), `flags` UInt32))), `sum` Tuple(`data_points` Array(Tuple(`attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `start_time_unix_nano` UInt64, `time_unix_nano` UInt64, `number_value` Enum8('none' = 0, 'as_double' = 4, 'as_int' = 6), `as_double` Float64, `as_int` Int64, `exemplars` Array(Tuple(`filtered_attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `time_unix_nano` UInt64, `exemplar_value` Enum8('none' = 0, 'as_double' = 3, 'as_int' = 6), `as_double` Float64, `as_int` Int64, `span_id` String, `trace_id` String)), `flags` UInt32)), `aggregation_temporality` Int32, `is_monotonic` Bool), `histogram` Tuple(`data_points` Array(Tuple(`attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `start_time_unix_nano` UInt64, `time_unix_nano` UInt64, `count` UInt64, `sumcase` Enum8('none' = 0, 'sum' = 5), `sum` Float64, `bucket_counts` Array(UInt64), `explicit_bounds` Array(Float64), `exemplars` Array(Tuple(`filtered_attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `time_unix_nano` UInt64, `exemplar_value` Enum8('none' = 0, 'as_double' = 3, 'as_int' = 6), `as_double` Float64, `as_int` Int64, `span_id` String, `trace_id` String)), `flags` UInt32, `mincase` Enum8('none' = 0, 'min' = 11), `min` Float64, `maxcase` Enum8('none' = 0, 'max' = 12), `max` Float64)), `aggregation_temporality` Int32), `exponential_histogram` Tuple(`data_points` Array(Tuple(`attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `start_time_unix_nano` UInt64, `time_unix_nano` UInt64, `count` UInt64, `sumcase` Enum8('none' = 0, 'sum' = 5), `sum` Float64, `scale` Int32, `zero_count` UInt64, `positive` Tuple(`offset` Int32, `bucket_counts` Array(UInt64)), `negative` Tuple(`offset` Int32, `bucket_counts` Array(UInt64)), `flags` UInt32, `exemplars` Array(Tuple(`filtered_attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `time_unix_nano` UInt64, `exemplar_value` Enum8('none' = 0, 'as_double' = 3, 'as_int' = 6), `as_double` Float64, `as_int` Int64, `span_id` String, `trace_id` String)), `mincase` Enum8('none' = 0, 'min' = 12), `min` Float64, `maxcase` Enum8('none' = 0, 'max' = 13), `max` Float64, `zero_threshold` Float64)), `aggregation_temporality` Int32), `summary` Tuple(`data_points` Array(Tuple(`attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `start_time_unix_nano` UInt64, `time_unix_nano` UInt64, `count` UInt64, `sum` Float64, `quantile_values` Array(Tuple(`quantile` Float64, `value` Float64)), `flags` UInt32))), `metadata` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))))), `schema_url` String)), `schema_url` String))
) ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS `tailhouse`.otlp_traces_mv TO `tailhouse`.events AS
SELECT
  concat(lower(hex(it.trace_id)), lower(hex(it.span_id))) AS event_id,
  'span' AS event_type,
  it.name AS event_name,
  'otlp' AS source, service_namespace AS ns, resource_attributes, resource_attribute_types, resource_schema_url, service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, scope_schema_url,
  fromUnixTimestamp64Nano(toInt64(it.start_time_unix_nano)) AS timestamp,
  fromUnixTimestamp64Nano(toInt64(it.start_time_unix_nano)) AS observed_timestamp,
  fromUnixTimestamp64Nano(toInt64(it.end_time_unix_nano)) AS end_timestamp,
  if(it.end_time_unix_nano > it.start_time_unix_nano, it.end_time_unix_nano - it.start_time_unix_nano, 0) AS duration_ns,
  lower(hex(it.trace_id)) AS trace_id,
  lower(hex(it.span_id)) AS span_id,
  lower(hex(it.parent_span_id)) AS parent_span_id,
  it.trace_state AS trace_state,
  it.flags AS trace_flags,
  CAST(mapFromArrays(it.attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), it.attributes)), 'Map(LowCardinality(String), String)') AS attributes,
  CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', it.attributes).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', it.attributes))), 'Map(LowCardinality(String), LowCardinality(String))') AS attribute_types,
  if(mapContains(attributes, 'http.request.method'), attributes['http.request.method'], if(mapContains(attributes, 'http.method'), attributes['http.method'], '')) AS http_method,
  if(mapContains(attributes, 'url.full'), attributes['url.full'], if(mapContains(attributes, 'http.url'), attributes['http.url'], '')) AS http_url,
  if(mapContains(attributes, 'server.address') OR mapContains(attributes, 'http.host'), if(mapContains(attributes, 'server.address'), attributes['server.address'], if(mapContains(attributes, 'http.host'), attributes['http.host'], '')), domain(if(mapContains(attributes, 'url.full'), attributes['url.full'], if(mapContains(attributes, 'http.url'), attributes['http.url'], '')))) AS http_host,
  multiIf(mapContains(attributes, 'url.path'), attributes['url.path'], mapContains(attributes, 'http.target'), path(attributes['http.target']), mapContains(attributes, 'http.route'), attributes['http.route'], path(if(mapContains(attributes, 'url.full'), attributes['url.full'], if(mapContains(attributes, 'http.url'), attributes['http.url'], '')))) AS http_path,
  toUInt16OrZero(if(mapContains(attributes, 'http.response.status_code'), attributes['http.response.status_code'], if(mapContains(attributes, 'http.status_code'), attributes['http.status_code'], ''))) AS http_status_code,
  if(mapContains(attributes, 'user_agent.original'), attributes['user_agent.original'], if(mapContains(attributes, 'http.user_agent'), attributes['http.user_agent'], '')) AS user_agent,
  if(mapContains(attributes, 'correlation_id'), attributes['correlation_id'], if(mapContains(attributes, 'correlation.id'), attributes['correlation.id'], '')) AS correlation_id,
  if(mapContains(attributes, 'request_id'), attributes['request_id'], if(mapContains(attributes, 'http.request.id'), attributes['http.request.id'], if(mapContains(attributes, 'request.id'), attributes['request.id'], ''))) AS request_id,
  if(mapContains(attributes, 'session.id'), attributes['session.id'], if(mapContains(attributes, 'session_id'), attributes['session_id'], '')) AS session_id,
  if(empty(arrayStringConcat(arrayFilter(p -> p != '', [if(resource_dropped_attributes_count > 0, concat('"resource_dropped_attributes_count":', toString(resource_dropped_attributes_count)), ''), if(scope_dropped_attributes_count > 0, concat('"scope_dropped_attributes_count":', toString(scope_dropped_attributes_count)), ''), if(has_entity_refs, concat('"resource_entity_refs":', resource_entity_refs_json), '')]), ',')), '', concat('{', arrayStringConcat(arrayFilter(p -> p != '', [if(resource_dropped_attributes_count > 0, concat('"resource_dropped_attributes_count":', toString(resource_dropped_attributes_count)), ''), if(scope_dropped_attributes_count > 0, concat('"scope_dropped_attributes_count":', toString(scope_dropped_attributes_count)), ''), if(has_entity_refs, concat('"resource_entity_refs":', resource_entity_refs_json), '')]), ','), '}')) AS data,
  transform(it.status.code, [0, 1, 2], ['Unset', 'Ok', 'Error'], toString(it.status.code)) AS status_code,
  it.status.message AS status_message,
  if(it.status.code = 2, 'error', 'ok') AS outcome,
  if(it.status.code = 2 OR http_status_code >= 500, 1, 3) AS importance,
  transform(it.kind, [0, 1, 2, 3, 4, 5], ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'], toString(it.kind)) AS span_kind,
  arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano)), it.events) AS `events.timestamp`,
  arrayMap(e -> e.name, it.events) AS `events.name`,
  arrayMap(e -> CAST(mapFromArrays(e.attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), e.attributes)), 'Map(LowCardinality(String), String)'), it.events) AS `events.attributes`,
  arrayMap(e -> CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', e.attributes).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', e.attributes))), 'Map(LowCardinality(String), LowCardinality(String))'), it.events) AS `events.attribute_types`,
  arrayMap(e -> e.dropped_attributes_count, it.events) AS `events.dropped_attributes_count`,
  arrayMap(l -> lower(hex(l.trace_id)), it.links) AS `links.trace_id`,
  arrayMap(l -> lower(hex(l.span_id)), it.links) AS `links.span_id`,
  arrayMap(l -> l.trace_state, it.links) AS `links.trace_state`,
  arrayMap(l -> CAST(mapFromArrays(l.attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), l.attributes)), 'Map(LowCardinality(String), String)'), it.links) AS `links.attributes`,
  arrayMap(l -> CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', l.attributes).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', l.attributes))), 'Map(LowCardinality(String), LowCardinality(String))'), it.links) AS `links.attribute_types`,
  arrayMap(l -> l.flags, it.links) AS `links.flags`,
  arrayMap(l -> l.dropped_attributes_count, it.links) AS `links.dropped_attributes_count`,
  it.dropped_attributes_count AS dropped_attributes_count,
  it.dropped_events_count AS dropped_events_count,
  it.dropped_links_count AS dropped_links_count,
  CAST(mapFromArrays(arrayFirst(e -> e.name = 'exception', it.events).attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), arrayFirst(e -> e.name = 'exception', it.events).attributes)), 'Map(LowCardinality(String), String)')['exception.type'] AS exception_type,
  CAST(mapFromArrays(arrayFirst(e -> e.name = 'exception', it.events).attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), arrayFirst(e -> e.name = 'exception', it.events).attributes)), 'Map(LowCardinality(String), String)')['exception.message'] AS exception_message,
  CAST(mapFromArrays(arrayFirst(e -> e.name = 'exception', it.events).attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), arrayFirst(e -> e.name = 'exception', it.events).attributes)), 'Map(LowCardinality(String), String)')['exception.stacktrace'] AS exception_stacktrace
FROM (
  SELECT resource_attributes, resource_attribute_types, resource_schema_url, service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, resource_dropped_attributes_count, resource_entity_refs_json, has_entity_refs,
      ss.scope.name AS scope_name,
      ss.scope.version AS scope_version,
      CAST(mapFromArrays(ss.scope.attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), ss.scope.attributes)), 'Map(LowCardinality(String), String)') AS scope_attributes,
      CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', ss.scope.attributes).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', ss.scope.attributes))), 'Map(LowCardinality(String), LowCardinality(String))') AS scope_attribute_types,
      ss.scope.dropped_attributes_count AS scope_dropped_attributes_count,
      ss.schema_url AS scope_schema_url,
      ss.spans AS items
  FROM (
    SELECT CAST(mapFromArrays(rs.resource.attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), rs.resource.attributes)), 'Map(LowCardinality(String), String)') AS resource_attributes,
      CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', rs.resource.attributes).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', rs.resource.attributes))), 'Map(LowCardinality(String), LowCardinality(String))') AS resource_attribute_types,
      rs.schema_url AS resource_schema_url,
      if(mapContains(resource_attributes, 'service.name'), resource_attributes['service.name'], '') AS service_name,
      if(mapContains(resource_attributes, 'service.namespace'), resource_attributes['service.namespace'], '') AS service_namespace,
      if(mapContains(resource_attributes, 'service.version'), resource_attributes['service.version'], '') AS service_version,
      if(mapContains(resource_attributes, 'service.instance.id'), resource_attributes['service.instance.id'], '') AS service_instance_id,
      if(mapContains(resource_attributes, 'host.name'), resource_attributes['host.name'], '') AS host_name,
      if(mapContains(resource_attributes, 'cloud.provider'), resource_attributes['cloud.provider'], '') AS cloud_provider,
      if(mapContains(resource_attributes, 'deployment.environment.name'), resource_attributes['deployment.environment.name'], if(mapContains(resource_attributes, 'deployment.environment'), resource_attributes['deployment.environment'], '')) AS deployment_environment,
      rs.resource.dropped_attributes_count AS resource_dropped_attributes_count,
      toJSONString(rs.resource.entity_refs) AS resource_entity_refs_json,
      length(rs.resource.entity_refs) > 0 AS has_entity_refs,
      rs.scope_spans AS scopes
    FROM `tailhouse`.otlp_traces_landing ARRAY JOIN resource_spans AS rs
  ) ARRAY JOIN scopes AS ss
) ARRAY JOIN items AS it;

CREATE MATERIALIZED VIEW IF NOT EXISTS `tailhouse`.otlp_logs_mv TO `tailhouse`.events AS
SELECT
  lower(hex(sipHash128(it.time_unix_nano, it.observed_time_unix_nano, it.trace_id, it.span_id, it.severity_number,
    it.severity_text, body, it.event_name, attributes, service_name, scope_name))) AS event_id,
  'log' AS event_type,
  it.event_name AS event_name,
  'otlp' AS source, service_namespace AS ns, resource_attributes, resource_attribute_types, resource_schema_url, service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, scope_schema_url,
  fromUnixTimestamp64Nano(toInt64(if(it.time_unix_nano = 0, it.observed_time_unix_nano, it.time_unix_nano))) AS timestamp,
  fromUnixTimestamp64Nano(toInt64(it.observed_time_unix_nano)) AS observed_timestamp,
  lower(hex(it.trace_id)) AS trace_id,
  lower(hex(it.span_id)) AS span_id,
  it.flags AS trace_flags,
  CAST(mapFromArrays(it.attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), it.attributes)), 'Map(LowCardinality(String), String)') AS attributes,
  CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', it.attributes).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', it.attributes))), 'Map(LowCardinality(String), LowCardinality(String))') AS attribute_types,
  if(mapContains(attributes, 'http.request.method'), attributes['http.request.method'], if(mapContains(attributes, 'http.method'), attributes['http.method'], '')) AS http_method,
  if(mapContains(attributes, 'url.full'), attributes['url.full'], if(mapContains(attributes, 'http.url'), attributes['http.url'], '')) AS http_url,
  if(mapContains(attributes, 'server.address') OR mapContains(attributes, 'http.host'), if(mapContains(attributes, 'server.address'), attributes['server.address'], if(mapContains(attributes, 'http.host'), attributes['http.host'], '')), domain(if(mapContains(attributes, 'url.full'), attributes['url.full'], if(mapContains(attributes, 'http.url'), attributes['http.url'], '')))) AS http_host,
  multiIf(mapContains(attributes, 'url.path'), attributes['url.path'], mapContains(attributes, 'http.target'), path(attributes['http.target']), mapContains(attributes, 'http.route'), attributes['http.route'], path(if(mapContains(attributes, 'url.full'), attributes['url.full'], if(mapContains(attributes, 'http.url'), attributes['http.url'], '')))) AS http_path,
  toUInt16OrZero(if(mapContains(attributes, 'http.response.status_code'), attributes['http.response.status_code'], if(mapContains(attributes, 'http.status_code'), attributes['http.status_code'], ''))) AS http_status_code,
  if(mapContains(attributes, 'user_agent.original'), attributes['user_agent.original'], if(mapContains(attributes, 'http.user_agent'), attributes['http.user_agent'], '')) AS user_agent,
  if(mapContains(attributes, 'correlation_id'), attributes['correlation_id'], if(mapContains(attributes, 'correlation.id'), attributes['correlation.id'], '')) AS correlation_id,
  if(mapContains(attributes, 'request_id'), attributes['request_id'], if(mapContains(attributes, 'http.request.id'), attributes['http.request.id'], if(mapContains(attributes, 'request.id'), attributes['request.id'], ''))) AS request_id,
  if(mapContains(attributes, 'session.id'), attributes['session.id'], if(mapContains(attributes, 'session_id'), attributes['session_id'], '')) AS session_id,
  multiIf(it.body.value = 'string_value', it.body.string_value, it.body.value = 'int_value', toString(it.body.int_value), it.body.value = 'bool_value', if(it.body.bool_value, 'true', 'false'), it.body.value = 'double_value', toString(it.body.double_value), it.body.value = 'bytes_value', base64Encode(it.body.bytes_value), it.body.value IN ('array_value', 'kvlist_value'), concat(if(it.body.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat(if(x1.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k2, x2) -> concat(k2, multiIf(x2.value = 'string_value', toJSONString(x2.string_value), x2.value = 'int_value', toString(x2.int_value), x2.value = 'bool_value', if(x2.bool_value, 'true', 'false'), x2.value = 'double_value', multiIf(isNaN(x2.double_value), '"NaN"', isInfinite(x2.double_value), if(x2.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x2.double_value), '[.e]'), toString(x2.double_value), concat(toString(x2.double_value), '.0')), x2.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x2.bytes_value), '"}'), x2.value IN ('array_value', 'kvlist_value'), concat(if(x2.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k3, x3) -> concat(k3, multiIf(x3.value = 'string_value', toJSONString(x3.string_value), x3.value = 'int_value', toString(x3.int_value), x3.value = 'bool_value', if(x3.bool_value, 'true', 'false'), x3.value = 'double_value', multiIf(isNaN(x3.double_value), '"NaN"', isInfinite(x3.double_value), if(x3.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x3.double_value), '[.e]'), toString(x3.double_value), concat(toString(x3.double_value), '.0')), x3.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x3.bytes_value), '"}'), x3.value IN ('array_value', 'kvlist_value'), concat('{"', if(x3.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x3.value = 'array_value', x3.array_value, x3.kvlist_value)), '"}'), 'null')), if(x2.value = 'array_value', arrayMap(x3 -> '', x2.array_value.values), arrayMap(x3 -> concat(toJSONString(x3.key), ':'), x2.kvlist_value.values)), if(x2.value = 'array_value', x2.array_value.values, x2.kvlist_value.values.value)), ','), if(x2.value = 'array_value', ']', '}')), 'null')), if(x1.value = 'array_value', arrayMap(x2 -> '', x1.array_value.values), arrayMap(x2 -> concat(toJSONString(x2.key), ':'), x1.kvlist_value.values)), if(x1.value = 'array_value', x1.array_value.values, x1.kvlist_value.values.value)), ','), if(x1.value = 'array_value', ']', '}')), 'null')), if(it.body.value = 'array_value', arrayMap(x1 -> '', it.body.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), it.body.kvlist_value.values)), if(it.body.value = 'array_value', it.body.array_value.values, it.body.kvlist_value.values.value)), ','), if(it.body.value = 'array_value', ']', '}')), '') AS body,
  if(it.body.value = 'none', 'empty', replaceOne(toString(it.body.value), '_value', '')) AS body_type,
  if(empty(arrayStringConcat(arrayFilter(p -> p != '', [if(resource_dropped_attributes_count > 0, concat('"resource_dropped_attributes_count":', toString(resource_dropped_attributes_count)), ''), if(scope_dropped_attributes_count > 0, concat('"scope_dropped_attributes_count":', toString(scope_dropped_attributes_count)), ''), if(has_entity_refs, concat('"resource_entity_refs":', resource_entity_refs_json), ''), if(it.time_unix_nano = 0, concat('"time_unix_nano_unset":', 'true'), '')]), ',')), '', concat('{', arrayStringConcat(arrayFilter(p -> p != '', [if(resource_dropped_attributes_count > 0, concat('"resource_dropped_attributes_count":', toString(resource_dropped_attributes_count)), ''), if(scope_dropped_attributes_count > 0, concat('"scope_dropped_attributes_count":', toString(scope_dropped_attributes_count)), ''), if(has_entity_refs, concat('"resource_entity_refs":', resource_entity_refs_json), ''), if(it.time_unix_nano = 0, concat('"time_unix_nano_unset":', 'true'), '')]), ','), '}')) AS data,
  if(least(it.severity_number, 255) >= 17, 'error', 'ok') AS outcome,
  multiIf(least(it.severity_number, 255) >= 21, 0, least(it.severity_number, 255) >= 17, 1, least(it.severity_number, 255) >= 13, 2, 3) AS importance,
  it.severity_text AS severity_text,
  least(it.severity_number, 255) AS severity_number,
  it.dropped_attributes_count AS dropped_attributes_count,
  attributes['exception.type'] AS exception_type,
  attributes['exception.message'] AS exception_message,
  attributes['exception.stacktrace'] AS exception_stacktrace
FROM (
  SELECT resource_attributes, resource_attribute_types, resource_schema_url, service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, resource_dropped_attributes_count, resource_entity_refs_json, has_entity_refs,
      ss.scope.name AS scope_name,
      ss.scope.version AS scope_version,
      CAST(mapFromArrays(ss.scope.attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), ss.scope.attributes)), 'Map(LowCardinality(String), String)') AS scope_attributes,
      CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', ss.scope.attributes).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', ss.scope.attributes))), 'Map(LowCardinality(String), LowCardinality(String))') AS scope_attribute_types,
      ss.scope.dropped_attributes_count AS scope_dropped_attributes_count,
      ss.schema_url AS scope_schema_url,
      ss.log_records AS items
  FROM (
    SELECT CAST(mapFromArrays(rs.resource.attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), rs.resource.attributes)), 'Map(LowCardinality(String), String)') AS resource_attributes,
      CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', rs.resource.attributes).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', rs.resource.attributes))), 'Map(LowCardinality(String), LowCardinality(String))') AS resource_attribute_types,
      rs.schema_url AS resource_schema_url,
      if(mapContains(resource_attributes, 'service.name'), resource_attributes['service.name'], '') AS service_name,
      if(mapContains(resource_attributes, 'service.namespace'), resource_attributes['service.namespace'], '') AS service_namespace,
      if(mapContains(resource_attributes, 'service.version'), resource_attributes['service.version'], '') AS service_version,
      if(mapContains(resource_attributes, 'service.instance.id'), resource_attributes['service.instance.id'], '') AS service_instance_id,
      if(mapContains(resource_attributes, 'host.name'), resource_attributes['host.name'], '') AS host_name,
      if(mapContains(resource_attributes, 'cloud.provider'), resource_attributes['cloud.provider'], '') AS cloud_provider,
      if(mapContains(resource_attributes, 'deployment.environment.name'), resource_attributes['deployment.environment.name'], if(mapContains(resource_attributes, 'deployment.environment'), resource_attributes['deployment.environment'], '')) AS deployment_environment,
      rs.resource.dropped_attributes_count AS resource_dropped_attributes_count,
      toJSONString(rs.resource.entity_refs) AS resource_entity_refs_json,
      length(rs.resource.entity_refs) > 0 AS has_entity_refs,
      rs.scope_logs AS scopes
    FROM `tailhouse`.otlp_logs_landing ARRAY JOIN resource_logs AS rs
  ) ARRAY JOIN scopes AS ss
) ARRAY JOIN items AS it;

CREATE MATERIALIZED VIEW IF NOT EXISTS `tailhouse`.otlp_metrics_mv TO `tailhouse`.events AS
SELECT
  lower(hex(sipHash128(metric_name, tupleElement(pt, 3), tupleElement(pt, 4), tupleElement(pt, 2).key, attributes, resource_attributes, scope_name,
    tupleElement(pt, 5), tupleElement(pt, 10), tupleElement(pt, 11)))) AS event_id,
  'metric' AS event_type,
  metric_name AS event_name,
  'otlp' AS source, service_namespace AS ns, resource_attributes, resource_attribute_types, resource_schema_url, service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, scope_schema_url,
  fromUnixTimestamp64Nano(toInt64(tupleElement(pt, 4))) AS timestamp,
  fromUnixTimestamp64Nano(toInt64(tupleElement(pt, 4))) AS observed_timestamp,
  fromUnixTimestamp64Nano(toInt64(tupleElement(pt, 3))) AS start_timestamp,
  CAST(mapFromArrays(tupleElement(pt, 2).key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), tupleElement(pt, 2))), 'Map(LowCardinality(String), String)') AS attributes,
  CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', tupleElement(pt, 2)).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', tupleElement(pt, 2)))), 'Map(LowCardinality(String), LowCardinality(String))') AS attribute_types,
  if(empty(arrayStringConcat(arrayFilter(p -> p != '', [if(resource_dropped_attributes_count > 0, concat('"resource_dropped_attributes_count":', toString(resource_dropped_attributes_count)), ''), if(scope_dropped_attributes_count > 0, concat('"scope_dropped_attributes_count":', toString(scope_dropped_attributes_count)), ''), if(has_entity_refs, concat('"resource_entity_refs":', resource_entity_refs_json), ''), if(tupleElement(pt, 6) = 'as_int', concat('"as_int":', toString(tupleElement(pt, 7))), ''), if(tupleElement(pt, 1) IN ('histogram', 'exponential_histogram') AND tupleElement(pt, 12) = 0, concat('"has_sum":', 'false'), ''), if(tupleElement(pt, 9) != 0, concat('"flags":', toString(tupleElement(pt, 9))), ''), if(notEmpty(metric_metadata), concat('"metric_metadata":', toJSONString(metric_metadata)), ''), if(notEmpty(metric_metadata_types), concat('"metric_metadata_types":', toJSONString(metric_metadata_types)), '')]), ',')), '', concat('{', arrayStringConcat(arrayFilter(p -> p != '', [if(resource_dropped_attributes_count > 0, concat('"resource_dropped_attributes_count":', toString(resource_dropped_attributes_count)), ''), if(scope_dropped_attributes_count > 0, concat('"scope_dropped_attributes_count":', toString(scope_dropped_attributes_count)), ''), if(has_entity_refs, concat('"resource_entity_refs":', resource_entity_refs_json), ''), if(tupleElement(pt, 6) = 'as_int', concat('"as_int":', toString(tupleElement(pt, 7))), ''), if(tupleElement(pt, 1) IN ('histogram', 'exponential_histogram') AND tupleElement(pt, 12) = 0, concat('"has_sum":', 'false'), ''), if(tupleElement(pt, 9) != 0, concat('"flags":', toString(tupleElement(pt, 9))), ''), if(notEmpty(metric_metadata), concat('"metric_metadata":', toJSONString(metric_metadata)), ''), if(notEmpty(metric_metadata_types), concat('"metric_metadata_types":', toJSONString(metric_metadata_types)), '')]), ','), '}')) AS data,
  3 AS importance,
  tupleElement(pt, 1) AS metric_type,
  metric_unit,
  metric_description,
  tupleElement(pt, 5) AS value,
  tupleElement(pt, 27) AS is_monotonic,
  tupleElement(pt, 26) AS aggregation_temporality,
  tupleElement(pt, 10) AS count,
  tupleElement(pt, 11) AS sum,
  tupleElement(pt, 13) AS min,
  tupleElement(pt, 14) AS max,
  tupleElement(pt, 15) AS bucket_counts,
  tupleElement(pt, 16) AS explicit_bounds,
  tupleElement(pt, 17) AS exp_scale,
  tupleElement(pt, 18) AS exp_zero_count,
  tupleElement(pt, 19) AS exp_zero_threshold,
  tupleElement(pt, 20) AS exp_positive_offset,
  tupleElement(pt, 21) AS exp_positive_bucket_counts,
  tupleElement(pt, 22) AS exp_negative_offset,
  tupleElement(pt, 23) AS exp_negative_bucket_counts,
  tupleElement(pt, 24) AS `quantiles.quantile`,
  tupleElement(pt, 25) AS `quantiles.value`,
  arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano)), tupleElement(pt, 8)) AS `exemplars.timestamp`,
  arrayMap(e -> if(e.exemplar_value = 'as_int', toFloat64(e.as_int), e.as_double), tupleElement(pt, 8)) AS `exemplars.value`,
  arrayMap(e -> lower(hex(e.trace_id)), tupleElement(pt, 8)) AS `exemplars.trace_id`,
  arrayMap(e -> lower(hex(e.span_id)), tupleElement(pt, 8)) AS `exemplars.span_id`,
  arrayMap(e -> CAST(mapFromArrays(e.filtered_attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), e.filtered_attributes)), 'Map(LowCardinality(String), String)'), tupleElement(pt, 8)) AS `exemplars.filtered_attributes`
FROM (
  SELECT resource_attributes, resource_attribute_types, resource_schema_url, service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, resource_dropped_attributes_count, resource_entity_refs_json, has_entity_refs,
      ss.scope.name AS scope_name,
      ss.scope.version AS scope_version,
      CAST(mapFromArrays(ss.scope.attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), ss.scope.attributes)), 'Map(LowCardinality(String), String)') AS scope_attributes,
      CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', ss.scope.attributes).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', ss.scope.attributes))), 'Map(LowCardinality(String), LowCardinality(String))') AS scope_attribute_types,
      ss.scope.dropped_attributes_count AS scope_dropped_attributes_count,
      ss.schema_url AS scope_schema_url,
      m.name AS metric_name, m.description AS metric_description, m.unit AS metric_unit,
      CAST(mapFromArrays(m.metadata.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), m.metadata)), 'Map(LowCardinality(String), String)') AS metric_metadata,
      CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', m.metadata).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', m.metadata))), 'Map(LowCardinality(String), LowCardinality(String))') AS metric_metadata_types,
      arrayConcat(arrayMap(p -> tuple('gauge', p.attributes, p.start_time_unix_nano, p.time_unix_nano, if(p.number_value = 'as_int', toFloat64(p.as_int), p.as_double), toString(p.number_value), p.as_int, p.exemplars, toUInt32(p.flags), toUInt64(0), toFloat64(0), toUInt8(0), CAST(NULL, 'Nullable(Float64)'), CAST(NULL, 'Nullable(Float64)'), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), toInt32(0), toUInt64(0), toFloat64(0), toInt32(0), CAST([], 'Array(UInt64)'), toInt32(0), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), CAST([], 'Array(Float64)'), '', false), m.gauge.data_points), arrayMap(p -> tuple('sum', p.attributes, p.start_time_unix_nano, p.time_unix_nano, if(p.number_value = 'as_int', toFloat64(p.as_int), p.as_double), toString(p.number_value), p.as_int, p.exemplars, toUInt32(p.flags), toUInt64(0), toFloat64(0), toUInt8(0), CAST(NULL, 'Nullable(Float64)'), CAST(NULL, 'Nullable(Float64)'), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), toInt32(0), toUInt64(0), toFloat64(0), toInt32(0), CAST([], 'Array(UInt64)'), toInt32(0), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), CAST([], 'Array(Float64)'), transform(m.sum.aggregation_temporality, [0, 1, 2], ['unspecified', 'delta', 'cumulative'], toString(m.sum.aggregation_temporality)), m.sum.is_monotonic), m.sum.data_points), arrayMap(p -> tuple('histogram', p.attributes, p.start_time_unix_nano, p.time_unix_nano, toFloat64(0), '', toInt64(0), p.exemplars, toUInt32(p.flags), p.count, p.sum, toUInt8(p.sumcase = 'sum'), if(p.mincase = 'min', toNullable(p.min), NULL), if(p.maxcase = 'max', toNullable(p.max), NULL), p.bucket_counts, p.explicit_bounds, toInt32(0), toUInt64(0), toFloat64(0), toInt32(0), CAST([], 'Array(UInt64)'), toInt32(0), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), CAST([], 'Array(Float64)'), transform(m.histogram.aggregation_temporality, [0, 1, 2], ['unspecified', 'delta', 'cumulative'], toString(m.histogram.aggregation_temporality)), false), m.histogram.data_points), arrayMap(p -> tuple('exponential_histogram', p.attributes, p.start_time_unix_nano, p.time_unix_nano, toFloat64(0), '', toInt64(0), p.exemplars, toUInt32(p.flags), p.count, p.sum, toUInt8(p.sumcase = 'sum'), if(p.mincase = 'min', toNullable(p.min), NULL), if(p.maxcase = 'max', toNullable(p.max), NULL), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), p.scale, p.zero_count, p.zero_threshold, p.positive.offset, p.positive.bucket_counts, p.negative.offset, p.negative.bucket_counts, CAST([], 'Array(Float64)'), CAST([], 'Array(Float64)'), transform(m.exponential_histogram.aggregation_temporality, [0, 1, 2], ['unspecified', 'delta', 'cumulative'], toString(m.exponential_histogram.aggregation_temporality)), false), m.exponential_histogram.data_points), arrayMap(p -> tuple('summary', p.attributes, p.start_time_unix_nano, p.time_unix_nano, toFloat64(0), '', toInt64(0), CAST([], 'Array(Tuple(`filtered_attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8(\'none\' = 0, \'string_value\' = 1, \'bool_value\' = 2, \'int_value\' = 3, \'double_value\' = 4, \'array_value\' = 5, \'kvlist_value\' = 6, \'bytes_value\' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8(\'none\' = 0, \'string_value\' = 1, \'bool_value\' = 2, \'int_value\' = 3, \'double_value\' = 4, \'array_value\' = 5, \'kvlist_value\' = 6, \'bytes_value\' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8(\'none\' = 0, \'string_value\' = 1, \'bool_value\' = 2, \'int_value\' = 3, \'double_value\' = 4, \'array_value\' = 5, \'kvlist_value\' = 6, \'bytes_value\' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `time_unix_nano` UInt64, `exemplar_value` Enum8(\'none\' = 0, \'as_double\' = 3, \'as_int\' = 6), `as_double` Float64, `as_int` Int64, `span_id` String, `trace_id` String))'), toUInt32(p.flags), p.count, p.sum, toUInt8(1), CAST(NULL, 'Nullable(Float64)'), CAST(NULL, 'Nullable(Float64)'), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), toInt32(0), toUInt64(0), toFloat64(0), toInt32(0), CAST([], 'Array(UInt64)'), toInt32(0), CAST([], 'Array(UInt64)'), p.quantile_values.quantile, p.quantile_values.value, '', false), m.summary.data_points)) AS points
  FROM (
    SELECT CAST(mapFromArrays(rs.resource.attributes.key, arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), rs.resource.attributes)), 'Map(LowCardinality(String), String)') AS resource_attributes,
      CAST(mapFromArrays(arrayFilter(kv -> kv.value.value != 'string_value', rs.resource.attributes).key, arrayMap(kv -> if(kv.value.value = 'none', 'empty', replaceOne(toString(kv.value.value), '_value', '')), arrayFilter(kv -> kv.value.value != 'string_value', rs.resource.attributes))), 'Map(LowCardinality(String), LowCardinality(String))') AS resource_attribute_types,
      rs.schema_url AS resource_schema_url,
      if(mapContains(resource_attributes, 'service.name'), resource_attributes['service.name'], '') AS service_name,
      if(mapContains(resource_attributes, 'service.namespace'), resource_attributes['service.namespace'], '') AS service_namespace,
      if(mapContains(resource_attributes, 'service.version'), resource_attributes['service.version'], '') AS service_version,
      if(mapContains(resource_attributes, 'service.instance.id'), resource_attributes['service.instance.id'], '') AS service_instance_id,
      if(mapContains(resource_attributes, 'host.name'), resource_attributes['host.name'], '') AS host_name,
      if(mapContains(resource_attributes, 'cloud.provider'), resource_attributes['cloud.provider'], '') AS cloud_provider,
      if(mapContains(resource_attributes, 'deployment.environment.name'), resource_attributes['deployment.environment.name'], if(mapContains(resource_attributes, 'deployment.environment'), resource_attributes['deployment.environment'], '')) AS deployment_environment,
      rs.resource.dropped_attributes_count AS resource_dropped_attributes_count,
      toJSONString(rs.resource.entity_refs) AS resource_entity_refs_json,
      length(rs.resource.entity_refs) > 0 AS has_entity_refs,
      rs.scope_metrics AS scopes
    FROM `tailhouse`.otlp_metrics_landing ARRAY JOIN resource_metrics AS rs
  ) ARRAY JOIN scopes AS ss ARRAY JOIN ss.metrics AS m
) ARRAY JOIN points AS pt;

CREATE VIEW IF NOT EXISTS `tailhouse`.worker_logs AS
SELECT timestamp, service_name AS script_name, event_name, severity_text, severity_number, body,
  exception_type, exception_message, exception_stacktrace, attributes, attribute_types,
  trace_id, span_id, correlation_id, request_id, http_method, http_path, geo_colo, importance
FROM `tailhouse`.events WHERE source = 'tail' AND event_type = 'log';

CREATE VIEW IF NOT EXISTS `tailhouse`.worker_errors AS
SELECT timestamp, service_name AS script_name,
  if(event_type = 'tail', 'invocation', 'exception') AS kind,
  event_name, outcome, exception_type, exception_message, exception_stacktrace, body,
  http_method, http_url, http_path, http_status_code, geo_colo,
  trace_id, correlation_id, request_id, attributes
FROM `tailhouse`.events
WHERE source = 'tail' AND ((event_type = 'tail' AND outcome != 'ok') OR (event_type = 'log' AND event_name = 'exception'));

CREATE VIEW IF NOT EXISTS `tailhouse`.worker_requests AS
SELECT timestamp, service_name AS script_name, http_method, http_url, http_host, http_path, http_status_code,
  outcome, duration_ns / 1e6 AS wall_time_ms, cpu_time_ms, user_agent,
  geo_colo, geo_country, geo_city, geo_asn, trace_id, correlation_id, request_id,
  exception_type, exception_message, attributes
FROM `tailhouse`.events WHERE source = 'tail' AND event_type = 'tail' AND event_name = 'fetch';

CREATE TABLE IF NOT EXISTS `tailhouse`.worker_endpoint_hourly_state (
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
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS `tailhouse`.worker_endpoint_hourly_mv
TO `tailhouse`.worker_endpoint_hourly_state AS
SELECT toStartOfHour(timestamp) AS hour, service_name AS script_name, event_name AS event_kind,
  http_method, http_path,
  countState() AS requests,
  sumState(toUInt64(outcome != 'ok' OR http_status_code >= 500)) AS errors,
  sumState(cpu_time_ms) AS cpu_time_ms,
  quantilesState(0.5, 0.95, 0.99)(duration_ns / 1e6) AS wall_time_ms_quantiles
FROM `tailhouse`.events WHERE source = 'tail' AND event_type = 'tail'
GROUP BY hour, script_name, event_kind, http_method, http_path;

CREATE VIEW IF NOT EXISTS `tailhouse`.worker_endpoint_hourly AS
SELECT hour, script_name, event_kind, http_method, http_path,
  countMerge(requests) AS requests,
  sumMerge(errors) AS errors,
  errors / requests AS error_rate,
  sumMerge(cpu_time_ms) AS cpu_time_ms,
  quantilesMerge(0.5, 0.95, 0.99)(wall_time_ms_quantiles) AS wall_time_ms_q,
  wall_time_ms_q[1] AS p50_wall_time_ms,
  wall_time_ms_q[2] AS p95_wall_time_ms,
  wall_time_ms_q[3] AS p99_wall_time_ms
FROM `tailhouse`.worker_endpoint_hourly_state
GROUP BY hour, script_name, event_kind, http_method, http_path;

CREATE TABLE IF NOT EXISTS `tailhouse`.error_patterns_state (
  script_name LowCardinality(String),
  exception_type LowCardinality(String),
  exception_message String,
  occurrences AggregateFunction(count),
  first_seen AggregateFunction(min, DateTime64(9)),
  last_seen AggregateFunction(max, DateTime64(9)),
  colos AggregateFunction(groupUniqArray, LowCardinality(String))
) ENGINE = AggregatingMergeTree
ORDER BY (script_name, exception_type, exception_message)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS `tailhouse`.error_patterns_mv TO `tailhouse`.error_patterns_state AS
SELECT service_name AS script_name, exception_type, exception_message,
  countState() AS occurrences,
  minState(timestamp) AS first_seen,
  maxState(timestamp) AS last_seen,
  groupUniqArrayState(geo_colo) AS colos
FROM `tailhouse`.events WHERE source = 'tail' AND event_type = 'log' AND exception_type != ''
GROUP BY script_name, exception_type, exception_message;

CREATE VIEW IF NOT EXISTS `tailhouse`.error_patterns AS
SELECT script_name, exception_type, exception_message,
  countMerge(occurrences) AS count,
  minMerge(first_seen) AS first_seen,
  maxMerge(last_seen) AS last_seen,
  arraySort(arrayFilter(c -> c != '', groupUniqArrayMerge(colos))) AS colos,
  length(colos) AS distinct_colos
FROM `tailhouse`.error_patterns_state
GROUP BY script_name, exception_type, exception_message;

CREATE VIEW IF NOT EXISTS `tailhouse`.otel_traces AS
SELECT
  timestamp AS `Timestamp`,
  trace_id AS `TraceId`,
  span_id AS `SpanId`,
  parent_span_id AS `ParentSpanId`,
  trace_state AS `TraceState`,
  event_name AS `SpanName`,
  span_kind AS `SpanKind`,
  service_name AS `ServiceName`,
  resource_attributes AS `ResourceAttributes`,
  CAST(scope_name, 'String') AS `ScopeName`,
  CAST(scope_version, 'String') AS `ScopeVersion`,
  attributes AS `SpanAttributes`,
  duration_ns AS `Duration`,
  status_code AS `StatusCode`,
  status_message AS `StatusMessage`,
  `events.timestamp` AS `Events.Timestamp`,
  `events.name` AS `Events.Name`,
  `events.attributes` AS `Events.Attributes`,
  `links.trace_id` AS `Links.TraceId`,
  `links.span_id` AS `Links.SpanId`,
  `links.trace_state` AS `Links.TraceState`,
  `links.attributes` AS `Links.Attributes`
FROM `tailhouse`.events
WHERE event_type = 'span';

CREATE VIEW IF NOT EXISTS `tailhouse`.otel_traces_trace_id_ts AS
SELECT
  trace_id AS `TraceId`,
  toDateTime(start) AS `Start`,
  toDateTime(end) AS `End`
FROM `tailhouse`.trace_id_ts;

CREATE VIEW IF NOT EXISTS `tailhouse`.otel_logs AS
SELECT
  timestamp AS `Timestamp`,
  toDateTime(timestamp) AS `TimestampTime`,
  trace_id AS `TraceId`,
  span_id AS `SpanId`,
  toUInt8(bitAnd(trace_flags, 255)) AS `TraceFlags`,
  severity_text AS `SeverityText`,
  severity_number AS `SeverityNumber`,
  service_name AS `ServiceName`,
  body AS `Body`,
  resource_schema_url AS `ResourceSchemaUrl`,
  resource_attributes AS `ResourceAttributes`,
  scope_schema_url AS `ScopeSchemaUrl`,
  CAST(scope_name, 'String') AS `ScopeName`,
  scope_version AS `ScopeVersion`,
  scope_attributes AS `ScopeAttributes`,
  attributes AS `LogAttributes`,
  CAST(event_name, 'String') AS `EventName`
FROM `tailhouse`.events
WHERE event_type = 'log';

CREATE VIEW IF NOT EXISTS `tailhouse`.otel_metrics_gauge AS
SELECT
  resource_attributes AS `ResourceAttributes`,
  CAST(resource_schema_url, 'String') AS `ResourceSchemaUrl`,
  CAST(scope_name, 'String') AS `ScopeName`,
  CAST(scope_version, 'String') AS `ScopeVersion`,
  scope_attributes AS `ScopeAttributes`,
  toUInt32(JSONExtractUInt(data, 'scope_dropped_attributes_count')) AS `ScopeDroppedAttrCount`,
  CAST(scope_schema_url, 'String') AS `ScopeSchemaUrl`,
  service_name AS `ServiceName`,
  CAST(event_name, 'String') AS `MetricName`,
  metric_description AS `MetricDescription`,
  CAST(metric_unit, 'String') AS `MetricUnit`,
  attributes AS `Attributes`,
  start_timestamp AS `StartTimeUnix`,
  timestamp AS `TimeUnix`,
  value AS `Value`,
  toUInt32(JSONExtractUInt(data, 'flags')) AS `Flags`,
  `exemplars.filtered_attributes` AS `Exemplars.FilteredAttributes`,
  `exemplars.timestamp` AS `Exemplars.TimeUnix`,
  `exemplars.value` AS `Exemplars.Value`,
  `exemplars.span_id` AS `Exemplars.SpanId`,
  `exemplars.trace_id` AS `Exemplars.TraceId`
FROM `tailhouse`.events
WHERE event_type = 'metric' AND metric_type = 'gauge';

CREATE VIEW IF NOT EXISTS `tailhouse`.otel_metrics_sum AS
SELECT
  resource_attributes AS `ResourceAttributes`,
  CAST(resource_schema_url, 'String') AS `ResourceSchemaUrl`,
  CAST(scope_name, 'String') AS `ScopeName`,
  CAST(scope_version, 'String') AS `ScopeVersion`,
  scope_attributes AS `ScopeAttributes`,
  toUInt32(JSONExtractUInt(data, 'scope_dropped_attributes_count')) AS `ScopeDroppedAttrCount`,
  CAST(scope_schema_url, 'String') AS `ScopeSchemaUrl`,
  service_name AS `ServiceName`,
  CAST(event_name, 'String') AS `MetricName`,
  metric_description AS `MetricDescription`,
  CAST(metric_unit, 'String') AS `MetricUnit`,
  attributes AS `Attributes`,
  start_timestamp AS `StartTimeUnix`,
  timestamp AS `TimeUnix`,
  value AS `Value`,
  toUInt32(JSONExtractUInt(data, 'flags')) AS `Flags`,
  `exemplars.filtered_attributes` AS `Exemplars.FilteredAttributes`,
  `exemplars.timestamp` AS `Exemplars.TimeUnix`,
  `exemplars.value` AS `Exemplars.Value`,
  `exemplars.span_id` AS `Exemplars.SpanId`,
  `exemplars.trace_id` AS `Exemplars.TraceId`,
  CAST(transform(toString(aggregation_temporality), ['unspecified', 'delta', 'cumulative'], [0, 1, 2], 0), 'Int32') AS `AggregationTemporality`,
  is_monotonic AS `IsMonotonic`
FROM `tailhouse`.events
WHERE event_type = 'metric' AND metric_type = 'sum';

CREATE VIEW IF NOT EXISTS `tailhouse`.otel_metrics_histogram AS
SELECT
  resource_attributes AS `ResourceAttributes`,
  CAST(resource_schema_url, 'String') AS `ResourceSchemaUrl`,
  CAST(scope_name, 'String') AS `ScopeName`,
  CAST(scope_version, 'String') AS `ScopeVersion`,
  scope_attributes AS `ScopeAttributes`,
  toUInt32(JSONExtractUInt(data, 'scope_dropped_attributes_count')) AS `ScopeDroppedAttrCount`,
  CAST(scope_schema_url, 'String') AS `ScopeSchemaUrl`,
  service_name AS `ServiceName`,
  CAST(event_name, 'String') AS `MetricName`,
  metric_description AS `MetricDescription`,
  CAST(metric_unit, 'String') AS `MetricUnit`,
  attributes AS `Attributes`,
  start_timestamp AS `StartTimeUnix`,
  timestamp AS `TimeUnix`,
  `count` AS `Count`,
  `sum` AS `Sum`,
  bucket_counts AS `BucketCounts`,
  explicit_bounds AS `ExplicitBounds`,
  `exemplars.filtered_attributes` AS `Exemplars.FilteredAttributes`,
  `exemplars.timestamp` AS `Exemplars.TimeUnix`,
  `exemplars.value` AS `Exemplars.Value`,
  `exemplars.span_id` AS `Exemplars.SpanId`,
  `exemplars.trace_id` AS `Exemplars.TraceId`,
  toUInt32(JSONExtractUInt(data, 'flags')) AS `Flags`,
  ifNull(`min`, 0) AS `Min`,
  ifNull(`max`, 0) AS `Max`,
  CAST(transform(toString(aggregation_temporality), ['unspecified', 'delta', 'cumulative'], [0, 1, 2], 0), 'Int32') AS `AggregationTemporality`
FROM `tailhouse`.events
WHERE event_type = 'metric' AND metric_type = 'histogram';

CREATE VIEW IF NOT EXISTS `tailhouse`.otel_metrics_exponential_histogram AS
SELECT
  resource_attributes AS `ResourceAttributes`,
  CAST(resource_schema_url, 'String') AS `ResourceSchemaUrl`,
  CAST(scope_name, 'String') AS `ScopeName`,
  CAST(scope_version, 'String') AS `ScopeVersion`,
  scope_attributes AS `ScopeAttributes`,
  toUInt32(JSONExtractUInt(data, 'scope_dropped_attributes_count')) AS `ScopeDroppedAttrCount`,
  CAST(scope_schema_url, 'String') AS `ScopeSchemaUrl`,
  service_name AS `ServiceName`,
  CAST(event_name, 'String') AS `MetricName`,
  metric_description AS `MetricDescription`,
  CAST(metric_unit, 'String') AS `MetricUnit`,
  attributes AS `Attributes`,
  start_timestamp AS `StartTimeUnix`,
  timestamp AS `TimeUnix`,
  `count` AS `Count`,
  `sum` AS `Sum`,
  exp_scale AS `Scale`,
  exp_zero_count AS `ZeroCount`,
  exp_positive_offset AS `PositiveOffset`,
  exp_positive_bucket_counts AS `PositiveBucketCounts`,
  exp_negative_offset AS `NegativeOffset`,
  exp_negative_bucket_counts AS `NegativeBucketCounts`,
  `exemplars.filtered_attributes` AS `Exemplars.FilteredAttributes`,
  `exemplars.timestamp` AS `Exemplars.TimeUnix`,
  `exemplars.value` AS `Exemplars.Value`,
  `exemplars.span_id` AS `Exemplars.SpanId`,
  `exemplars.trace_id` AS `Exemplars.TraceId`,
  toUInt32(JSONExtractUInt(data, 'flags')) AS `Flags`,
  ifNull(`min`, 0) AS `Min`,
  ifNull(`max`, 0) AS `Max`,
  CAST(transform(toString(aggregation_temporality), ['unspecified', 'delta', 'cumulative'], [0, 1, 2], 0), 'Int32') AS `AggregationTemporality`
FROM `tailhouse`.events
WHERE event_type = 'metric' AND metric_type = 'exponential_histogram';

CREATE VIEW IF NOT EXISTS `tailhouse`.otel_metrics_exp_histogram AS
SELECT
  resource_attributes AS `ResourceAttributes`,
  CAST(resource_schema_url, 'String') AS `ResourceSchemaUrl`,
  CAST(scope_name, 'String') AS `ScopeName`,
  CAST(scope_version, 'String') AS `ScopeVersion`,
  scope_attributes AS `ScopeAttributes`,
  toUInt32(JSONExtractUInt(data, 'scope_dropped_attributes_count')) AS `ScopeDroppedAttrCount`,
  CAST(scope_schema_url, 'String') AS `ScopeSchemaUrl`,
  service_name AS `ServiceName`,
  CAST(event_name, 'String') AS `MetricName`,
  metric_description AS `MetricDescription`,
  CAST(metric_unit, 'String') AS `MetricUnit`,
  attributes AS `Attributes`,
  start_timestamp AS `StartTimeUnix`,
  timestamp AS `TimeUnix`,
  `count` AS `Count`,
  `sum` AS `Sum`,
  exp_scale AS `Scale`,
  exp_zero_count AS `ZeroCount`,
  exp_positive_offset AS `PositiveOffset`,
  exp_positive_bucket_counts AS `PositiveBucketCounts`,
  exp_negative_offset AS `NegativeOffset`,
  exp_negative_bucket_counts AS `NegativeBucketCounts`,
  `exemplars.filtered_attributes` AS `Exemplars.FilteredAttributes`,
  `exemplars.timestamp` AS `Exemplars.TimeUnix`,
  `exemplars.value` AS `Exemplars.Value`,
  `exemplars.span_id` AS `Exemplars.SpanId`,
  `exemplars.trace_id` AS `Exemplars.TraceId`,
  toUInt32(JSONExtractUInt(data, 'flags')) AS `Flags`,
  ifNull(`min`, 0) AS `Min`,
  ifNull(`max`, 0) AS `Max`,
  CAST(transform(toString(aggregation_temporality), ['unspecified', 'delta', 'cumulative'], [0, 1, 2], 0), 'Int32') AS `AggregationTemporality`
FROM `tailhouse`.events
WHERE event_type = 'metric' AND metric_type = 'exponential_histogram';

CREATE VIEW IF NOT EXISTS `tailhouse`.otel_metrics_summary AS
SELECT
  resource_attributes AS `ResourceAttributes`,
  CAST(resource_schema_url, 'String') AS `ResourceSchemaUrl`,
  CAST(scope_name, 'String') AS `ScopeName`,
  CAST(scope_version, 'String') AS `ScopeVersion`,
  scope_attributes AS `ScopeAttributes`,
  toUInt32(JSONExtractUInt(data, 'scope_dropped_attributes_count')) AS `ScopeDroppedAttrCount`,
  CAST(scope_schema_url, 'String') AS `ScopeSchemaUrl`,
  service_name AS `ServiceName`,
  CAST(event_name, 'String') AS `MetricName`,
  metric_description AS `MetricDescription`,
  CAST(metric_unit, 'String') AS `MetricUnit`,
  attributes AS `Attributes`,
  start_timestamp AS `StartTimeUnix`,
  timestamp AS `TimeUnix`,
  `count` AS `Count`,
  `sum` AS `Sum`,
  `quantiles.quantile` AS `ValueAtQuantiles.Quantile`,
  `quantiles.value` AS `ValueAtQuantiles.Value`,
  toUInt32(JSONExtractUInt(data, 'flags')) AS `Flags`
FROM `tailhouse`.events
WHERE event_type = 'metric' AND metric_type = 'summary';

ALTER TABLE `tailhouse`.otlp_traces_mv MODIFY QUERY
SELECT
  concat(lower(hex(it.trace_id)), lower(hex(it.span_id))) AS event_id,
  'span' AS event_type,
  it.name AS event_name,
  'otlp' AS source,
  service_namespace AS ns,
  resource_attributes,
  resource_attribute_types,
  resource_schema_url,
  service_namespace,
  service_version,
  service_instance_id,
  host_name,
  cloud_provider,
  deployment_environment,
  scope_name,
  scope_version,
  scope_attributes,
  scope_attribute_types,
  scope_schema_url,
  if(res_service_name != '', res_service_name, cf_vals[indexOf(cf_keys, 'cloudflare.script_name')]) AS service_name,
  mapFromArrays(ak, av) AS attributes,
  mapFromArrays(arrayFilter((k, e) -> e != 'string_value', it.attributes.key, it.attributes.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', it.attributes.value.value))) AS attribute_types,
  if(has(ak, 'http.request.method'), av[indexOf(ak, 'http.request.method')], av[indexOf(ak, 'http.method')]) AS http_method,
  if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]) AS http_url,
  if(has(ak, 'server.address') OR has(ak, 'http.host'), if(has(ak, 'server.address'), av[indexOf(ak, 'server.address')], av[indexOf(ak, 'http.host')]), domain(if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]))) AS http_host,
  multiIf(has(ak, 'url.path'), av[indexOf(ak, 'url.path')], has(ak, 'http.target'), path(av[indexOf(ak, 'http.target')]), has(ak, 'http.route'), av[indexOf(ak, 'http.route')], path(if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]))) AS http_path,
  toUInt16OrZero(if(has(ak, 'http.response.status_code'), av[indexOf(ak, 'http.response.status_code')], av[indexOf(ak, 'http.status_code')])) AS http_status_code,
  if(has(ak, 'user_agent.original'), av[indexOf(ak, 'user_agent.original')], av[indexOf(ak, 'http.user_agent')]) AS user_agent,
  if(has(ak, 'correlation_id'), av[indexOf(ak, 'correlation_id')], av[indexOf(ak, 'correlation.id')]) AS correlation_id,
  if(has(ak, 'request_id') OR has(ak, 'http.request.id') OR has(ak, 'request.id'), if(has(ak, 'request_id'), av[indexOf(ak, 'request_id')], if(has(ak, 'http.request.id'), av[indexOf(ak, 'http.request.id')], av[indexOf(ak, 'request.id')])), cf_vals[indexOf(cf_keys, 'cloudflare.ray_id')]) AS request_id,
  if(has(ak, 'session.id'), av[indexOf(ak, 'session.id')], av[indexOf(ak, 'session_id')]) AS session_id,
  cf_vals[indexOf(cf_keys, 'cloudflare.colo')] AS geo_colo,
  toFloat64OrZero(cf_vals[indexOf(cf_keys, 'cloudflare.cpu_time_ms')]) AS cpu_time_ms,
  fromUnixTimestamp64Nano(toInt64(it.start_time_unix_nano)) AS timestamp,
  fromUnixTimestamp64Nano(toInt64(it.start_time_unix_nano)) AS observed_timestamp,
  fromUnixTimestamp64Nano(toInt64(it.end_time_unix_nano)) AS end_timestamp,
  if(if(it.end_time_unix_nano > it.start_time_unix_nano, it.end_time_unix_nano - it.start_time_unix_nano, 0) > 0, if(it.end_time_unix_nano > it.start_time_unix_nano, it.end_time_unix_nano - it.start_time_unix_nano, 0), toUInt64(greatest(toFloat64OrZero(cf_vals[indexOf(cf_keys, 'cloudflare.wall_time_ms')]), 0) * 1000000)) AS duration_ns,
  lower(hex(it.trace_id)) AS trace_id,
  lower(hex(it.span_id)) AS span_id,
  lower(hex(it.parent_span_id)) AS parent_span_id,
  it.trace_state AS trace_state,
  it.flags AS trace_flags,
  if(empty(resource_data), '', concat('{', resource_data, '}')) AS data,
  transform(it.status.code, [0, 1, 2], ['Unset', 'Ok', 'Error'], toString(it.status.code)) AS status_code,
  it.status.message AS status_message,
  if(cf_vals[indexOf(cf_keys, 'cloudflare.outcome')] != '', cf_vals[indexOf(cf_keys, 'cloudflare.outcome')], if(it.status.code = 2, 'error', 'ok')) AS outcome,
  if(it.status.code = 2 OR http_status_code >= 500, 1, 3) AS importance,
  transform(it.kind, [0, 1, 2, 3, 4, 5], ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'], toString(it.kind)) AS span_kind,
  arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano)), it.events) AS `events.timestamp`,
  it.events.name AS `events.name`,
  arrayMap((kvs, rr) -> mapFromArrays(kvs.key, rr), it.events.attributes, arraySlice(er, 1, length(it.events))) AS `events.attributes`,
  arrayMap(kvs -> mapFromArrays(arrayFilter((k, e) -> e != 'string_value', kvs.key, kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', kvs.value.value))), it.events.attributes) AS `events.attribute_types`,
  it.events.dropped_attributes_count AS `events.dropped_attributes_count`,
  arrayMap(l -> lower(hex(l.trace_id)), it.links) AS `links.trace_id`,
  arrayMap(l -> lower(hex(l.span_id)), it.links) AS `links.span_id`,
  it.links.trace_state AS `links.trace_state`,
  arrayMap((kvs, rr) -> mapFromArrays(kvs.key, rr), it.links.attributes, arraySlice(er, length(it.events) + 1)) AS `links.attributes`,
  arrayMap(kvs -> mapFromArrays(arrayFilter((k, e) -> e != 'string_value', kvs.key, kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', kvs.value.value))), it.links.attributes) AS `links.attribute_types`,
  it.links.flags AS `links.flags`,
  it.links.dropped_attributes_count AS `links.dropped_attributes_count`,
  it.dropped_attributes_count AS dropped_attributes_count,
  it.dropped_events_count AS dropped_events_count,
  it.dropped_links_count AS dropped_links_count,
  arraySlice(er, 1, length(it.events))[indexOf(it.events.name, 'exception')][indexOf(it.events.attributes[indexOf(it.events.name, 'exception')].key, 'exception.type')] AS exception_type,
  arraySlice(er, 1, length(it.events))[indexOf(it.events.name, 'exception')][indexOf(it.events.attributes[indexOf(it.events.name, 'exception')].key, 'exception.message')] AS exception_message,
  arraySlice(er, 1, length(it.events))[indexOf(it.events.name, 'exception')][indexOf(it.events.attributes[indexOf(it.events.name, 'exception')].key, 'exception.stacktrace')] AS exception_stacktrace
FROM (
  SELECT *, it.attributes.key AS ak, if(cf_row, arrayConcat(arrayFilter(k -> startsWith(k, 'cloudflare.'), it.attributes.key), res_cf_keys), []) AS cf_keys, if(cf_row, arrayConcat(arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), av, it.attributes.key), res_cf_vals), []) AS cf_vals
  FROM (
    SELECT resource_attributes, resource_attribute_types, resource_schema_url, res_service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, scope_schema_url, resource_data, res_cf_keys, res_cf_vals, it, (notEmpty(res_cf_keys) OR arrayExists(k -> startsWith(k, 'cloudflare.'), it.attributes.key)) AS cf_row,
      arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), it.attributes) AS av, arrayMap(kvs -> arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), kvs), arrayConcat(it.events.attributes, it.links.attributes)) AS er
    FROM (
  SELECT CAST(resource_attributes, 'Map(LowCardinality(String), String)') AS resource_attributes, CAST(resource_attribute_types, 'Map(LowCardinality(String), LowCardinality(String))') AS resource_attribute_types, CAST(resource_schema_url, 'LowCardinality(String)') AS resource_schema_url, CAST(res_service_name, 'LowCardinality(String)') AS res_service_name, CAST(service_namespace, 'LowCardinality(String)') AS service_namespace, CAST(service_version, 'LowCardinality(String)') AS service_version, CAST(service_instance_id, 'String') AS service_instance_id, CAST(host_name, 'LowCardinality(String)') AS host_name, CAST(cloud_provider, 'LowCardinality(String)') AS cloud_provider, CAST(deployment_environment, 'LowCardinality(String)') AS deployment_environment, CAST(scope_name, 'LowCardinality(String)') AS scope_name, CAST(scope_version, 'LowCardinality(String)') AS scope_version, CAST(scope_attributes, 'Map(LowCardinality(String), String)') AS scope_attributes, CAST(scope_attribute_types, 'Map(LowCardinality(String), LowCardinality(String))') AS scope_attribute_types, CAST(scope_schema_url, 'LowCardinality(String)') AS scope_schema_url, resource_data, res_cf_keys, res_cf_vals, items
  FROM (
    SELECT
      mapFromArrays(res_kvs.key, sr[1]) AS resource_attributes,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', res_kvs.key, res_kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', res_kvs.value.value))) AS resource_attribute_types,
      res_schema_url AS resource_schema_url,
      sr[1][indexOf(res_kvs.key, 'service.name')] AS res_service_name,
      sr[1][indexOf(res_kvs.key, 'service.namespace')] AS service_namespace,
      sr[1][indexOf(res_kvs.key, 'service.version')] AS service_version,
      sr[1][indexOf(res_kvs.key, 'service.instance.id')] AS service_instance_id,
      sr[1][indexOf(res_kvs.key, 'host.name')] AS host_name,
      sr[1][indexOf(res_kvs.key, 'cloud.provider')] AS cloud_provider,
      if(has(res_kvs.key, 'deployment.environment.name'), sr[1][indexOf(res_kvs.key, 'deployment.environment.name')], sr[1][indexOf(res_kvs.key, 'deployment.environment')]) AS deployment_environment,
      scope_name, scope_version,
      mapFromArrays(scope_kvs.key, sr[2]) AS scope_attributes,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', scope_kvs.key, scope_kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', scope_kvs.value.value))) AS scope_attribute_types,
      scope_schema_url,
      arrayStringConcat(arrayFilter(p -> p != '', [if(res_dropped > 0, concat('"resource_dropped_attributes_count":', toString(res_dropped)), ''), if(ss_dropped > 0, concat('"scope_dropped_attributes_count":', toString(ss_dropped)), ''), if(notEmpty(res_entity_refs), concat('"resource_entity_refs":', toJSONString(res_entity_refs)), '')]), ',') AS resource_data,
      arrayFilter(k -> startsWith(k, 'cloudflare.'), res_kvs.key) AS res_cf_keys,
      arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), sr[1], res_kvs.key) AS res_cf_vals,
      items
    FROM (
      SELECT res_kvs, res_schema_url, res_dropped, res_entity_refs,
        ss.scope.name AS scope_name, ss.scope.version AS scope_version, ss.scope.attributes AS scope_kvs,
        ss.scope.dropped_attributes_count AS ss_dropped, ss.schema_url AS scope_schema_url,
        arrayMap(kvs -> arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), kvs), [res_kvs, ss.scope.attributes]) AS sr,
        ss.spans AS items
      FROM (
        SELECT rs.resource.attributes AS res_kvs, rs.schema_url AS res_schema_url,
          rs.resource.dropped_attributes_count AS res_dropped, rs.resource.entity_refs AS res_entity_refs,
          rs.scope_spans AS scopes
        FROM `tailhouse`.otlp_traces_landing ARRAY JOIN resource_spans AS rs
      ) ARRAY JOIN scopes AS ss
    )
  )
) ARRAY JOIN items AS it
  )
);

ALTER TABLE `tailhouse`.otlp_logs_mv MODIFY QUERY
SELECT
  lower(hex(sipHash128(it.time_unix_nano, it.observed_time_unix_nano, it.trace_id, it.span_id, it.severity_number, it.severity_text, body, it.event_name, attributes, service_name, scope_name))) AS event_id,
  'log' AS event_type,
  it.event_name AS event_name,
  'otlp' AS source,
  service_namespace AS ns,
  resource_attributes,
  resource_attribute_types,
  resource_schema_url,
  service_namespace,
  service_version,
  service_instance_id,
  host_name,
  cloud_provider,
  deployment_environment,
  scope_name,
  scope_version,
  scope_attributes,
  scope_attribute_types,
  scope_schema_url,
  if(res_service_name != '', res_service_name, cf_vals[indexOf(cf_keys, 'cloudflare.script_name')]) AS service_name,
  mapFromArrays(ak, av) AS attributes,
  mapFromArrays(arrayFilter((k, e) -> e != 'string_value', it.attributes.key, it.attributes.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', it.attributes.value.value))) AS attribute_types,
  if(has(ak, 'http.request.method'), av[indexOf(ak, 'http.request.method')], av[indexOf(ak, 'http.method')]) AS http_method,
  if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]) AS http_url,
  if(has(ak, 'server.address') OR has(ak, 'http.host'), if(has(ak, 'server.address'), av[indexOf(ak, 'server.address')], av[indexOf(ak, 'http.host')]), domain(if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]))) AS http_host,
  multiIf(has(ak, 'url.path'), av[indexOf(ak, 'url.path')], has(ak, 'http.target'), path(av[indexOf(ak, 'http.target')]), has(ak, 'http.route'), av[indexOf(ak, 'http.route')], path(if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]))) AS http_path,
  toUInt16OrZero(if(has(ak, 'http.response.status_code'), av[indexOf(ak, 'http.response.status_code')], av[indexOf(ak, 'http.status_code')])) AS http_status_code,
  if(has(ak, 'user_agent.original'), av[indexOf(ak, 'user_agent.original')], av[indexOf(ak, 'http.user_agent')]) AS user_agent,
  if(has(ak, 'correlation_id'), av[indexOf(ak, 'correlation_id')], av[indexOf(ak, 'correlation.id')]) AS correlation_id,
  if(has(ak, 'request_id') OR has(ak, 'http.request.id') OR has(ak, 'request.id'), if(has(ak, 'request_id'), av[indexOf(ak, 'request_id')], if(has(ak, 'http.request.id'), av[indexOf(ak, 'http.request.id')], av[indexOf(ak, 'request.id')])), cf_vals[indexOf(cf_keys, 'cloudflare.ray_id')]) AS request_id,
  if(has(ak, 'session.id'), av[indexOf(ak, 'session.id')], av[indexOf(ak, 'session_id')]) AS session_id,
  cf_vals[indexOf(cf_keys, 'cloudflare.colo')] AS geo_colo,
  toFloat64OrZero(cf_vals[indexOf(cf_keys, 'cloudflare.cpu_time_ms')]) AS cpu_time_ms,
  fromUnixTimestamp64Nano(toInt64(if(it.time_unix_nano = 0, it.observed_time_unix_nano, it.time_unix_nano))) AS timestamp,
  fromUnixTimestamp64Nano(toInt64(it.observed_time_unix_nano)) AS observed_timestamp,
  toUInt64(greatest(toFloat64OrZero(cf_vals[indexOf(cf_keys, 'cloudflare.wall_time_ms')]), 0) * 1000000) AS duration_ns,
  lower(hex(it.trace_id)) AS trace_id,
  lower(hex(it.span_id)) AS span_id,
  it.flags AS trace_flags,
  multiIf(it.body.value = 'string_value', it.body.string_value, it.body.value = 'int_value', toString(it.body.int_value), it.body.value = 'bool_value', if(it.body.bool_value, 'true', 'false'), it.body.value = 'double_value', toString(it.body.double_value), it.body.value = 'bytes_value', base64Encode(it.body.bytes_value), it.body.value IN ('array_value', 'kvlist_value'), concat(if(it.body.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat(if(x1.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k2, x2) -> concat(k2, multiIf(x2.value = 'string_value', toJSONString(x2.string_value), x2.value = 'int_value', toString(x2.int_value), x2.value = 'bool_value', if(x2.bool_value, 'true', 'false'), x2.value = 'double_value', multiIf(isNaN(x2.double_value), '"NaN"', isInfinite(x2.double_value), if(x2.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x2.double_value), '[.e]'), toString(x2.double_value), concat(toString(x2.double_value), '.0')), x2.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x2.bytes_value), '"}'), x2.value IN ('array_value', 'kvlist_value'), concat(if(x2.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k3, x3) -> concat(k3, multiIf(x3.value = 'string_value', toJSONString(x3.string_value), x3.value = 'int_value', toString(x3.int_value), x3.value = 'bool_value', if(x3.bool_value, 'true', 'false'), x3.value = 'double_value', multiIf(isNaN(x3.double_value), '"NaN"', isInfinite(x3.double_value), if(x3.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x3.double_value), '[.e]'), toString(x3.double_value), concat(toString(x3.double_value), '.0')), x3.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x3.bytes_value), '"}'), x3.value IN ('array_value', 'kvlist_value'), concat('{"', if(x3.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x3.value = 'array_value', x3.array_value, x3.kvlist_value)), '"}'), 'null')), if(x2.value = 'array_value', arrayMap(x3 -> '', x2.array_value.values), arrayMap(x3 -> concat(toJSONString(x3.key), ':'), x2.kvlist_value.values)), if(x2.value = 'array_value', x2.array_value.values, x2.kvlist_value.values.value)), ','), if(x2.value = 'array_value', ']', '}')), 'null')), if(x1.value = 'array_value', arrayMap(x2 -> '', x1.array_value.values), arrayMap(x2 -> concat(toJSONString(x2.key), ':'), x1.kvlist_value.values)), if(x1.value = 'array_value', x1.array_value.values, x1.kvlist_value.values.value)), ','), if(x1.value = 'array_value', ']', '}')), 'null')), if(it.body.value = 'array_value', arrayMap(x1 -> '', it.body.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), it.body.kvlist_value.values)), if(it.body.value = 'array_value', it.body.array_value.values, it.body.kvlist_value.values.value)), ','), if(it.body.value = 'array_value', ']', '}')), '') AS body,
  if(it.body.value = 'none', 'empty', replaceOne(toString(it.body.value), '_value', '')) AS body_type,
  if(empty(arrayStringConcat(arrayFilter(p -> p != '', [resource_data, if(it.time_unix_nano = 0, concat('"time_unix_nano_unset":', 'true'), '')]), ',')), '', concat('{', arrayStringConcat(arrayFilter(p -> p != '', [resource_data, if(it.time_unix_nano = 0, concat('"time_unix_nano_unset":', 'true'), '')]), ','), '}')) AS data,
  if(cf_vals[indexOf(cf_keys, 'cloudflare.outcome')] != '', cf_vals[indexOf(cf_keys, 'cloudflare.outcome')], if(least(it.severity_number, 255) >= 17, 'error', 'ok')) AS outcome,
  multiIf(least(it.severity_number, 255) >= 21, 0, least(it.severity_number, 255) >= 17, 1, least(it.severity_number, 255) >= 13, 2, 3) AS importance,
  it.severity_text AS severity_text,
  least(it.severity_number, 255) AS severity_number,
  it.dropped_attributes_count AS dropped_attributes_count,
  av[indexOf(ak, 'exception.type')] AS exception_type,
  av[indexOf(ak, 'exception.message')] AS exception_message,
  av[indexOf(ak, 'exception.stacktrace')] AS exception_stacktrace
FROM (
  SELECT *, it.attributes.key AS ak, if(cf_row, arrayConcat(arrayFilter(k -> startsWith(k, 'cloudflare.'), it.attributes.key), res_cf_keys), []) AS cf_keys, if(cf_row, arrayConcat(arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), av, it.attributes.key), res_cf_vals), []) AS cf_vals
  FROM (
    SELECT resource_attributes, resource_attribute_types, resource_schema_url, res_service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, scope_schema_url, resource_data, res_cf_keys, res_cf_vals, it, (notEmpty(res_cf_keys) OR arrayExists(k -> startsWith(k, 'cloudflare.'), it.attributes.key)) AS cf_row,
      arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), it.attributes) AS av
    FROM (
  SELECT CAST(resource_attributes, 'Map(LowCardinality(String), String)') AS resource_attributes, CAST(resource_attribute_types, 'Map(LowCardinality(String), LowCardinality(String))') AS resource_attribute_types, CAST(resource_schema_url, 'LowCardinality(String)') AS resource_schema_url, CAST(res_service_name, 'LowCardinality(String)') AS res_service_name, CAST(service_namespace, 'LowCardinality(String)') AS service_namespace, CAST(service_version, 'LowCardinality(String)') AS service_version, CAST(service_instance_id, 'String') AS service_instance_id, CAST(host_name, 'LowCardinality(String)') AS host_name, CAST(cloud_provider, 'LowCardinality(String)') AS cloud_provider, CAST(deployment_environment, 'LowCardinality(String)') AS deployment_environment, CAST(scope_name, 'LowCardinality(String)') AS scope_name, CAST(scope_version, 'LowCardinality(String)') AS scope_version, CAST(scope_attributes, 'Map(LowCardinality(String), String)') AS scope_attributes, CAST(scope_attribute_types, 'Map(LowCardinality(String), LowCardinality(String))') AS scope_attribute_types, CAST(scope_schema_url, 'LowCardinality(String)') AS scope_schema_url, resource_data, res_cf_keys, res_cf_vals, items
  FROM (
    SELECT
      mapFromArrays(res_kvs.key, sr[1]) AS resource_attributes,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', res_kvs.key, res_kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', res_kvs.value.value))) AS resource_attribute_types,
      res_schema_url AS resource_schema_url,
      sr[1][indexOf(res_kvs.key, 'service.name')] AS res_service_name,
      sr[1][indexOf(res_kvs.key, 'service.namespace')] AS service_namespace,
      sr[1][indexOf(res_kvs.key, 'service.version')] AS service_version,
      sr[1][indexOf(res_kvs.key, 'service.instance.id')] AS service_instance_id,
      sr[1][indexOf(res_kvs.key, 'host.name')] AS host_name,
      sr[1][indexOf(res_kvs.key, 'cloud.provider')] AS cloud_provider,
      if(has(res_kvs.key, 'deployment.environment.name'), sr[1][indexOf(res_kvs.key, 'deployment.environment.name')], sr[1][indexOf(res_kvs.key, 'deployment.environment')]) AS deployment_environment,
      scope_name, scope_version,
      mapFromArrays(scope_kvs.key, sr[2]) AS scope_attributes,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', scope_kvs.key, scope_kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', scope_kvs.value.value))) AS scope_attribute_types,
      scope_schema_url,
      arrayStringConcat(arrayFilter(p -> p != '', [if(res_dropped > 0, concat('"resource_dropped_attributes_count":', toString(res_dropped)), ''), if(ss_dropped > 0, concat('"scope_dropped_attributes_count":', toString(ss_dropped)), ''), if(notEmpty(res_entity_refs), concat('"resource_entity_refs":', toJSONString(res_entity_refs)), '')]), ',') AS resource_data,
      arrayFilter(k -> startsWith(k, 'cloudflare.'), res_kvs.key) AS res_cf_keys,
      arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), sr[1], res_kvs.key) AS res_cf_vals,
      items
    FROM (
      SELECT res_kvs, res_schema_url, res_dropped, res_entity_refs,
        ss.scope.name AS scope_name, ss.scope.version AS scope_version, ss.scope.attributes AS scope_kvs,
        ss.scope.dropped_attributes_count AS ss_dropped, ss.schema_url AS scope_schema_url,
        arrayMap(kvs -> arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), kvs), [res_kvs, ss.scope.attributes]) AS sr,
        ss.log_records AS items
      FROM (
        SELECT rs.resource.attributes AS res_kvs, rs.schema_url AS res_schema_url,
          rs.resource.dropped_attributes_count AS res_dropped, rs.resource.entity_refs AS res_entity_refs,
          rs.scope_logs AS scopes
        FROM `tailhouse`.otlp_logs_landing ARRAY JOIN resource_logs AS rs
      ) ARRAY JOIN scopes AS ss
    )
  )
) ARRAY JOIN items AS it
  )
);

ALTER TABLE `tailhouse`.otlp_metrics_mv MODIFY QUERY
SELECT
  lower(hex(sipHash128(metric_name, tupleElement(pt, 3), tupleElement(pt, 4), tupleElement(pt, 2).key, attributes, resource_attributes, scope_name, tupleElement(pt, 5), tupleElement(pt, 10), tupleElement(pt, 11)))) AS event_id,
  'metric' AS event_type,
  metric_name AS event_name,
  'otlp' AS source,
  service_namespace AS ns,
  resource_attributes,
  resource_attribute_types,
  resource_schema_url,
  service_namespace,
  service_version,
  service_instance_id,
  host_name,
  cloud_provider,
  deployment_environment,
  scope_name,
  scope_version,
  scope_attributes,
  scope_attribute_types,
  scope_schema_url,
  res_service_name AS service_name,
  fromUnixTimestamp64Nano(toInt64(tupleElement(pt, 4))) AS timestamp,
  fromUnixTimestamp64Nano(toInt64(tupleElement(pt, 4))) AS observed_timestamp,
  fromUnixTimestamp64Nano(toInt64(tupleElement(pt, 3))) AS start_timestamp,
  mapFromArrays(tupleElement(pt, 2).key, av) AS attributes,
  mapFromArrays(arrayFilter((k, e) -> e != 'string_value', tupleElement(pt, 2).key, tupleElement(pt, 2).value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', tupleElement(pt, 2).value.value))) AS attribute_types,
  if(empty(arrayStringConcat(arrayFilter(p -> p != '', [resource_data, if(tupleElement(pt, 6) = 'as_int', concat('"as_int":', toString(tupleElement(pt, 7))), ''), if(tupleElement(pt, 1) IN ('histogram', 'exponential_histogram') AND tupleElement(pt, 12) = 0, concat('"has_sum":', 'false'), ''), if(tupleElement(pt, 9) != 0, concat('"flags":', toString(tupleElement(pt, 9))), ''), if(notEmpty(metric_metadata), concat('"metric_metadata":', toJSONString(metric_metadata)), ''), if(notEmpty(metric_metadata_types), concat('"metric_metadata_types":', toJSONString(metric_metadata_types)), '')]), ',')), '', concat('{', arrayStringConcat(arrayFilter(p -> p != '', [resource_data, if(tupleElement(pt, 6) = 'as_int', concat('"as_int":', toString(tupleElement(pt, 7))), ''), if(tupleElement(pt, 1) IN ('histogram', 'exponential_histogram') AND tupleElement(pt, 12) = 0, concat('"has_sum":', 'false'), ''), if(tupleElement(pt, 9) != 0, concat('"flags":', toString(tupleElement(pt, 9))), ''), if(notEmpty(metric_metadata), concat('"metric_metadata":', toJSONString(metric_metadata)), ''), if(notEmpty(metric_metadata_types), concat('"metric_metadata_types":', toJSONString(metric_metadata_types)), '')]), ','), '}')) AS data,
  3 AS importance,
  tupleElement(pt, 1) AS metric_type,
  metric_unit,
  metric_description,
  tupleElement(pt, 5) AS value,
  tupleElement(pt, 27) AS is_monotonic,
  tupleElement(pt, 26) AS aggregation_temporality,
  tupleElement(pt, 10) AS count,
  tupleElement(pt, 11) AS sum,
  tupleElement(pt, 13) AS min,
  tupleElement(pt, 14) AS max,
  tupleElement(pt, 15) AS bucket_counts,
  tupleElement(pt, 16) AS explicit_bounds,
  tupleElement(pt, 17) AS exp_scale,
  tupleElement(pt, 18) AS exp_zero_count,
  tupleElement(pt, 19) AS exp_zero_threshold,
  tupleElement(pt, 20) AS exp_positive_offset,
  tupleElement(pt, 21) AS exp_positive_bucket_counts,
  tupleElement(pt, 22) AS exp_negative_offset,
  tupleElement(pt, 23) AS exp_negative_bucket_counts,
  tupleElement(pt, 24) AS `quantiles.quantile`,
  tupleElement(pt, 25) AS `quantiles.value`,
  arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano)), tupleElement(pt, 8)) AS `exemplars.timestamp`,
  arrayMap(e -> if(e.exemplar_value = 'as_int', toFloat64(e.as_int), e.as_double), tupleElement(pt, 8)) AS `exemplars.value`,
  arrayMap(e -> lower(hex(e.trace_id)), tupleElement(pt, 8)) AS `exemplars.trace_id`,
  arrayMap(e -> lower(hex(e.span_id)), tupleElement(pt, 8)) AS `exemplars.span_id`,
  arrayMap((kvs, rr) -> mapFromArrays(kvs.key, rr), tupleElement(pt, 8).filtered_attributes, er) AS `exemplars.filtered_attributes`
FROM (
  SELECT resource_attributes, resource_attribute_types, resource_schema_url, res_service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, scope_schema_url, resource_data, res_cf_keys, res_cf_vals, metric_name, metric_description, metric_unit, metric_metadata, metric_metadata_types, pt,
    arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), tupleElement(pt, 2)) AS av, arrayMap(kvs -> arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), kvs), tupleElement(pt, 8).filtered_attributes) AS er
  FROM (
    SELECT resource_attributes, resource_attribute_types, resource_schema_url, res_service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, scope_schema_url, resource_data, res_cf_keys, res_cf_vals, m.name AS metric_name, m.description AS metric_description, m.unit AS metric_unit,
      mapFromArrays(m.metadata.key, mr[1]) AS metric_metadata,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', m.metadata.key, m.metadata.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', m.metadata.value.value))) AS metric_metadata_types,
      points
    FROM (
      SELECT resource_attributes, resource_attribute_types, resource_schema_url, res_service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, scope_schema_url, resource_data, res_cf_keys, res_cf_vals, m, arrayMap(kvs -> arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), kvs), [m.metadata]) AS mr, arrayConcat(arrayMap(p -> tuple('gauge', p.attributes, p.start_time_unix_nano, p.time_unix_nano, if(p.number_value = 'as_int', toFloat64(p.as_int), p.as_double), toString(p.number_value), p.as_int, p.exemplars, toUInt32(p.flags), toUInt64(0), toFloat64(0), toUInt8(0), CAST(NULL, 'Nullable(Float64)'), CAST(NULL, 'Nullable(Float64)'), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), toInt32(0), toUInt64(0), toFloat64(0), toInt32(0), CAST([], 'Array(UInt64)'), toInt32(0), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), CAST([], 'Array(Float64)'), '', false), m.gauge.data_points), arrayMap(p -> tuple('sum', p.attributes, p.start_time_unix_nano, p.time_unix_nano, if(p.number_value = 'as_int', toFloat64(p.as_int), p.as_double), toString(p.number_value), p.as_int, p.exemplars, toUInt32(p.flags), toUInt64(0), toFloat64(0), toUInt8(0), CAST(NULL, 'Nullable(Float64)'), CAST(NULL, 'Nullable(Float64)'), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), toInt32(0), toUInt64(0), toFloat64(0), toInt32(0), CAST([], 'Array(UInt64)'), toInt32(0), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), CAST([], 'Array(Float64)'), transform(m.sum.aggregation_temporality, [0, 1, 2], ['unspecified', 'delta', 'cumulative'], toString(m.sum.aggregation_temporality)), m.sum.is_monotonic), m.sum.data_points), arrayMap(p -> tuple('histogram', p.attributes, p.start_time_unix_nano, p.time_unix_nano, toFloat64(0), '', toInt64(0), p.exemplars, toUInt32(p.flags), p.count, p.sum, toUInt8(p.sumcase = 'sum'), if(p.mincase = 'min', toNullable(p.min), NULL), if(p.maxcase = 'max', toNullable(p.max), NULL), p.bucket_counts, p.explicit_bounds, toInt32(0), toUInt64(0), toFloat64(0), toInt32(0), CAST([], 'Array(UInt64)'), toInt32(0), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), CAST([], 'Array(Float64)'), transform(m.histogram.aggregation_temporality, [0, 1, 2], ['unspecified', 'delta', 'cumulative'], toString(m.histogram.aggregation_temporality)), false), m.histogram.data_points), arrayMap(p -> tuple('exponential_histogram', p.attributes, p.start_time_unix_nano, p.time_unix_nano, toFloat64(0), '', toInt64(0), p.exemplars, toUInt32(p.flags), p.count, p.sum, toUInt8(p.sumcase = 'sum'), if(p.mincase = 'min', toNullable(p.min), NULL), if(p.maxcase = 'max', toNullable(p.max), NULL), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), p.scale, p.zero_count, p.zero_threshold, p.positive.offset, p.positive.bucket_counts, p.negative.offset, p.negative.bucket_counts, CAST([], 'Array(Float64)'), CAST([], 'Array(Float64)'), transform(m.exponential_histogram.aggregation_temporality, [0, 1, 2], ['unspecified', 'delta', 'cumulative'], toString(m.exponential_histogram.aggregation_temporality)), false), m.exponential_histogram.data_points), arrayMap(p -> tuple('summary', p.attributes, p.start_time_unix_nano, p.time_unix_nano, toFloat64(0), '', toInt64(0), CAST([], 'Array(Tuple(`filtered_attributes` Array(Tuple(`key` String, `value` Tuple(`value` Enum8(\'none\' = 0, \'string_value\' = 1, \'bool_value\' = 2, \'int_value\' = 3, \'double_value\' = 4, \'array_value\' = 5, \'kvlist_value\' = 6, \'bytes_value\' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` Tuple(`values` Array(Tuple(`value` Enum8(\'none\' = 0, \'string_value\' = 1, \'bool_value\' = 2, \'int_value\' = 3, \'double_value\' = 4, \'array_value\' = 5, \'kvlist_value\' = 6, \'bytes_value\' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String))), `kvlist_value` Tuple(`values` Array(Tuple(`key` String, `value` Tuple(`value` Enum8(\'none\' = 0, \'string_value\' = 1, \'bool_value\' = 2, \'int_value\' = 3, \'double_value\' = 4, \'array_value\' = 5, \'kvlist_value\' = 6, \'bytes_value\' = 7), `string_value` String, `bool_value` Bool, `int_value` Int64, `double_value` Float64, `array_value` String, `kvlist_value` String, `bytes_value` String)))), `bytes_value` String))), `time_unix_nano` UInt64, `exemplar_value` Enum8(\'none\' = 0, \'as_double\' = 3, \'as_int\' = 6), `as_double` Float64, `as_int` Int64, `span_id` String, `trace_id` String))'), toUInt32(p.flags), p.count, p.sum, toUInt8(1), CAST(NULL, 'Nullable(Float64)'), CAST(NULL, 'Nullable(Float64)'), CAST([], 'Array(UInt64)'), CAST([], 'Array(Float64)'), toInt32(0), toUInt64(0), toFloat64(0), toInt32(0), CAST([], 'Array(UInt64)'), toInt32(0), CAST([], 'Array(UInt64)'), p.quantile_values.quantile, p.quantile_values.value, '', false), m.summary.data_points)) AS points
      FROM (
  SELECT CAST(resource_attributes, 'Map(LowCardinality(String), String)') AS resource_attributes, CAST(resource_attribute_types, 'Map(LowCardinality(String), LowCardinality(String))') AS resource_attribute_types, CAST(resource_schema_url, 'LowCardinality(String)') AS resource_schema_url, CAST(res_service_name, 'LowCardinality(String)') AS res_service_name, CAST(service_namespace, 'LowCardinality(String)') AS service_namespace, CAST(service_version, 'LowCardinality(String)') AS service_version, CAST(service_instance_id, 'String') AS service_instance_id, CAST(host_name, 'LowCardinality(String)') AS host_name, CAST(cloud_provider, 'LowCardinality(String)') AS cloud_provider, CAST(deployment_environment, 'LowCardinality(String)') AS deployment_environment, CAST(scope_name, 'LowCardinality(String)') AS scope_name, CAST(scope_version, 'LowCardinality(String)') AS scope_version, CAST(scope_attributes, 'Map(LowCardinality(String), String)') AS scope_attributes, CAST(scope_attribute_types, 'Map(LowCardinality(String), LowCardinality(String))') AS scope_attribute_types, CAST(scope_schema_url, 'LowCardinality(String)') AS scope_schema_url, resource_data, res_cf_keys, res_cf_vals, items
  FROM (
    SELECT
      mapFromArrays(res_kvs.key, sr[1]) AS resource_attributes,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', res_kvs.key, res_kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', res_kvs.value.value))) AS resource_attribute_types,
      res_schema_url AS resource_schema_url,
      sr[1][indexOf(res_kvs.key, 'service.name')] AS res_service_name,
      sr[1][indexOf(res_kvs.key, 'service.namespace')] AS service_namespace,
      sr[1][indexOf(res_kvs.key, 'service.version')] AS service_version,
      sr[1][indexOf(res_kvs.key, 'service.instance.id')] AS service_instance_id,
      sr[1][indexOf(res_kvs.key, 'host.name')] AS host_name,
      sr[1][indexOf(res_kvs.key, 'cloud.provider')] AS cloud_provider,
      if(has(res_kvs.key, 'deployment.environment.name'), sr[1][indexOf(res_kvs.key, 'deployment.environment.name')], sr[1][indexOf(res_kvs.key, 'deployment.environment')]) AS deployment_environment,
      scope_name, scope_version,
      mapFromArrays(scope_kvs.key, sr[2]) AS scope_attributes,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', scope_kvs.key, scope_kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', scope_kvs.value.value))) AS scope_attribute_types,
      scope_schema_url,
      arrayStringConcat(arrayFilter(p -> p != '', [if(res_dropped > 0, concat('"resource_dropped_attributes_count":', toString(res_dropped)), ''), if(ss_dropped > 0, concat('"scope_dropped_attributes_count":', toString(ss_dropped)), ''), if(notEmpty(res_entity_refs), concat('"resource_entity_refs":', toJSONString(res_entity_refs)), '')]), ',') AS resource_data,
      arrayFilter(k -> startsWith(k, 'cloudflare.'), res_kvs.key) AS res_cf_keys,
      arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), sr[1], res_kvs.key) AS res_cf_vals,
      items
    FROM (
      SELECT res_kvs, res_schema_url, res_dropped, res_entity_refs,
        ss.scope.name AS scope_name, ss.scope.version AS scope_version, ss.scope.attributes AS scope_kvs,
        ss.scope.dropped_attributes_count AS ss_dropped, ss.schema_url AS scope_schema_url,
        arrayMap(kvs -> arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), kvs), [res_kvs, ss.scope.attributes]) AS sr,
        ss.metrics AS items
      FROM (
        SELECT rs.resource.attributes AS res_kvs, rs.schema_url AS res_schema_url,
          rs.resource.dropped_attributes_count AS res_dropped, rs.resource.entity_refs AS res_entity_refs,
          rs.scope_metrics AS scopes
        FROM `tailhouse`.otlp_metrics_landing ARRAY JOIN resource_metrics AS rs
      ) ARRAY JOIN scopes AS ss
    )
  )
) ARRAY JOIN items AS m
    )
  ) ARRAY JOIN points AS pt
);

ALTER TABLE `tailhouse`.trace_id_ts MODIFY SETTING non_replicated_deduplication_window = 10000;

ALTER TABLE `tailhouse`.otlp_traces_mv MODIFY QUERY
SELECT
  concat(lower(hex(it.trace_id)), lower(hex(it.span_id))) AS event_id,
  'span' AS event_type,
  it.name AS event_name,
  'otlp' AS source,
  service_namespace AS ns,
  resource_attributes,
  resource_attribute_types,
  resource_schema_url,
  service_namespace,
  service_version,
  service_instance_id,
  host_name,
  cloud_provider,
  deployment_environment,
  scope_name,
  scope_version,
  scope_attributes,
  scope_attribute_types,
  scope_schema_url,
  if(res_service_name != '', res_service_name, cf_vals[indexOf(cf_keys, 'cloudflare.script_name')]) AS service_name,
  mapFromArrays(ak, av) AS attributes,
  mapFromArrays(arrayFilter((k, e) -> e != 'string_value', it.attributes.key, it.attributes.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', it.attributes.value.value))) AS attribute_types,
  if(has(ak, 'http.request.method'), av[indexOf(ak, 'http.request.method')], av[indexOf(ak, 'http.method')]) AS http_method,
  if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]) AS http_url,
  if(has(ak, 'server.address') OR has(ak, 'http.host'), if(has(ak, 'server.address'), av[indexOf(ak, 'server.address')], av[indexOf(ak, 'http.host')]), trim(BOTH '[]' FROM extract(if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]), '^(?:[^:/?#]+:)?//(?:[^/?#@]*@)?(\\[[^/?#]*\\]|[^/?#:]*)'))) AS http_host,
  multiIf(has(ak, 'url.path'), av[indexOf(ak, 'url.path')], has(ak, 'http.target'), extract(av[indexOf(ak, 'http.target')], '^(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)'), has(ak, 'http.route'), av[indexOf(ak, 'http.route')], extract(if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]), '^(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)')) AS http_path,
  toUInt16OrZero(if(has(ak, 'http.response.status_code'), av[indexOf(ak, 'http.response.status_code')], av[indexOf(ak, 'http.status_code')])) AS http_status_code,
  if(has(ak, 'user_agent.original'), av[indexOf(ak, 'user_agent.original')], av[indexOf(ak, 'http.user_agent')]) AS user_agent,
  if(has(ak, 'correlation_id'), av[indexOf(ak, 'correlation_id')], av[indexOf(ak, 'correlation.id')]) AS correlation_id,
  if(has(ak, 'request_id') OR has(ak, 'http.request.id') OR has(ak, 'request.id'), if(has(ak, 'request_id'), av[indexOf(ak, 'request_id')], if(has(ak, 'http.request.id'), av[indexOf(ak, 'http.request.id')], av[indexOf(ak, 'request.id')])), cf_vals[indexOf(cf_keys, 'cloudflare.ray_id')]) AS request_id,
  if(has(ak, 'session.id'), av[indexOf(ak, 'session.id')], av[indexOf(ak, 'session_id')]) AS session_id,
  cf_vals[indexOf(cf_keys, 'cloudflare.colo')] AS geo_colo,
  toFloat64OrZero(cf_vals[indexOf(cf_keys, 'cloudflare.cpu_time_ms')]) AS cpu_time_ms,
  fromUnixTimestamp64Nano(toInt64(it.start_time_unix_nano)) AS timestamp,
  fromUnixTimestamp64Nano(toInt64(it.start_time_unix_nano)) AS observed_timestamp,
  fromUnixTimestamp64Nano(toInt64(it.end_time_unix_nano)) AS end_timestamp,
  if(if(it.end_time_unix_nano > it.start_time_unix_nano, it.end_time_unix_nano - it.start_time_unix_nano, 0) > 0, if(it.end_time_unix_nano > it.start_time_unix_nano, it.end_time_unix_nano - it.start_time_unix_nano, 0), toUInt64(greatest(toFloat64OrZero(cf_vals[indexOf(cf_keys, 'cloudflare.wall_time_ms')]), 0) * 1000000)) AS duration_ns,
  lower(hex(it.trace_id)) AS trace_id,
  lower(hex(it.span_id)) AS span_id,
  lower(hex(it.parent_span_id)) AS parent_span_id,
  it.trace_state AS trace_state,
  it.flags AS trace_flags,
  if(empty(resource_data), '', concat('{', resource_data, '}')) AS data,
  transform(it.status.code, [0, 1, 2], ['Unset', 'Ok', 'Error'], toString(it.status.code)) AS status_code,
  it.status.message AS status_message,
  if(cf_vals[indexOf(cf_keys, 'cloudflare.outcome')] != '', cf_vals[indexOf(cf_keys, 'cloudflare.outcome')], if(it.status.code = 2, 'error', 'ok')) AS outcome,
  if(it.status.code = 2 OR http_status_code >= 500, 1, 3) AS importance,
  transform(it.kind, [0, 1, 2, 3, 4, 5], ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'], toString(it.kind)) AS span_kind,
  arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano)), it.events) AS `events.timestamp`,
  it.events.name AS `events.name`,
  arrayMap((kvs, rr) -> mapFromArrays(kvs.key, rr), it.events.attributes, arraySlice(er, 1, length(it.events))) AS `events.attributes`,
  arrayMap(kvs -> mapFromArrays(arrayFilter((k, e) -> e != 'string_value', kvs.key, kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', kvs.value.value))), it.events.attributes) AS `events.attribute_types`,
  it.events.dropped_attributes_count AS `events.dropped_attributes_count`,
  arrayMap(l -> lower(hex(l.trace_id)), it.links) AS `links.trace_id`,
  arrayMap(l -> lower(hex(l.span_id)), it.links) AS `links.span_id`,
  it.links.trace_state AS `links.trace_state`,
  arrayMap((kvs, rr) -> mapFromArrays(kvs.key, rr), it.links.attributes, arraySlice(er, length(it.events) + 1)) AS `links.attributes`,
  arrayMap(kvs -> mapFromArrays(arrayFilter((k, e) -> e != 'string_value', kvs.key, kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', kvs.value.value))), it.links.attributes) AS `links.attribute_types`,
  it.links.flags AS `links.flags`,
  it.links.dropped_attributes_count AS `links.dropped_attributes_count`,
  it.dropped_attributes_count AS dropped_attributes_count,
  it.dropped_events_count AS dropped_events_count,
  it.dropped_links_count AS dropped_links_count,
  arraySlice(er, 1, length(it.events))[indexOf(it.events.name, 'exception')][indexOf(it.events.attributes[indexOf(it.events.name, 'exception')].key, 'exception.type')] AS exception_type,
  arraySlice(er, 1, length(it.events))[indexOf(it.events.name, 'exception')][indexOf(it.events.attributes[indexOf(it.events.name, 'exception')].key, 'exception.message')] AS exception_message,
  arraySlice(er, 1, length(it.events))[indexOf(it.events.name, 'exception')][indexOf(it.events.attributes[indexOf(it.events.name, 'exception')].key, 'exception.stacktrace')] AS exception_stacktrace
FROM (
  SELECT *, it.attributes.key AS ak, if(cf_row, arrayConcat(arrayFilter(k -> startsWith(k, 'cloudflare.'), it.attributes.key), res_cf_keys), []) AS cf_keys, if(cf_row, arrayConcat(arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), av, it.attributes.key), res_cf_vals), []) AS cf_vals
  FROM (
    SELECT resource_attributes, resource_attribute_types, resource_schema_url, res_service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, scope_schema_url, resource_data, res_cf_keys, res_cf_vals, it, (notEmpty(res_cf_keys) OR arrayExists(k -> startsWith(k, 'cloudflare.'), it.attributes.key)) AS cf_row,
      arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), it.attributes) AS av, arrayMap(kvs -> arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), kvs), arrayConcat(it.events.attributes, it.links.attributes)) AS er
    FROM (
  SELECT CAST(resource_attributes, 'Map(LowCardinality(String), String)') AS resource_attributes, CAST(resource_attribute_types, 'Map(LowCardinality(String), LowCardinality(String))') AS resource_attribute_types, CAST(resource_schema_url, 'LowCardinality(String)') AS resource_schema_url, CAST(res_service_name, 'LowCardinality(String)') AS res_service_name, CAST(service_namespace, 'LowCardinality(String)') AS service_namespace, CAST(service_version, 'LowCardinality(String)') AS service_version, CAST(service_instance_id, 'String') AS service_instance_id, CAST(host_name, 'LowCardinality(String)') AS host_name, CAST(cloud_provider, 'LowCardinality(String)') AS cloud_provider, CAST(deployment_environment, 'LowCardinality(String)') AS deployment_environment, CAST(scope_name, 'LowCardinality(String)') AS scope_name, CAST(scope_version, 'LowCardinality(String)') AS scope_version, CAST(scope_attributes, 'Map(LowCardinality(String), String)') AS scope_attributes, CAST(scope_attribute_types, 'Map(LowCardinality(String), LowCardinality(String))') AS scope_attribute_types, CAST(scope_schema_url, 'LowCardinality(String)') AS scope_schema_url, resource_data, res_cf_keys, res_cf_vals, items
  FROM (
    SELECT
      mapFromArrays(res_kvs.key, sr[1]) AS resource_attributes,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', res_kvs.key, res_kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', res_kvs.value.value))) AS resource_attribute_types,
      res_schema_url AS resource_schema_url,
      sr[1][indexOf(res_kvs.key, 'service.name')] AS res_service_name,
      sr[1][indexOf(res_kvs.key, 'service.namespace')] AS service_namespace,
      sr[1][indexOf(res_kvs.key, 'service.version')] AS service_version,
      sr[1][indexOf(res_kvs.key, 'service.instance.id')] AS service_instance_id,
      sr[1][indexOf(res_kvs.key, 'host.name')] AS host_name,
      sr[1][indexOf(res_kvs.key, 'cloud.provider')] AS cloud_provider,
      if(has(res_kvs.key, 'deployment.environment.name'), sr[1][indexOf(res_kvs.key, 'deployment.environment.name')], sr[1][indexOf(res_kvs.key, 'deployment.environment')]) AS deployment_environment,
      scope_name, scope_version,
      mapFromArrays(scope_kvs.key, sr[2]) AS scope_attributes,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', scope_kvs.key, scope_kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', scope_kvs.value.value))) AS scope_attribute_types,
      scope_schema_url,
      arrayStringConcat(arrayFilter(p -> p != '', [if(res_dropped > 0, concat('"resource_dropped_attributes_count":', toString(res_dropped)), ''), if(ss_dropped > 0, concat('"scope_dropped_attributes_count":', toString(ss_dropped)), ''), if(notEmpty(res_entity_refs), concat('"resource_entity_refs":', toJSONString(res_entity_refs)), '')]), ',') AS resource_data,
      arrayFilter(k -> startsWith(k, 'cloudflare.'), res_kvs.key) AS res_cf_keys,
      arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), sr[1], res_kvs.key) AS res_cf_vals,
      items
    FROM (
      SELECT res_kvs, res_schema_url, res_dropped, res_entity_refs,
        ss.scope.name AS scope_name, ss.scope.version AS scope_version, ss.scope.attributes AS scope_kvs,
        ss.scope.dropped_attributes_count AS ss_dropped, ss.schema_url AS scope_schema_url,
        arrayMap(kvs -> arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), kvs), [res_kvs, ss.scope.attributes]) AS sr,
        ss.spans AS items
      FROM (
        SELECT rs.resource.attributes AS res_kvs, rs.schema_url AS res_schema_url,
          rs.resource.dropped_attributes_count AS res_dropped, rs.resource.entity_refs AS res_entity_refs,
          rs.scope_spans AS scopes
        FROM `tailhouse`.otlp_traces_landing ARRAY JOIN resource_spans AS rs
      ) ARRAY JOIN scopes AS ss
    )
  )
) ARRAY JOIN items AS it
  )
);

ALTER TABLE `tailhouse`.otlp_logs_mv MODIFY QUERY
SELECT
  lower(hex(sipHash128(it.time_unix_nano, it.observed_time_unix_nano, it.trace_id, it.span_id, it.severity_number, it.severity_text, body, it.event_name, attributes, service_name, scope_name))) AS event_id,
  'log' AS event_type,
  it.event_name AS event_name,
  'otlp' AS source,
  service_namespace AS ns,
  resource_attributes,
  resource_attribute_types,
  resource_schema_url,
  service_namespace,
  service_version,
  service_instance_id,
  host_name,
  cloud_provider,
  deployment_environment,
  scope_name,
  scope_version,
  scope_attributes,
  scope_attribute_types,
  scope_schema_url,
  if(res_service_name != '', res_service_name, cf_vals[indexOf(cf_keys, 'cloudflare.script_name')]) AS service_name,
  mapFromArrays(ak, av) AS attributes,
  mapFromArrays(arrayFilter((k, e) -> e != 'string_value', it.attributes.key, it.attributes.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', it.attributes.value.value))) AS attribute_types,
  if(has(ak, 'http.request.method'), av[indexOf(ak, 'http.request.method')], av[indexOf(ak, 'http.method')]) AS http_method,
  if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]) AS http_url,
  if(has(ak, 'server.address') OR has(ak, 'http.host'), if(has(ak, 'server.address'), av[indexOf(ak, 'server.address')], av[indexOf(ak, 'http.host')]), trim(BOTH '[]' FROM extract(if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]), '^(?:[^:/?#]+:)?//(?:[^/?#@]*@)?(\\[[^/?#]*\\]|[^/?#:]*)'))) AS http_host,
  multiIf(has(ak, 'url.path'), av[indexOf(ak, 'url.path')], has(ak, 'http.target'), extract(av[indexOf(ak, 'http.target')], '^(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)'), has(ak, 'http.route'), av[indexOf(ak, 'http.route')], extract(if(has(ak, 'url.full'), av[indexOf(ak, 'url.full')], av[indexOf(ak, 'http.url')]), '^(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)')) AS http_path,
  toUInt16OrZero(if(has(ak, 'http.response.status_code'), av[indexOf(ak, 'http.response.status_code')], av[indexOf(ak, 'http.status_code')])) AS http_status_code,
  if(has(ak, 'user_agent.original'), av[indexOf(ak, 'user_agent.original')], av[indexOf(ak, 'http.user_agent')]) AS user_agent,
  if(has(ak, 'correlation_id'), av[indexOf(ak, 'correlation_id')], av[indexOf(ak, 'correlation.id')]) AS correlation_id,
  if(has(ak, 'request_id') OR has(ak, 'http.request.id') OR has(ak, 'request.id'), if(has(ak, 'request_id'), av[indexOf(ak, 'request_id')], if(has(ak, 'http.request.id'), av[indexOf(ak, 'http.request.id')], av[indexOf(ak, 'request.id')])), cf_vals[indexOf(cf_keys, 'cloudflare.ray_id')]) AS request_id,
  if(has(ak, 'session.id'), av[indexOf(ak, 'session.id')], av[indexOf(ak, 'session_id')]) AS session_id,
  cf_vals[indexOf(cf_keys, 'cloudflare.colo')] AS geo_colo,
  toFloat64OrZero(cf_vals[indexOf(cf_keys, 'cloudflare.cpu_time_ms')]) AS cpu_time_ms,
  fromUnixTimestamp64Nano(toInt64(if(it.time_unix_nano = 0, it.observed_time_unix_nano, it.time_unix_nano))) AS timestamp,
  fromUnixTimestamp64Nano(toInt64(it.observed_time_unix_nano)) AS observed_timestamp,
  toUInt64(greatest(toFloat64OrZero(cf_vals[indexOf(cf_keys, 'cloudflare.wall_time_ms')]), 0) * 1000000) AS duration_ns,
  lower(hex(it.trace_id)) AS trace_id,
  lower(hex(it.span_id)) AS span_id,
  it.flags AS trace_flags,
  multiIf(it.body.value = 'string_value', it.body.string_value, it.body.value = 'int_value', toString(it.body.int_value), it.body.value = 'bool_value', if(it.body.bool_value, 'true', 'false'), it.body.value = 'double_value', toString(it.body.double_value), it.body.value = 'bytes_value', base64Encode(it.body.bytes_value), it.body.value IN ('array_value', 'kvlist_value'), concat(if(it.body.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat(if(x1.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k2, x2) -> concat(k2, multiIf(x2.value = 'string_value', toJSONString(x2.string_value), x2.value = 'int_value', toString(x2.int_value), x2.value = 'bool_value', if(x2.bool_value, 'true', 'false'), x2.value = 'double_value', multiIf(isNaN(x2.double_value), '"NaN"', isInfinite(x2.double_value), if(x2.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x2.double_value), '[.e]'), toString(x2.double_value), concat(toString(x2.double_value), '.0')), x2.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x2.bytes_value), '"}'), x2.value IN ('array_value', 'kvlist_value'), concat(if(x2.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k3, x3) -> concat(k3, multiIf(x3.value = 'string_value', toJSONString(x3.string_value), x3.value = 'int_value', toString(x3.int_value), x3.value = 'bool_value', if(x3.bool_value, 'true', 'false'), x3.value = 'double_value', multiIf(isNaN(x3.double_value), '"NaN"', isInfinite(x3.double_value), if(x3.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x3.double_value), '[.e]'), toString(x3.double_value), concat(toString(x3.double_value), '.0')), x3.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x3.bytes_value), '"}'), x3.value IN ('array_value', 'kvlist_value'), concat('{"', if(x3.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x3.value = 'array_value', x3.array_value, x3.kvlist_value)), '"}'), 'null')), if(x2.value = 'array_value', arrayMap(x3 -> '', x2.array_value.values), arrayMap(x3 -> concat(toJSONString(x3.key), ':'), x2.kvlist_value.values)), if(x2.value = 'array_value', x2.array_value.values, x2.kvlist_value.values.value)), ','), if(x2.value = 'array_value', ']', '}')), 'null')), if(x1.value = 'array_value', arrayMap(x2 -> '', x1.array_value.values), arrayMap(x2 -> concat(toJSONString(x2.key), ':'), x1.kvlist_value.values)), if(x1.value = 'array_value', x1.array_value.values, x1.kvlist_value.values.value)), ','), if(x1.value = 'array_value', ']', '}')), 'null')), if(it.body.value = 'array_value', arrayMap(x1 -> '', it.body.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), it.body.kvlist_value.values)), if(it.body.value = 'array_value', it.body.array_value.values, it.body.kvlist_value.values.value)), ','), if(it.body.value = 'array_value', ']', '}')), '') AS body,
  if(it.body.value = 'none', 'empty', replaceOne(toString(it.body.value), '_value', '')) AS body_type,
  if(empty(arrayStringConcat(arrayFilter(p -> p != '', [resource_data, if(it.time_unix_nano = 0, concat('"time_unix_nano_unset":', 'true'), '')]), ',')), '', concat('{', arrayStringConcat(arrayFilter(p -> p != '', [resource_data, if(it.time_unix_nano = 0, concat('"time_unix_nano_unset":', 'true'), '')]), ','), '}')) AS data,
  if(cf_vals[indexOf(cf_keys, 'cloudflare.outcome')] != '', cf_vals[indexOf(cf_keys, 'cloudflare.outcome')], if(least(it.severity_number, 255) >= 17, 'error', 'ok')) AS outcome,
  multiIf(least(it.severity_number, 255) >= 21, 0, least(it.severity_number, 255) >= 17, 1, least(it.severity_number, 255) >= 13, 2, 3) AS importance,
  it.severity_text AS severity_text,
  least(it.severity_number, 255) AS severity_number,
  it.dropped_attributes_count AS dropped_attributes_count,
  av[indexOf(ak, 'exception.type')] AS exception_type,
  av[indexOf(ak, 'exception.message')] AS exception_message,
  av[indexOf(ak, 'exception.stacktrace')] AS exception_stacktrace
FROM (
  SELECT *, it.attributes.key AS ak, if(cf_row, arrayConcat(arrayFilter(k -> startsWith(k, 'cloudflare.'), it.attributes.key), res_cf_keys), []) AS cf_keys, if(cf_row, arrayConcat(arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), av, it.attributes.key), res_cf_vals), []) AS cf_vals
  FROM (
    SELECT resource_attributes, resource_attribute_types, resource_schema_url, res_service_name, service_namespace, service_version, service_instance_id, host_name, cloud_provider, deployment_environment, scope_name, scope_version, scope_attributes, scope_attribute_types, scope_schema_url, resource_data, res_cf_keys, res_cf_vals, it, (notEmpty(res_cf_keys) OR arrayExists(k -> startsWith(k, 'cloudflare.'), it.attributes.key)) AS cf_row,
      arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), it.attributes) AS av
    FROM (
  SELECT CAST(resource_attributes, 'Map(LowCardinality(String), String)') AS resource_attributes, CAST(resource_attribute_types, 'Map(LowCardinality(String), LowCardinality(String))') AS resource_attribute_types, CAST(resource_schema_url, 'LowCardinality(String)') AS resource_schema_url, CAST(res_service_name, 'LowCardinality(String)') AS res_service_name, CAST(service_namespace, 'LowCardinality(String)') AS service_namespace, CAST(service_version, 'LowCardinality(String)') AS service_version, CAST(service_instance_id, 'String') AS service_instance_id, CAST(host_name, 'LowCardinality(String)') AS host_name, CAST(cloud_provider, 'LowCardinality(String)') AS cloud_provider, CAST(deployment_environment, 'LowCardinality(String)') AS deployment_environment, CAST(scope_name, 'LowCardinality(String)') AS scope_name, CAST(scope_version, 'LowCardinality(String)') AS scope_version, CAST(scope_attributes, 'Map(LowCardinality(String), String)') AS scope_attributes, CAST(scope_attribute_types, 'Map(LowCardinality(String), LowCardinality(String))') AS scope_attribute_types, CAST(scope_schema_url, 'LowCardinality(String)') AS scope_schema_url, resource_data, res_cf_keys, res_cf_vals, items
  FROM (
    SELECT
      mapFromArrays(res_kvs.key, sr[1]) AS resource_attributes,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', res_kvs.key, res_kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', res_kvs.value.value))) AS resource_attribute_types,
      res_schema_url AS resource_schema_url,
      sr[1][indexOf(res_kvs.key, 'service.name')] AS res_service_name,
      sr[1][indexOf(res_kvs.key, 'service.namespace')] AS service_namespace,
      sr[1][indexOf(res_kvs.key, 'service.version')] AS service_version,
      sr[1][indexOf(res_kvs.key, 'service.instance.id')] AS service_instance_id,
      sr[1][indexOf(res_kvs.key, 'host.name')] AS host_name,
      sr[1][indexOf(res_kvs.key, 'cloud.provider')] AS cloud_provider,
      if(has(res_kvs.key, 'deployment.environment.name'), sr[1][indexOf(res_kvs.key, 'deployment.environment.name')], sr[1][indexOf(res_kvs.key, 'deployment.environment')]) AS deployment_environment,
      scope_name, scope_version,
      mapFromArrays(scope_kvs.key, sr[2]) AS scope_attributes,
      mapFromArrays(arrayFilter((k, e) -> e != 'string_value', scope_kvs.key, scope_kvs.value.value), arrayMap(e -> if(e = 'none', 'empty', ['string', 'bool', 'int', 'double', 'array', 'kvlist', 'bytes'][toUInt8(CAST(e, 'Int8'))]), arrayFilter(e -> e != 'string_value', scope_kvs.value.value))) AS scope_attribute_types,
      scope_schema_url,
      arrayStringConcat(arrayFilter(p -> p != '', [if(res_dropped > 0, concat('"resource_dropped_attributes_count":', toString(res_dropped)), ''), if(ss_dropped > 0, concat('"scope_dropped_attributes_count":', toString(ss_dropped)), ''), if(notEmpty(res_entity_refs), concat('"resource_entity_refs":', toJSONString(res_entity_refs)), '')]), ',') AS resource_data,
      arrayFilter(k -> startsWith(k, 'cloudflare.'), res_kvs.key) AS res_cf_keys,
      arrayFilter((v, k) -> startsWith(k, 'cloudflare.'), sr[1], res_kvs.key) AS res_cf_vals,
      items
    FROM (
      SELECT res_kvs, res_schema_url, res_dropped, res_entity_refs,
        ss.scope.name AS scope_name, ss.scope.version AS scope_version, ss.scope.attributes AS scope_kvs,
        ss.scope.dropped_attributes_count AS ss_dropped, ss.schema_url AS scope_schema_url,
        arrayMap(kvs -> arrayMap(kv -> multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', toString(kv.value.int_value), kv.value.value = 'bool_value', if(kv.value.bool_value, 'true', 'false'), kv.value.value = 'double_value', toString(kv.value.double_value), kv.value.value = 'bytes_value', base64Encode(kv.value.bytes_value), kv.value.value IN ('array_value', 'kvlist_value'), concat(if(kv.value.value = 'array_value', '[', '{'), arrayStringConcat(arrayMap((k1, x1) -> concat(k1, multiIf(x1.value = 'string_value', toJSONString(x1.string_value), x1.value = 'int_value', toString(x1.int_value), x1.value = 'bool_value', if(x1.bool_value, 'true', 'false'), x1.value = 'double_value', multiIf(isNaN(x1.double_value), '"NaN"', isInfinite(x1.double_value), if(x1.double_value > 0, '"Infinity"', '"-Infinity"'), match(toString(x1.double_value), '[.e]'), toString(x1.double_value), concat(toString(x1.double_value), '.0')), x1.value = 'bytes_value', concat('{"bytesValue":"', base64Encode(x1.bytes_value), '"}'), x1.value IN ('array_value', 'kvlist_value'), concat('{"', if(x1.value = 'array_value', 'arrayValueProtobuf', 'kvlistValueProtobuf'), '":"', base64Encode(if(x1.value = 'array_value', x1.array_value, x1.kvlist_value)), '"}'), 'null')), if(kv.value.value = 'array_value', arrayMap(x1 -> '', kv.value.array_value.values), arrayMap(x1 -> concat(toJSONString(x1.key), ':'), kv.value.kvlist_value.values)), if(kv.value.value = 'array_value', kv.value.array_value.values, kv.value.kvlist_value.values.value)), ','), if(kv.value.value = 'array_value', ']', '}')), ''), kvs), [res_kvs, ss.scope.attributes]) AS sr,
        ss.log_records AS items
      FROM (
        SELECT rs.resource.attributes AS res_kvs, rs.schema_url AS res_schema_url,
          rs.resource.dropped_attributes_count AS res_dropped, rs.resource.entity_refs AS res_entity_refs,
          rs.scope_logs AS scopes
        FROM `tailhouse`.otlp_logs_landing ARRAY JOIN resource_logs AS rs
      ) ARRAY JOIN scopes AS ss
    )
  )
) ARRAY JOIN items AS it
  )
);

-- Run by migrate() besides the migrations:

CREATE TABLE IF NOT EXISTS `tailhouse`.schema_migrations (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version;

