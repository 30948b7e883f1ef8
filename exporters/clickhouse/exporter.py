"""The ClickHouse exporter: raw `FORMAT Protobuf` inserts of batched OTLP requests.

Batches of one signal are written by `num_consumers` parallel workers. A worker that becomes free
takes every batch already waiting (up to `max_insert_items`) into one insert: under load inserts
grow, which amortises ClickHouse's fixed cost per insert (analysing the mapping views), and at low
load a batch is written as soon as it is handed over. Retryable errors are retried with backoff;
on a permanent error the requests are inserted one by one so only the bad ones fail.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from clickhouse_connect.driver.client import Client
from google.protobuf.internal.encoder import _VarintBytes

from collector.batching.batcher import Batch, PendingRequest
from collector.config import ClickHouseExporterConfig
from collector.otlp_requests import Signal, otlp_kind
from collector.stats import Stats
from collector.tail import TAIL_KIND

from ..retry import Backoff, is_retryable
from .client import make_client
from .events_table import TableOptions
from .landing_schema import LANDING_TABLES, insert_settings, with_schema_file
from .migrations import migrate

log = logging.getLogger(__name__)


class ExportError(Exception):
    """Storing a request failed; `retryable` says whether the client should send it again."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def length_delimited(payloads: list[bytes]) -> bytes:
    """Requests framed as ClickHouse's `Protobuf` format expects: varint length, then message."""
    return b"".join(_VarintBytes(len(p)) + p for p in payloads)


@dataclass(frozen=True)
class LandingTarget:
    """Where and how one payload kind is inserted: table, ClickHouse format, framing, settings."""

    table: str
    fmt: str
    frame: Callable[[list[bytes]], bytes]
    settings: Callable[[], dict[str, str]]


def _otlp_target(signal: Signal) -> LandingTarget:
    message = signal.request_message
    return LandingTarget(LANDING_TABLES[message], "Protobuf", length_delimited, lambda: insert_settings(message))


def insert_settings_for(target: LandingTarget, body: bytes) -> dict[str, str]:
    """Settings of one insert of `body`: the target's format settings plus an idempotency token.

    Same bytes, same token: a retry after an ambiguous failure (or a replay) is stored once,
    also through the landing table's materialized views.
    """
    settings = target.settings()
    settings["insert_deduplication_token"] = hashlib.sha256(body).hexdigest()
    settings["deduplicate_blocks_in_dependent_materialized_views"] = "1"
    return settings


def _tail_settings() -> dict[str, str]:
    # Timestamps are ISO-8601 with `Z`; an unknown column is a mapping bug and must fail loudly.
    return {"date_time_input_format": "best_effort", "input_format_skip_unknown_fields": "0"}


# Tail events are mapped in Python (collector/tail/mapping.py) and arrive as finished `events`
# rows in JSONEachRow, so they go straight into `events`.
_TAIL_TARGET = LandingTarget("events", "JSONEachRow", b"".join, _tail_settings)


# payload kind -> landing target; receivers name the kind of what they accept
LANDING_TARGETS: dict[str, LandingTarget] = {**{otlp_kind(s): _otlp_target(s) for s in Signal}, TAIL_KIND: _TAIL_TARGET}


@dataclass
class _KindQueue:
    batches: asyncio.Queue[Batch] = field(default_factory=asyncio.Queue)
    workers: list[asyncio.Task[None]] = field(default_factory=list)


class ClickHouseExporter:
    """Writes batches to ClickHouse (embedded chDB or a server) through the landing tables."""

    def __init__(self, name: str, config: ClickHouseExporterConfig, chdb_path: Path | None, stats: Stats) -> None:
        self.name = name
        self.config = config
        self._chdb_path = chdb_path
        self._stats = stats
        self._queues: dict[str, _KindQueue] = {}
        self._clients: list[Client] = []
        self._query_client: Client | None = None
        self._backoff = Backoff(
            initial_interval=config.retry_on_failure.initial_interval,
            multiplier=config.retry_on_failure.multiplier,
            randomization_factor=config.retry_on_failure.randomization_factor,
            max_interval=config.retry_on_failure.max_interval,
            max_elapsed_time=config.retry_on_failure.max_elapsed_time,
        )
        self._rng = random.Random()

    @property
    def database(self) -> str:
        return self.config.database

    def new_client(self, database: str | None = None) -> Client:
        """A fresh client for this exporter's endpoint (optionally with a default database)."""
        return make_client(self.config.endpoint, self._chdb_path, self.config.username, self.config.password,
                           self.config.timeout, database)

    def query_client(self) -> Client:
        """A client for ad-hoc queries, apart from the insert workers' (shares the embedded engine)."""
        if self._query_client is None:
            self._query_client = self.new_client(self.database)
            self._clients.append(self._query_client)
        return self._query_client

    async def start(self, kinds: list[str]) -> None:
        """Connect, apply schema migrations (when create_schema), and start insert workers per payload kind."""
        client = await asyncio.to_thread(self.new_client)
        self._clients.append(client)
        if self.config.create_schema:
            options = TableOptions(ttl_days=int(self.config.ttl // 86400))
            applied = await asyncio.to_thread(migrate, client, self.database, options)
            if applied:
                log.info("exporter %s: schema migrations %s applied to %s", self.name, applied, self.database)
        for kind in kinds:
            q = _KindQueue()
            for i in range(self.config.sending.num_consumers):
                c = client if i == 0 else await asyncio.to_thread(self.new_client)
                if c is not client:
                    self._clients.append(c)
                q.workers.append(asyncio.create_task(self._worker(LANDING_TARGETS[kind], q, c), name=f"{self.name}-{kind}-{i}"))
            self._queues[kind] = q

    async def submit(self, batch: Batch) -> None:
        """Queue a batch for writing (the futures of its requests complete when it is stored)."""
        self._stats.export_add(self.name, batch.signal, submitted_items=batch.items, pending_items=batch.items,
                               pending_bytes=batch.nbytes)
        await self._queues[batch.kind].batches.put(batch)

    def health(self) -> tuple[bool, str]:
        """(can write, reason): false while inserts are failing and being retried."""
        e = self._stats.exporter(self.name)
        return e.healthy, e.problem

    def _set_health(self, problem: str) -> None:
        e = self._stats.exporter(self.name)
        e.healthy, e.problem = not problem, problem

    async def drain(self, timeout: float) -> bool:
        """Wait until every queued batch is written; False if that took longer than `timeout`."""
        async def _all() -> None:
            for q in self._queues.values():
                await q.batches.join()
        try:
            await asyncio.wait_for(_all(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def shutdown(self) -> None:
        """Stop the workers and close the clients."""
        for q in self._queues.values():
            for w in q.workers:
                w.cancel()
            await asyncio.gather(*q.workers, return_exceptions=True)
        for c in self._clients:
            try:
                c.close()
            except Exception:  # closing a client that lost its server must not stop shutdown
                log.warning("exporter %s: closing a ClickHouse client failed", self.name, exc_info=True)
        self._clients.clear()

    async def _worker(self, target: LandingTarget, q: _KindQueue, client: Client) -> None:
        while True:
            first = await q.batches.get()
            signal = first.signal
            taken = [first]
            items = first.items
            while items < self.config.sending.max_insert_items and not q.batches.empty():
                nxt = q.batches.get_nowait()
                taken.append(nxt)
                items += nxt.items
            requests = [r for b in taken for r in b.requests]
            started = time.monotonic()
            try:
                await self._store(signal, target, client, requests)
            finally:
                self._stats.observe_export(self.name, signal, time.monotonic() - started)
                self._stats.export_add(self.name, signal, pending_items=-items,
                                       pending_bytes=-sum(b.nbytes for b in taken))
                for _ in taken:
                    q.batches.task_done()

    async def _store(self, signal: Signal, target: LandingTarget, client: Client, requests: list[PendingRequest]) -> None:
        try:
            await self._insert_with_retry(signal, target, client, [r.payload for r in requests])
        except ExportError as exc:
            if exc.retryable or len(requests) == 1:
                self._fail(signal, requests, exc)
                return
            log.warning("exporter %s: %s insert of %d requests failed permanently (%s); isolating the bad ones",
                        self.name, signal.value, len(requests), exc)
            for r in requests:
                await self._store(signal, target, client, [r])
            return
        self._stats.export_add(self.name, signal, written_items=sum(r.items for r in requests), batches=1)
        for r in requests:
            if not r.done.done():
                r.done.set_result(None)

    def _fail(self, signal: Signal, requests: list[PendingRequest], exc: ExportError) -> None:
        self._stats.export_add(self.name, signal, failed_items=sum(r.items for r in requests))
        for r in requests:
            if not r.done.done():
                r.done.set_exception(exc)

    async def _insert_with_retry(self, signal: Signal, target: LandingTarget, client: Client,
                                 payloads: list[bytes]) -> None:
        body = target.frame(payloads)
        settings = insert_settings_for(target, body)
        if self._chdb_path is not None:
            settings = with_schema_file(settings, self._chdb_path / "format_schemas")
        table = f"`{self.database}`.{target.table}"
        delays = self._backoff.delays(self._rng) if self.config.retry_on_failure.enabled else iter(())
        started = time.monotonic()
        while True:
            try:
                await asyncio.to_thread(client.raw_insert, table, None, body, settings, target.fmt)
                self._set_health("")
                return
            except Exception as exc:
                retryable = is_retryable(exc)
                if retryable:
                    # /health reports this until an insert succeeds again.
                    self._set_health(f"ClickHouse inserts are failing and being retried: {str(exc).splitlines()[0][:300]}")
                if not retryable:
                    raise ExportError(f"ClickHouse refused the {signal.value} data: {exc}", retryable=False) from exc
                wait = next(delays, None)
                if wait is None:
                    raise ExportError(
                        f"ClickHouse unavailable for {time.monotonic() - started:.0f}s: {exc}", retryable=True
                    ) from exc
                self._stats.export_add(self.name, signal, retries=1)
                log.warning("exporter %s: %s insert failed (%s); retrying in %.1fs", self.name, signal.value,
                            str(exc).splitlines()[0][:300], wait)
                await asyncio.sleep(wait)
