"""What `tailhouse schema` prints and where `tailhouse trace` reads, from an exporter's config."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import ClickHouseExporterConfig, split_endpoint

from ..migrations import schema_statements
from ..ddl import EVENTS_ALL, quote
from .cluster_ddl import ClusterLayout, cluster_schema_statements
from .shard_key import shard_of_trace

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")

TRACE_COLUMNS = ("timestamp, event_type, service_name, event_name, span_id, parent_span_id, "
                 "duration_ns, status_code, outcome, severity_text, left(body, 200) AS body")


class InvalidTraceId(ValueError):
    """The trace id is not 32 hex digits."""


def schema_ddl(config: ClickHouseExporterConfig) -> list[str]:
    """Every DDL statement the exporter would run with `create_schema: true`, in order."""
    options = config.table_options()
    if config.cluster is not None:
        mode = config.sharding.mode if config.sharding else "client"
        return cluster_schema_statements(
            ClusterLayout(config.database, config.cluster.name, config.cluster.replicated, mode), options)
    if config.sharding is None:
        return schema_statements(config.database, options)
    # Shards without a cluster: each shard's database gets the single-node schema.
    databases = list(dict.fromkeys(split_endpoint(s.endpoints[0])[1] or config.database
                                   for s in config.sharding.shards))
    return [stmt for db in databases for stmt in schema_statements(db, options)]


@dataclass(frozen=True)
class TraceLookup:
    """Where a trace's rows are and the query that reads them in time order."""

    endpoints: list[str]  # replicas to ask (in order)
    shard: int | None  # 0-based shard in client mode
    sql: str


def trace_lookup(config: ClickHouseExporterConfig, trace_id: str) -> TraceLookup:
    """The shard (client mode) or Distributed table (distributed mode) holding `trace_id`'s rows."""
    tid = trace_id.strip().lower()
    if not _TRACE_ID.match(tid):
        raise InvalidTraceId(f"a trace id is 32 hex digits, got {trace_id!r}")
    where = f"WHERE trace_id = '{tid}'\nORDER BY timestamp, event_type"
    sharding = config.sharding
    if sharding is None:
        return TraceLookup([config.endpoint], None, f"SELECT {TRACE_COLUMNS}\nFROM {quote(config.database)}.events\n{where}")
    if sharding.mode == "distributed":
        endpoints = [e for s in sharding.shards for e in s.endpoints]
        sql = (f"SELECT {TRACE_COLUMNS}\nFROM {quote(config.database)}.{EVENTS_ALL}\n{where}\n"
               "SETTINGS optimize_skip_unused_shards = 1")
        return TraceLookup(endpoints, None, sql)
    shard = shard_of_trace(tid, len(sharding.shards))
    endpoints = sharding.shards[shard].endpoints
    database = split_endpoint(endpoints[0])[1] or config.database
    return TraceLookup(list(endpoints), shard, f"SELECT {TRACE_COLUMNS}\nFROM {quote(database)}.events\n{where}")
