-- Replaces the SELECT of an existing mapping view (migration 4).
ALTER TABLE {database}.{view}{on_cluster} MODIFY QUERY
{select}
