-- Which migrations a database has had (migrations.py applies the missing ones by version).
CREATE TABLE IF NOT EXISTS {database}.schema_migrations{on_cluster} (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = {engine} ORDER BY version
