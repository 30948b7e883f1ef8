"""Cluster DDL: the schema's templates rendered for a ClickHouse cluster, plus Distributed tables.

The versioned migrations stay the one definition of the schema; on a cluster the same `sql/`
templates render with other slot values (`ON CLUSTER`, `Replicated*MergeTree`, and in
`distributed` mode the OTLP mapping views write into the Distributed ingest table), so every
node and shard gets the same tables and views.

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

from ..ddl import EVENTS_ALL, EVENTS_INGEST, REPLICA_PATH, Placement, quote
from ..events_table import INGEST_SHARDING_KEY, TableOptions, distributed_ddl
from ..migrations import schema_statements
from ..otel_views import OTEL_VIEWS
from ..worker_views import AGGREGATE_VIEWS, aggregate_all_view

__all__ = ["AGGREGATE_VIEWS", "EVENTS_ALL", "EVENTS_INGEST", "INGEST_SHARDING_KEY", "PLAIN_VIEWS", "REPLICA_PATH",
           "ClusterLayout", "cluster_schema_statements", "distributed_statements", "quote"]

# What the cluster DDL depends on: database, cluster name, replication and sharding mode.
ClusterLayout = Placement

# plain views users query -> the column that holds the trace id (or '' when rows have none)
PLAIN_VIEWS: dict[str, str] = {
    "worker_logs": "trace_id",
    "worker_errors": "trace_id",
    "worker_requests": "trace_id",
    **{v.name: ("TraceId" if v.name in ("otel_traces", "otel_logs", "otel_traces_trace_id_ts") else "")
       for v in OTEL_VIEWS},
}


def distributed_statements(layout: ClusterLayout) -> list[str]:
    """CREATE statements of the Distributed tables over the views users query (after migrations)."""
    if not layout.on_cluster:
        raise ValueError("Distributed tables need a cluster name")
    stmts: list[str] = []
    for view, trace_col in PLAIN_VIEWS.items():
        stmts.append(distributed_ddl(layout, f"{view}_all", view, f"cityHash64({trace_col})" if trace_col else ""))
    for view, state in AGGREGATE_VIEWS.items():
        stmts.append(distributed_ddl(layout, f"{state}_all", state, ""))
        stmts.append(aggregate_all_view(layout, view))
    return stmts


def cluster_schema_statements(layout: ClusterLayout, options: TableOptions) -> list[str]:
    """The whole cluster schema in order: the migrations rendered for the cluster, then Distributed tables."""
    return schema_statements(layout.database, options, placement=layout) + distributed_statements(layout)
