-- Count, first and last seen and the distinct colos per script, exception type and message.
-- {all}: as in worker_endpoint_hourly.sql.
CREATE VIEW IF NOT EXISTS {database}.error_patterns{all}{on_cluster} AS
SELECT script_name, exception_type, exception_message,
  countMerge(occurrences) AS count,
  minMerge(first_seen) AS first_seen,
  maxMerge(last_seen) AS last_seen,
  arraySort(arrayFilter(c -> c != '', groupUniqArrayMerge(colos))) AS colos,
  length(colos) AS distinct_colos
FROM {database}.error_patterns_state{all}
GROUP BY script_name, exception_type, exception_message
