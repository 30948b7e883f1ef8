-- A landing table takes raw OTLP requests (FORMAT Protobuf) and stores nothing: the mapping view on
-- it writes the rows to `events`. {columns} comes from landing_schema.py (the same description as
-- the protobuf schema ClickHouse reads with).
CREATE TABLE IF NOT EXISTS {database}.{table}{on_cluster} (
  {columns}
) ENGINE = Null
