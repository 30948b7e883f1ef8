"""The `clickhouse` exporter type: its config and how the service creates it.

Config parsing imports every factory, so the exporter itself (clickhouse-connect, chDB) is
imported when one is created, not here: `tailhouse sql` and `validate` start fast.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from tailhouse.pipeline.components import Endpoint, ExporterContext, ExporterFactory
from tailhouse.pipeline.sender import BatchShape

from .config import ClickHouseExporterConfig, chdb_path_of

if TYPE_CHECKING:
    from .exporter import ClickHouseExporter


def create(ctx: ExporterContext, name: str, config: ClickHouseExporterConfig,
           shapes: dict[str, BatchShape]) -> ClickHouseExporter:
    """One ClickHouse store, or one route per shard with `sharding`."""
    from ..deadletter import DeadLetterStore
    from .exporter import ClickHouseExporter, ClickHouseWriter, Route
    from .sharding.sharded_exporter import ShardedClickHouseExporter

    log_dir, dead_letter_dir = config.log_path(name, ctx.base_dir), config.dead_letter_path(name, ctx.base_dir)
    if config.sharding is not None:
        ctx.endpoints.append(Endpoint(name, "clickhouse", f"{len(config.sharding.shards)} shards, "
                                      f"{config.sharding.mode} mode (database {config.database})"))
        return ShardedClickHouseExporter(name, config, partial(chdb_path_of, base_dir=ctx.base_dir), ctx.stats,
                                         log_dir, dead_letter_dir, shapes)
    store = config.chdb_path(ctx.base_dir)
    writer = ClickHouseWriter(name, config, store, DeadLetterStore(dead_letter_dir))
    ctx.endpoints.append(Endpoint(name, "clickhouse", f"{store or config.endpoint} (database {config.database})"))
    return ClickHouseExporter(name, config, ctx.stats, log_dir, [Route("clickhouse", writer)], shapes)


FACTORY = ExporterFactory(ClickHouseExporterConfig, create)
