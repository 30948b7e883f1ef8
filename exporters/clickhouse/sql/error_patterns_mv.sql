CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.error_patterns_mv{on_cluster} TO {database}.error_patterns_state AS
SELECT service_name AS script_name, exception_type, exception_message,
  countState() AS occurrences,
  minState(timestamp) AS first_seen,
  maxState(timestamp) AS last_seen,
  groupUniqArrayState(geo_colo) AS colos
FROM {database}.events WHERE source = 'tail' AND event_type = 'log' AND exception_type != ''
GROUP BY script_name, exception_type, exception_message
