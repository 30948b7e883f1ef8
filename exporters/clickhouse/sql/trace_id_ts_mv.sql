CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.trace_id_ts_mv{on_cluster} TO {database}.trace_id_ts AS
SELECT trace_id, min(timestamp) AS start, max(timestamp) AS end
FROM {database}.events WHERE trace_id != '' GROUP BY trace_id
