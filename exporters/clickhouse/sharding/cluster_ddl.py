"""Cluster DDL: the single-node schema rewritten for a ClickHouse cluster, plus Distributed tables.

The versioned migrations stay the one definition of the schema; on a cluster each statement is
rewritten (`ON CLUSTER`, `Replicated*MergeTree`, and in `distributed` mode the OTLP mapping views
write into the Distributed ingest table), so every node and shard gets the same tables and views.

Distributed tables (read through them to see every shard; `<name>_all`):

* `events_all` over `events`, sharding key `cityHash64(trace_id)`: the key the collector shards
  by, so with `optimize_skip_unused_shards = 1` a `WHERE trace_id = '…'` query reads one shard;
* `events_ingest` over `events` (distributed mode only): what the mapping views insert into. Its
  key is `cityHash64(trace_id)` too, except for rows with no trace id (metrics, logs without
  one), which spread by `event_id` instead of all landing on the shard of `cityHash64('')`;
* `<view>_all` over each plain view users query, and for the aggregate views a `<state>_all`
  Distributed table with a `<view>_all` view that merges the states of all shards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..events_table import TableOptions
from ..migrations import schema_statements
from ..otel_views import OTEL_VIEWS
from ..otlp_views import VIEW_SELECTS
from ..worker_views import worker_statements

# Where replicated tables keep their metadata in Keeper; {shard} and {replica} are server macros.
REPLICA_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"

# plain views users query -> the column that holds the trace id (or '' when rows have none)
PLAIN_VIEWS: dict[str, str] = {
    "worker_logs": "trace_id",
    "worker_errors": "trace_id",
    "worker_requests": "trace_id",
    **{v.name: ("TraceId" if v.name in ("otel_traces", "otel_logs", "otel_traces_trace_id_ts") else "")
       for v in OTEL_VIEWS},
}
# aggregate views -> the AggregatingMergeTree table they merge
AGGREGATE_VIEWS: dict[str, str] = {
    "worker_endpoint_hourly": "worker_endpoint_hourly_state",
    "error_patterns": "error_patterns_state",
}

EVENTS_ALL = "events_all"
EVENTS_INGEST = "events_ingest"
INGEST_SHARDING_KEY = "if(trace_id = '', cityHash64(event_id), cityHash64(trace_id))"


@dataclass(frozen=True)
class ClusterLayout:
    """What the cluster DDL depends on: database, cluster name, replication and sharding mode."""

    database: str
    cluster: str
    replicated: bool = False
    mode: str = "client"  # client | distributed


def quote(name: str) -> str:
    """A backquoted ClickHouse identifier."""
    return "`" + name.replace("`", "``") + "`"


_OBJECT = re.compile(
    r"^(?P<head>(?:CREATE (?:TABLE|VIEW|MATERIALIZED VIEW|DATABASE) IF NOT EXISTS|ALTER TABLE) "
    r"`[^`]+`(?:\.\w+)?)"
)
_ENGINE = re.compile(r"ENGINE = (\w*)MergeTree\b(?!\()")


def rewrite(stmt: str, layout: ClusterLayout) -> str:
    """One single-node statement as it runs on the cluster.

    Raises ValueError for a DDL statement this rewrite does not know how to place on a cluster,
    rather than creating it on one node only.
    """
    head = _OBJECT.match(stmt)
    if head is None:
        if stmt.lstrip().upper().startswith(("CREATE", "ALTER", "DROP", "RENAME")):
            raise ValueError(f"cannot run this statement ON CLUSTER: {stmt[:120]!r}")
        return stmt
    out = f"{head.group('head')} ON CLUSTER {quote(layout.cluster)}{stmt[head.end():]}"
    if layout.replicated:
        out = _ENGINE.sub(lambda m: f"ENGINE = Replicated{m.group(1)}MergeTree({REPLICA_PATH})", out)
        # replicated tables deduplicate inserts through Keeper, with their own window setting
        out = out.replace("non_replicated_deduplication_window", "replicated_deduplication_window")
    if layout.mode == "distributed":
        db = quote(layout.database)
        for view in VIEW_SELECTS:
            prefix = f"CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{view} ON CLUSTER {quote(layout.cluster)} TO {db}.events AS"
            if out.startswith(prefix):
                out = out.replace(f"TO {db}.events AS", f"TO {db}.{EVENTS_INGEST} AS", 1)
    return out


def _distributed(layout: ClusterLayout, name: str, local: str, key: str) -> str:
    db, c = quote(layout.database), quote(layout.cluster)
    key_arg = f", {key}" if key else ""
    return (f"CREATE TABLE IF NOT EXISTS {db}.{name} ON CLUSTER {c} AS {db}.{local}\n"
            f"ENGINE = Distributed({c}, {db}, {local}{key_arg})")


def expand(stmt: str, layout: ClusterLayout) -> list[str]:
    """The cluster statements for one single-node statement (the hook `migrate` runs them through).

    Right after `events` come its Distributed tables: in distributed mode the mapping views,
    created next, insert into `events_ingest`.
    """
    out = [rewrite(stmt, layout)]
    if stmt.startswith(f"CREATE TABLE IF NOT EXISTS {quote(layout.database)}.events ("):
        out.append(_distributed(layout, EVENTS_ALL, "events", "cityHash64(trace_id)"))
        if layout.mode == "distributed":
            out.append(_distributed(layout, EVENTS_INGEST, "events", INGEST_SHARDING_KEY))
    return out


def distributed_statements(layout: ClusterLayout, options: TableOptions) -> list[str]:
    """CREATE statements of the Distributed tables over the views users query (after migrations)."""
    db, c = quote(layout.database), quote(layout.cluster)

    def dist(name: str, local: str, key: str) -> str:
        return _distributed(layout, name, local, key)

    stmts: list[str] = []
    for view, trace_col in PLAIN_VIEWS.items():
        stmts.append(dist(f"{view}_all", view, f"cityHash64({trace_col})" if trace_col else ""))
    worker = {s.split(" AS", 1)[0].split(".")[-1]: s for s in worker_statements(layout.database, options)
              if s.startswith("CREATE VIEW")}
    for view, state in AGGREGATE_VIEWS.items():
        stmts.append(dist(f"{state}_all", state, ""))
        body = worker[view]
        body = body.replace(f"{db}.{view} AS", f"{db}.{view}_all ON CLUSTER {c} AS", 1)
        body = body.replace(f"FROM {db}.{state}\n", f"FROM {db}.{state}_all\n", 1)
        if f"{state}_all" not in body:
            raise ValueError(f"the aggregate view {view} no longer reads {state}; update cluster_ddl")
        stmts.append(body)
    return stmts


def cluster_schema_statements(layout: ClusterLayout, options: TableOptions) -> list[str]:
    """The whole cluster schema in order: migrations rewritten for the cluster, then Distributed tables."""
    return [x for s in schema_statements(layout.database, options) for x in expand(s, layout)] + \
        distributed_statements(layout, options)
