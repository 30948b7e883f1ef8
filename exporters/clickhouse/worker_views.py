"""Views for Cloudflare Workers users over `events` (schema migration 2).

* `worker_logs`: console logs, exceptions and Durable Object events of Workers;
* `worker_errors`: failed invocations (outcome other than `ok`) and exceptions;
* `worker_requests`: fetch invocations with request, response and edge columns;
* `worker_endpoint_hourly`: per hour, script, event kind, method and path: requests, errors,
  error rate and p50/p95/p99 wall time; read from `worker_endpoint_hourly_state`, an
  AggregatingMergeTree a materialized view keeps up to date as rows arrive;
* `error_patterns`: per script, exception type and message: count, first and last seen and
  the distinct colos; likewise backed by `error_patterns_state`.

The aggregate tables hold aggregate states, so the views stay cheap however large `events`
grows, and they dedupe retried inserts like `events` does.
"""

from __future__ import annotations

from .ddl import Placement, render
from .events_table import TableOptions

# In creation order; the SQL is in sql/<name>.sql.
WORKER_TEMPLATES = (
    "worker_logs", "worker_errors", "worker_requests",
    "worker_endpoint_hourly_state", "worker_endpoint_hourly_mv", "worker_endpoint_hourly",
    "error_patterns_state", "error_patterns_mv", "error_patterns",
)
# aggregate views -> the AggregatingMergeTree table they merge
AGGREGATE_VIEWS: dict[str, str] = {
    "worker_endpoint_hourly": "worker_endpoint_hourly_state",
    "error_patterns": "error_patterns_state",
}


def worker_statements(placement: Placement, options: TableOptions) -> list[str]:
    """DDL of the Workers views, in order."""
    return [render(name, placement.slots(options.dedup_window)) for name in WORKER_TEMPLATES]


def aggregate_all_view(placement: Placement, view: str) -> str:
    """On a cluster: `<view>_all`, which merges the states of every shard (read through `<state>_all`)."""
    return render(view, placement.slots(all="_all"))
