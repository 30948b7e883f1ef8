"""A ClickHouse exporter over several shards: one write-ahead log per kind, one reader per shard.

`client` mode: every shard is a route of the exporter (exporter.py) with its own reader of the
same log, its own senders, clients and retry state. A shard's sender cuts batches from the log,
keeps the rows of its shard (splitter.py: by trace id) and inserts them into that shard, so a
slow or unreachable shard holds up only its own rows; the log keeps a record until every shard
is past it. Each shard's batch token names the shard's reader, so every shard deduplicates its
own retries and replays.

`distributed` mode: one route writes to any node (failing over across all of them) and the
mapping views insert into the `events_ingest` Distributed table, so ClickHouse routes the rows.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Callable, cast

from clickhouse_connect.driver.client import Client

from tailhouse.pipeline.sender import BatchShape
from tailhouse.pipeline.stats import Stats

from ...deadletter import DeadLetterStore
from ..client import client_for
from ..config import ClickHouseExporterConfig, split_endpoint
from ..exporter import ClickHouseExporter, ClickHouseWriter, Route
from ..migrations import migrate
from .cluster_ddl import EVENTS_INGEST, ClusterLayout, distributed_statements, quote
from .failover_client import FailoverClient
from .splitter import Part, split_payload

log = logging.getLogger(__name__)

ChdbPathOf = Callable[[str], "Path | None"]


def _failover_connect(config: ClickHouseExporterConfig, replicas: list[str], chdb_path_of: ChdbPathOf,
                      insert_settings: dict[str, str] | None = None,
                      insert_tables: dict[str, str] | None = None) -> Callable[[str | None], Client]:
    """A client factory that fails over between `replicas`."""

    def new_client(database: str | None) -> Client:
        def connect(endpoint: str) -> Client:
            return client_for(config, chdb_path_of(endpoint), database, split_endpoint(endpoint)[0])

        # FailoverClient has every Client method the exporter and migrations call.
        return cast(Client, FailoverClient(replicas, connect, insert_settings or {}, insert_tables or {}))

    return new_client


class _SplitCache:
    """Splits of recent payloads, shared by the shards' readers: each payload is split once, not once per shard.

    Keyed by the payload's bytes (Python caches a bytes object's hash, and the readers of one log
    share the record objects they take from memory).
    """

    def __init__(self, shards: int, size: int = 64) -> None:
        self._shards = shards
        self._size = size
        self._parts: OrderedDict[tuple[str, bytes], list[Part]] = OrderedDict()
        self._lock = threading.Lock()

    def parts(self, kind: str, payload: bytes) -> list[Part]:
        key = (kind, payload)
        with self._lock:
            found = self._parts.get(key)
        if found is None:
            found = split_payload(kind, payload, self._shards)
            with self._lock:
                self._parts[key] = found
                while len(self._parts) > self._size:
                    self._parts.popitem(last=False)
        return found


def _shard_select(shard: int, cache: _SplitCache) -> Callable[[str, list[bytes]], list[tuple[bytes, int]]]:
    """The rows of `shard` out of a batch's payloads (the intake validated them, so they split)."""

    def select(kind: str, payloads: list[bytes]) -> list[tuple[bytes, int]]:
        return [(part.payload, part.items) for p in payloads for part in cache.parts(kind, p)
                if part.shard == shard and part.items]

    return select


class ShardedClickHouseExporter(ClickHouseExporter):
    """Writes what its logs hold over a sharded ClickHouse (`sharding` in the exporter config)."""

    def __init__(self, name: str, config: ClickHouseExporterConfig, chdb_path_of: ChdbPathOf, stats: Stats,
                 log_dir: Path, dead_letter_dir: Path, shapes: dict[str, BatchShape] | None = None) -> None:
        """`dead_letter_dir`: root under which each shard gets its own folder (client mode)."""
        if config.sharding is None:
            raise ValueError(f"exporter {name}: ShardedClickHouseExporter needs a sharding config")
        self.mode = config.sharding.mode
        self.layout = (ClusterLayout(config.database, config.cluster.name, config.cluster.replicated, self.mode)
                       if config.cluster else None)
        shards = config.sharding.shards
        # With a cluster the schema goes out once, ON CLUSTER; without one each shard migrates its own database.
        per_shard_schema = config.create_schema and self.layout is None
        routes: list[Route] = []
        cache = _SplitCache(len(shards))
        if self.mode == "client":
            for i, shard in enumerate(shards):
                database = split_endpoint(shard.endpoints[0])[1] or config.database
                cfg = replace(config, endpoint=shard.endpoints[0], database=database, sharding=None,
                              create_schema=per_shard_schema)
                shard_name = f"{name}/shard{i + 1}"
                writer = ClickHouseWriter(shard_name, cfg, chdb_path_of(shard.endpoints[0]),
                                          DeadLetterStore(dead_letter_dir / f"shard{i + 1}"),
                                          _failover_connect(cfg, shard.endpoints, chdb_path_of))
                select = _shard_select(i, cache) if len(shards) > 1 else None
                routes.append(Route(f"shard{i + 1}", writer, select, stats_name=shard_name))
        else:
            endpoints = [e for s in shards for e in s.endpoints]
            db = quote(config.database)
            cfg = replace(config, endpoint=endpoints[0], sharding=None, create_schema=False)
            connect = _failover_connect(
                cfg, endpoints, chdb_path_of,
                # Acknowledge only once the Distributed table has written to the shards, not to its local spool.
                insert_settings={"distributed_foreground_insert": "1"},
                # Tail rows are finished `events` rows: they go through the Distributed table too.
                insert_tables={f"{db}.events": f"{db}.{EVENTS_INGEST}"})
            writer = ClickHouseWriter(name, cfg, chdb_path_of(endpoints[0]), DeadLetterStore(dead_letter_dir), connect)
            routes.append(Route("clickhouse", writer))
        super().__init__(name, config, stats, log_dir, routes, shapes)

    async def start(self, kinds: list[str]) -> None:
        """Create the cluster schema (once, ON CLUSTER) when configured, then open the logs and start every shard."""
        if self.layout is not None and self.config.create_schema:
            await asyncio.to_thread(self._migrate_cluster, self.layout)
        await super().start(kinds)

    def _migrate_cluster(self, layout: ClusterLayout) -> None:
        client = self.routes[0].writer.new_client()
        try:
            options = self.config.table_options()
            applied = migrate(client, layout.database, options, layout)
            for stmt in distributed_statements(layout):
                client.command(stmt)
            log.info("exporter %s: cluster %s schema ready in %s (migrations applied: %s)", self.name,
                     layout.cluster, layout.database, applied or "none")
        finally:
            client.close()
