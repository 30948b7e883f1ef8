-- Migration 4: trace_id_ts deduplicates a retried or replayed batch, like every table an insert writes through.
ALTER TABLE {database}.trace_id_ts{on_cluster} MODIFY SETTING {dedup_setting}
