-- The collector's database.
CREATE DATABASE IF NOT EXISTS {database}{on_cluster}
