"""The mapping rules every source shares, as data: one table, two renderings.

Tailhouse maps two worlds into one `events` table: OTLP (in ClickHouse SQL, the materialized
views of `exporters/clickhouse/otlp_views.py`) and Cloudflare Workers tail events (in Python,
`collector/tail/mapping.py`). The live tail and the reports re-read the same columns. Where a rule
is the same for every source, it lives here once, as a table, with a Python function and a SQL
generator drawn from that table, and `tests/test_mapping_rules.py` evaluates both (the SQL in
chDB) over a grid of inputs and checks they agree:

* `severity`: the OpenTelemetry log data model's severity ranges and level names, the
  severity → importance rule, the severity from which a log is an error;
* `importance`: importance and outcome per kind of row (span, log, metric, Workers invocation),
  with the deliberate differences between a span and an invocation stated in the table;
* `http`: which attribute keys fill `http_method`, `http_url`, `http_host`, `http_path`,
  `http_status_code`, `user_agent`, `correlation_id`, `request_id`, `session_id`, in which
  order (stable semantic-convention key first), and how host and path derive from a URL.

Only the standard library is imported here, so both the collector and the exporters use it
without importing each other.
"""

from __future__ import annotations
