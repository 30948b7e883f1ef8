-- Per script, exception type and message: aggregate states, kept by error_patterns_mv.
CREATE TABLE IF NOT EXISTS {database}.error_patterns_state{on_cluster} (
  script_name LowCardinality(String),
  exception_type LowCardinality(String),
  exception_message String,
  occurrences AggregateFunction(count),
  first_seen AggregateFunction(min, DateTime64(9)),
  last_seen AggregateFunction(max, DateTime64(9)),
  colos AggregateFunction(groupUniqArray, LowCardinality(String))
) ENGINE = {aggregating_engine}
ORDER BY (script_name, exception_type, exception_message)
SETTINGS {dedup_setting}
