-- On a cluster: a Distributed table {table} over the local table {local} of every shard.
-- {sharding_key} is `, <expression>` or empty (reads only).
CREATE TABLE IF NOT EXISTS {database}.{table}{on_cluster} AS {database}.{local}
ENGINE = Distributed({cluster}, {database}, {local}{sharding_key})
