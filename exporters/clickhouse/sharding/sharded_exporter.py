"""A ClickHouse exporter over several shards, built from one `ClickHouseExporter` per shard.

`client` mode: each batch is split by shard (splitter.py) and every part goes to its shard's
exporter, which has its own queue, workers and retry state, so a slow or unreachable shard holds
up only its own rows. A request is acknowledged when all of its parts are stored.

`distributed` mode: one exporter writes to any node (failing over across all of them) and the
mapping views insert into the `events_ingest` Distributed table, so ClickHouse routes the rows.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path
from typing import Callable, cast

from clickhouse_connect.driver.client import Client

from collector.batching.batcher import Batch, PendingRequest
from collector.config import ClickHouseExporterConfig, split_endpoint
from collector.stats import Stats

from ..client import make_client
from ..events_table import TableOptions
from ..exporter import ClickHouseExporter, ExportError
from ..migrations import migrate
from .cluster_ddl import EVENTS_INGEST, ClusterLayout, distributed_statements, expand, quote
from .failover_client import FailoverClient
from .splitter import Part, SplitError, split_payload

log = logging.getLogger(__name__)

ChdbPathOf = Callable[[str], "Path | None"]


class ShardExporter(ClickHouseExporter):
    """The exporter of one shard: the same queue/retry machinery, its clients over the shard's replicas."""

    def __init__(self, name: str, config: ClickHouseExporterConfig, chdb_path_of: ChdbPathOf, stats: Stats,
                 replicas: list[str], insert_settings: dict[str, str] | None = None,
                 insert_tables: dict[str, str] | None = None, queue_dir: Path | None = None,
                 dead_letter_dir: Path | None = None) -> None:
        super().__init__(name, config, chdb_path_of(replicas[0]), stats, queue_dir=queue_dir,
                         dead_letter_dir=dead_letter_dir)
        self.replicas = list(replicas)
        self._chdb_path_of = chdb_path_of
        self._insert_settings = insert_settings or {}
        self._insert_tables = insert_tables or {}

    def new_client(self, database: str | None = None) -> Client:
        """A client that fails over between this shard's replicas."""
        cfg = self.config

        def connect(endpoint: str) -> Client:
            return make_client(split_endpoint(endpoint)[0], self._chdb_path_of(endpoint), cfg.username, cfg.password,
                               cfg.timeout, database)

        # FailoverClient has every Client method the exporter and migrations call.
        return cast(Client, FailoverClient(self.replicas, connect, self._insert_settings, self._insert_tables))


def _link(original: "asyncio.Future[None]", parts: list["asyncio.Future[None]"]) -> None:
    """Complete `original` when every part is stored, or with the first part's error."""
    remaining = len(parts)

    def part_done(f: "asyncio.Future[None]") -> None:
        nonlocal remaining
        remaining -= 1
        exc = None if f.cancelled() else f.exception()  # retrieving it also keeps asyncio quiet
        if original.done():
            return
        if f.cancelled():
            original.cancel()
        elif exc is not None:
            original.set_exception(exc)
        elif remaining == 0:
            original.set_result(None)

    for p in parts:
        p.add_done_callback(part_done)


class ShardedClickHouseExporter:
    """Writes batches over a sharded ClickHouse (`sharding` in the exporter config)."""

    def __init__(self, name: str, config: ClickHouseExporterConfig, chdb_path_of: ChdbPathOf, stats: Stats,
                 queue_dir: Path | None = None, dead_letter_dir: Path | None = None) -> None:
        """`queue_dir` / `dead_letter_dir`: roots under which each shard gets its own folder."""
        if config.sharding is None:
            raise ValueError(f"exporter {name}: ShardedClickHouseExporter needs a sharding config")
        self.name = name
        self.config = config
        self.mode = config.sharding.mode
        self.layout = (ClusterLayout(config.database, config.cluster.name, config.cluster.replicated, self.mode)
                       if config.cluster else None)
        self._stats = stats
        shards = config.sharding.shards
        # With a cluster the schema goes out once, ON CLUSTER; without one each shard migrates its own database.
        per_shard_schema = config.create_schema and self.layout is None
        self.shards: list[ShardExporter] = []
        if self.mode == "client":
            for i, shard in enumerate(shards):
                database = split_endpoint(shard.endpoints[0])[1] or config.database
                cfg = replace(config, endpoint=shard.endpoints[0], database=database, sharding=None,
                              create_schema=per_shard_schema)
                self.shards.append(ShardExporter(
                    f"{name}/shard{i + 1}", cfg, chdb_path_of, stats, shard.endpoints,
                    queue_dir=queue_dir / f"shard{i + 1}" if queue_dir else None,
                    dead_letter_dir=dead_letter_dir / f"shard{i + 1}" if dead_letter_dir else None,
                ))
        else:
            endpoints = [e for s in shards for e in s.endpoints]
            db = quote(config.database)
            cfg = replace(config, endpoint=endpoints[0], sharding=None, create_schema=False)
            self.shards.append(ShardExporter(
                name, cfg, chdb_path_of, stats, endpoints,
                # Acknowledge only once the Distributed table has written to the shards, not to its local spool.
                insert_settings={"distributed_foreground_insert": "1"},
                # Tail rows are finished `events` rows: they go through the Distributed table too.
                insert_tables={f"{db}.events": f"{db}.{EVENTS_INGEST}"},
                queue_dir=queue_dir, dead_letter_dir=dead_letter_dir,
            ))

    @property
    def database(self) -> str:
        return self.config.database

    @property
    def durable(self) -> bool:
        """True when every shard keeps accepted data in its on-disk queue until stored."""
        return all(s.durable for s in self.shards)

    def shard_databases(self) -> list[str]:
        """The database of each shard's exporter, in shard order (client mode)."""
        return [s.database for s in self.shards]

    def query_client(self) -> Client:
        """Client for ad-hoc queries: the first shard's (read `events_all` to see every shard)."""
        return self.shards[0].query_client()

    async def start(self, kinds: list[str]) -> None:
        """Create the cluster schema (once, ON CLUSTER) when configured, then start every shard's exporter."""
        if self.layout is not None and self.config.create_schema:
            await asyncio.to_thread(self._migrate_cluster, self.layout)
        for shard in self.shards:
            await shard.start(kinds)

    def _migrate_cluster(self, layout: ClusterLayout) -> None:
        client = self.shards[0].new_client()
        try:
            options = TableOptions(ttl_days=int(self.config.ttl // 86400))
            applied = migrate(client, layout.database, options, rewrite=lambda s: expand(s, layout))
            for stmt in distributed_statements(layout, options):
                client.command(stmt)
            log.info("exporter %s: cluster %s schema ready in %s (migrations applied: %s)", self.name,
                     layout.cluster, layout.database, applied or "none")
        finally:
            client.close()

    async def submit(self, batch: Batch) -> None:
        """Queue a batch: in client mode its requests are split and each part queued on its shard."""
        if len(self.shards) == 1:  # distributed mode, or a single shard: nothing to split
            await self.shards[0].submit(batch)
            return
        payloads = [r.payload for r in batch.requests]
        results = await asyncio.to_thread(self._split_all, batch.kind, payloads)
        loop = asyncio.get_running_loop()
        per_shard = [Batch(batch.signal, batch.kind) for _ in self.shards]
        for request, parts in zip(batch.requests, results):
            if isinstance(parts, SplitError):
                # The intake validated this payload; failing to split it is a bug, reported to the client.
                log.error("exporter %s: cannot split a %s request by shard: %s", self.name, batch.kind, parts)
                if not request.done.done():
                    request.done.set_exception(ExportError(f"cannot shard the request: {parts}", retryable=False))
                continue
            futures = []
            for part in parts:
                fut: asyncio.Future[None] = loop.create_future()
                per_shard[part.shard].add(PendingRequest(part.payload, part.items, fut))
                futures.append(fut)
            _link(request.done, futures)
        for shard, shard_batch in zip(self.shards, per_shard):
            if shard_batch.requests:
                await shard.submit(shard_batch)

    def _split_all(self, kind: str, payloads: list[bytes]) -> list[list[Part] | SplitError]:
        out: list[list[Part] | SplitError] = []
        for p in payloads:
            try:
                out.append([part for part in split_payload(kind, p, len(self.shards)) if part.items])
            except SplitError as exc:
                out.append(exc)
        return out

    def health(self) -> tuple[bool, str]:
        """(can write, reason): not healthy while any shard's inserts are failing."""
        problems = []
        for shard in self.shards:
            ok, reason = shard.health()
            if not ok:
                problems.append(f"{shard.name}: {reason}")
        return (not problems, "; ".join(problems))

    async def drain(self, timeout: float) -> bool:
        """Wait until every shard's queue is written; False if any took longer than `timeout`."""
        results = await asyncio.gather(*(s.drain(timeout) for s in self.shards))
        return all(results)

    async def shutdown(self) -> None:
        """Stop every shard's exporter."""
        await asyncio.gather(*(s.shutdown() for s in self.shards))
