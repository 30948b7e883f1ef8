-- Replaces the SELECT of an existing mapping view (migrations 4 and 5).
ALTER TABLE {database}.{view}{on_cluster} MODIFY QUERY
{select}
