-- An OpenTelemetry Collector exporter compatible view; {columns} and {where} come from otel_views.py.
CREATE VIEW IF NOT EXISTS {database}.{view}{on_cluster} AS
SELECT
  {columns}
FROM {database}.{source}{where}
