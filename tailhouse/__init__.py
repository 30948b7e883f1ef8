"""Tailhouse: OpenTelemetry and Cloudflare Workers tail events into one ClickHouse table.

One import namespace over the folders that show the flow (see docs/architecture.md):

- ``tailhouse.collector`` (folder ``collector/``): receivers, the service that wires pipelines, admin, CLI;
- ``tailhouse.pipeline``: the neutral contracts both sides import, and the write-ahead log;
- ``tailhouse.exporters`` (folder ``exporters/``): ClickHouse and OTLP forwarding exporters;
- ``tailhouse.tail``: generated protobuf code for ``proto/`` (``python -m tailhouse.collector.tail.codegen``).
"""
