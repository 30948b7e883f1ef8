"""The ClickHouse exporter: durable queue, then raw inserts of batched requests into landing tables.

Per payload kind, batches handed over by the batchers wait in an inbox. A worker that becomes
free seals everything waiting (up to `max_insert_items`) into one *record*: it is appended to the
durable queue and fsynced (exporters/queue), then inserted. Under load records grow, which
amortises ClickHouse's fixed cost per insert; at low load a batch is written as soon as it is
handed over. While every worker is busy, the inbox is sealed after `SEAL_DELAY` anyway, so data
becomes durable (and its clients can be acknowledged) without waiting for a free worker.

A record is the unit of insertion and of idempotency: its deduplication token is derived from
its random id, which is stored in the record, so a retry or a replay after a crash sends the
same bytes with the same token and ClickHouse stores them once (through the landing table's
materialized views too, with `deduplicate_blocks_in_dependent_materialized_views`).

Acknowledgement: a client's request completes when its rows are stored, or (with the queue on)
once it is fsynced and either inserts are failing with retryable errors or `ack_wait` passed,
whichever comes first. A permanent error splits the record in halves until the bad requests are
isolated; the rest is inserted and each bad request goes to the dead-letter directory.
Retryable errors are retried with backoff; with the queue on, never given up (the data stays
queued, bounded by `max_size_mib`); with the queue off, until `max_elapsed_time`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import os
import random
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from clickhouse_connect.driver.client import Client
from google.protobuf.internal.encoder import _VarintBytes

from collector.batching.batcher import Batch
from collector.config import ClickHouseExporterConfig
from collector.otlp_requests import Signal, otlp_kind
from collector.stats import Stats
from collector.tail import TAIL_KIND

from ..deadletter import DeadLetter, DeadLetterStore, new_letter
from ..queue.durable_queue import DurableQueue, RecordRef, request_digest
from ..queue.segments import QueuedRequest, Record
from ..retry import Backoff, is_retryable
from .client import make_client
from .events_table import TableOptions
from .landing_schema import LANDING_TABLES, insert_settings, with_schema_file
from .migrations import migrate

log = logging.getLogger(__name__)


class ExportError(Exception):
    """Storing a request failed; `retryable` says whether the client should send it again.

    `retry_after` (seconds) is the delay receivers suggest to the client (gRPC RetryInfo,
    HTTP Retry-After).
    """

    def __init__(self, message: str, retryable: bool, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class QueueFull(ExportError):
    """The durable queue holds `max_size_mib` of unwritten data: backpressure, the client retries."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, retryable=True, retry_after=retry_after)


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


def insert_settings_for(target: LandingTarget, body: bytes, token: str | None = None) -> dict[str, str]:
    """Settings of one insert of `body`: the target's format settings plus an idempotency token.

    The token is `token` when given (a queued record's id), else a digest of `body`. Same
    token, same bytes: a retry after an ambiguous failure (or a replay) is stored once, also
    through the landing table's materialized views.
    """
    settings = target.settings()
    settings["insert_deduplication_token"] = token or hashlib.sha256(body).hexdigest()
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
# payload kind -> the signal whose counters it feeds
KIND_SIGNALS: dict[str, Signal] = {**{otlp_kind(s): s for s in Signal}, TAIL_KIND: Signal.LOGS}

# While every worker is busy, waiting batches are sealed into a durable record after this long.
# Longer means larger records under load (one insert each: ClickHouse's ~0.3 s fixed cost per
# insert is then amortised over more rows); unsealed data is not yet acknowledged, so a crash
# before sealing loses nothing a client would not send again.
SEAL_DELAY = 1.0



class _PermanentFailure(Exception):
    """ClickHouse refused an insert because of its data (retrying cannot help)."""


class _GaveUp(Exception):
    """Retryable errors lasted past max_elapsed_time (only without the durable queue)."""

    def __init__(self, error: ExportError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Sealed:
    """A record ready for insertion: on disk (`ref`) or, without a queue, in memory (`record`)."""

    record_id: bytes
    items: int
    nbytes: int
    ref: RecordRef | None = None
    record: Record | None = None
    # per request of the record: the client's future (None for records replayed after a restart)
    futures: list[asyncio.Future[None] | None] = field(default_factory=list)

    def acknowledge(self, lo: int = 0, hi: int | None = None) -> None:
        """Tell the clients of requests lo..hi that their data is safe."""
        for f in self.futures[lo:hi]:
            if f is not None and not f.done():
                f.set_result(None)

    def fail(self, lo: int, hi: int, exc: ExportError) -> None:
        for f in self.futures[lo:hi]:
            if f is not None and not f.done():
                f.set_exception(exc)


@dataclass
class _Kind:
    """One payload kind's inbox, sealed records and workers."""

    kind: str
    signal: Signal
    target: LandingTarget
    queue: DurableQueue | None
    inbox: list[Batch] = field(default_factory=list)
    inbox_since: float = 0.0
    ready: deque[_Sealed] = field(default_factory=deque)
    busy: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    seal_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def idle(self) -> bool:
        return not self.inbox and not self.ready and self.busy == 0


class ClickHouseExporter:
    """Writes batches to ClickHouse (embedded chDB or a server) through the landing tables.

    `queue_dir` holds the durable queue (one subdirectory per payload kind); None keeps batches
    in memory only and acknowledges clients when their data is stored. `dead_letter_dir` receives
    requests ClickHouse refuses permanently.
    """

    def __init__(self, name: str, config: ClickHouseExporterConfig, chdb_path: Path | None, stats: Stats,
                 queue_dir: Path | None = None, dead_letter_dir: Path | None = None) -> None:
        self.name = name
        self.config = config
        self._chdb_path = chdb_path
        self._stats = stats
        self._queue_dir = queue_dir
        self.dead_letters = DeadLetterStore(dead_letter_dir or (queue_dir or Path("data") / "queue") / "deadletter")
        self._kinds: dict[str, _Kind] = {}
        self._clients: list[Client] = []
        self._query_client: Client | None = None
        retry = config.retry_on_failure
        self._backoff = Backoff(
            initial_interval=retry.initial_interval,
            multiplier=retry.multiplier,
            randomization_factor=retry.randomization_factor,
            max_interval=retry.max_interval,
            max_elapsed_time=retry.max_elapsed_time,
        )
        self._rng = random.Random()
        self._capacity = config.sending_queue.max_size_mib * 2**20 if queue_dir is not None else 0
        self._stats.exporter(name).queue_capacity_bytes = self._capacity

    @property
    def database(self) -> str:
        return self.config.database

    @property
    def durable(self) -> bool:
        """True when accepted data is kept in the on-disk queue until stored."""
        return self._queue_dir is not None

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
        """Open the queue (replaying what a previous run left), connect, migrate, start workers.

        Replayed records are first in line, so they are inserted before any new data.
        """
        states = {kind: _Kind(kind, KIND_SIGNALS[kind], LANDING_TARGETS[kind], self._open_queue(kind)) for kind in kinds}
        for state in states.values():
            if state.queue is not None:
                await self._replay(state)
        client = await asyncio.to_thread(self.new_client)
        self._clients.append(client)
        if self.config.create_schema:
            options = TableOptions(ttl_days=int(self.config.ttl // 86400))
            applied = await asyncio.to_thread(migrate, client, self.database, options)
            if applied:
                log.info("exporter %s: schema migrations %s applied to %s", self.name, applied, self.database)
        for kind, state in states.items():
            for i in range(self.config.sending.num_consumers):
                c = client if i == 0 else await asyncio.to_thread(self.new_client)
                if c is not client:
                    self._clients.append(c)
                state.tasks.append(asyncio.create_task(self._worker(state, c), name=f"{self.name}-{kind}-{i}"))
            if state.queue is not None:
                state.tasks.append(asyncio.create_task(self._sealer(state), name=f"{self.name}-{kind}-sealer"))
            self._kinds[kind] = state

    def _open_queue(self, kind: str) -> DurableQueue | None:
        if self._queue_dir is None:
            return None
        return DurableQueue(self._queue_dir / kind, self.config.sending_queue.segment_size_mib * 2**20)

    async def _replay(self, state: _Kind) -> None:
        assert state.queue is not None
        refs = await asyncio.to_thread(state.queue.open)
        for ref in refs:
            state.ready.append(_Sealed(ref.record_id, ref.items, ref.nbytes, ref=ref, futures=[None] * ref.requests))
        if refs:
            items, nbytes = sum(r.items for r in refs), sum(r.nbytes for r in refs)
            self._stats.export_add(self.name, state.signal, pending_items=items, pending_bytes=nbytes,
                                   replayed_items=items)
            log.info("exporter %s: replaying %d queued %s records (%d items, %d bytes) left by the previous run",
                     self.name, len(refs), state.kind, items, nbytes)

    async def submit(self, batch: Batch) -> None:
        """Queue a batch for writing (the futures of its requests complete when it is safe).

        With the durable queue, a request byte-identical to one queued recently (a client's
        resend after a lost acknowledgement) completes at once and is not stored again. When
        the queue is full, the batch's requests fail with QueueFull (backpressure).
        """
        state = self._kinds[batch.kind]
        if state.queue is not None:
            batch = await self._without_resends(state, batch)
            if not batch.requests:
                return
            figures = self._stats.exporter(self.name)
            used = figures.queue_bytes()
            figures.refusing = used + batch.nbytes > self._capacity
            if figures.refusing:
                retry_after = max(1.0, self.config.retry_on_failure.initial_interval)
                err = QueueFull(f"exporter {self.name}: queue full ({used} of {self._capacity} bytes waiting for "
                                f"ClickHouse); retry in {retry_after:.0f}s", retry_after)
                self._stats.export_add(self.name, batch.signal, refused_items=batch.items)
                log.warning("%s: refused %d %s items", err, batch.items, batch.signal.value)
                for r in batch.requests:
                    if not r.done.done():
                        r.done.set_exception(err)
                return
        self._stats.export_add(self.name, batch.signal, submitted_items=batch.items, pending_items=batch.items,
                               pending_bytes=batch.nbytes)
        if not state.inbox:
            state.inbox_since = time.monotonic()
        state.inbox.append(batch)
        state.changed.set()

    async def _without_resends(self, state: _Kind, batch: Batch) -> Batch:
        assert state.queue is not None
        keep = Batch(batch.signal, batch.kind, started=batch.started)
        queue = state.queue
        # Hashing megabytes of payload off the event loop, so receivers keep answering meanwhile.
        resent = await asyncio.to_thread(lambda: [queue.seen(request_digest(r.payload)) for r in batch.requests])
        for r, was_seen in zip(batch.requests, resent):
            if was_seen:
                log.info("exporter %s: a %s request of %d items was queued before (a resend); acknowledged, "
                         "not stored twice", self.name, batch.kind, r.items)
                self._stats.export_add(self.name, batch.signal, resent_items=r.items)
                if not r.done.done():
                    r.done.set_result(None)
            else:
                keep.add(r)
        return keep

    def health(self) -> tuple[bool, str]:
        """(can write, reason): false while inserts are failing and being retried."""
        e = self._stats.exporter(self.name)
        return e.healthy, e.problem

    def _set_health(self, problem: str) -> None:
        e = self._stats.exporter(self.name)
        e.healthy, e.problem = not problem, problem

    async def drain(self, timeout: float) -> bool:
        """Wait until every accepted batch is written; False if that took longer than `timeout`.

        With the durable queue, what is not written by then is sealed into the queue and
        written after the next start.
        """
        deadline = time.monotonic() + timeout
        while not all(s.idle() for s in self._kinds.values()):
            if time.monotonic() >= deadline:
                for s in self._kinds.values():
                    if s.queue is not None:
                        await self._seal(s)
                return False
            await asyncio.sleep(0.02)
        return True

    async def shutdown(self) -> None:
        """Stop the workers, seal what is waiting into the queue, close the queue and clients."""
        for s in self._kinds.values():
            for t in s.tasks:
                t.cancel()
            await asyncio.gather(*s.tasks, return_exceptions=True)
        for s in self._kinds.values():
            if s.queue is not None:
                await self._seal(s)
                left = sum(r.items for r in s.ready)
                if left:
                    log.warning("exporter %s: %d %s items stay queued in %s and are written after the next start",
                                self.name, left, s.kind, s.queue.directory)
                for r in s.ready:
                    r.acknowledge()  # durable: the clients may go
                await asyncio.to_thread(s.queue.close)
            else:
                err = ExportError(f"exporter {self.name} stopped before the data was stored", retryable=True)
                for r in s.ready:
                    r.fail(0, len(r.futures), err)
                for b in s.inbox:
                    for req in b.requests:
                        if not req.done.done():
                            req.done.set_exception(err)
        for c in self._clients:
            try:
                c.close()
            except Exception:  # closing a client that lost its server must not stop shutdown
                log.warning("exporter %s: closing a ClickHouse client failed", self.name, exc_info=True)
        self._clients.clear()

    async def _seal(self, state: _Kind) -> None:
        """Turn the batches waiting in the inbox into one record (durable when there is a queue)."""
        async with state.seal_lock:
            if not state.inbox:
                return
            taken: list[Batch] = []
            items = 0
            while state.inbox and (not taken or items < self.config.sending.max_insert_items):
                b = state.inbox.pop(0)
                taken.append(b)
                items += b.items
            if state.inbox:
                state.inbox_since = time.monotonic()
            pending = [r for b in taken for r in b.requests]
            record = Record(os.urandom(16), state.kind, [QueuedRequest(r.payload, r.items) for r in pending])
            sealed = _Sealed(record.record_id, items, sum(b.nbytes for b in taken),
                             futures=[r.done for r in pending])
            if state.queue is None:
                sealed.record = record
            else:
                try:
                    sealed.ref = await asyncio.to_thread(state.queue.append, record)
                except OSError as exc:
                    # Not durable: the clients must send again (nothing was acknowledged).
                    log.error("exporter %s: writing to the queue in %s failed: %s", self.name, state.queue.directory, exc)
                    self._stats.export_add(self.name, state.signal, pending_items=-items, pending_bytes=-sealed.nbytes,
                                           failed_items=items)
                    sealed.fail(0, len(pending), ExportError(f"the queue could not store the data: {exc}", retryable=True))
                    return
                if self._stats.exporter(self.name).healthy:
                    wait = self.config.sending_queue.ack_wait
                    asyncio.get_running_loop().call_later(wait, sealed.acknowledge)
                else:
                    sealed.acknowledge()  # inserts are failing: durable is as good as it gets for now
            state.ready.append(sealed)
            state.changed.set()

    async def _sealer(self, state: _Kind) -> None:
        """Seal waiting batches after SEAL_DELAY even while every worker is busy (durability first)."""
        while True:
            if not state.inbox:
                state.changed.clear()
                await state.changed.wait()
                continue
            due = state.inbox_since + SEAL_DELAY - time.monotonic()
            if due > 0:
                await asyncio.sleep(due)
                continue
            try:
                await self._seal(state)
            except Exception:
                log.exception("exporter %s: sealing %s batches failed", self.name, state.kind)
                await asyncio.sleep(SEAL_DELAY)

    async def _next(self, state: _Kind) -> _Sealed:
        while True:
            if state.ready:
                return state.ready.popleft()
            if state.inbox:
                await self._seal(state)
                continue
            state.changed.clear()
            await state.changed.wait()

    async def _worker(self, state: _Kind, client: Client) -> None:
        while True:
            sealed = await self._next(state)
            state.busy += 1
            started = time.monotonic()
            try:
                await self._deliver(state, client, sealed)
            except asyncio.CancelledError:
                # Shutdown: a queued record is replayed after the next start; an in-memory one is
                # failed by shutdown() so its clients retry.
                state.ready.appendleft(sealed)
                raise
            finally:
                state.busy -= 1
            self._stats.observe_export(self.name, state.signal, time.monotonic() - started)

    async def _deliver(self, state: _Kind, client: Client, sealed: _Sealed) -> None:
        record = sealed.record
        if record is None:
            assert state.queue is not None and sealed.ref is not None
            record = await asyncio.to_thread(state.queue.read, sealed.ref)
        await self._store_range(state, client, sealed, record, 0, len(record.requests))
        if sealed.ref is not None:
            assert state.queue is not None
            await asyncio.to_thread(state.queue.ack, sealed.ref)
        self._stats.export_add(self.name, state.signal, pending_items=-sealed.items, pending_bytes=-sealed.nbytes)
        self._stats.exporter(self.name).refusing = False  # room again; the next batch decides anew

    async def _store_range(self, state: _Kind, client: Client, sealed: _Sealed, record: Record, lo: int, hi: int) -> None:
        """Insert requests lo..hi of `record`; on a permanent error split in halves to isolate the bad ones."""
        whole = lo == 0 and hi == len(record.requests)
        # Stable across retries and replays: the record id, plus the range once split.
        token = record.record_id.hex() if whole else f"{record.record_id.hex()}-{lo}-{hi}"
        requests = record.requests[lo:hi]
        items = sum(r.items for r in requests)
        try:
            await self._insert_with_retry(state, client, [r.payload for r in requests], token, sealed)
        except _PermanentFailure as exc:
            if hi - lo > 1:
                log.warning("exporter %s: a %s insert of %d requests was refused permanently (%s); splitting it "
                            "to isolate the bad ones", self.name, state.kind, hi - lo, exc)
                mid = (lo + hi) // 2
                await self._store_range(state, client, sealed, record, lo, mid)
                await self._store_range(state, client, sealed, record, mid, hi)
                return
            await self._dead_letter(state, sealed, record, lo, str(exc))
            return
        except _GaveUp as exc:
            self._stats.export_add(self.name, state.signal, failed_items=items)
            sealed.fail(lo, hi, exc.error)
            return
        self._stats.export_add(self.name, state.signal, written_items=items, batches=1)
        sealed.acknowledge(lo, hi)

    async def _dead_letter(self, state: _Kind, sealed: _Sealed, record: Record, index: int, error: str) -> None:
        req = record.requests[index]
        letter = new_letter(f"{record.record_id.hex()}-{index}", state.kind, req.items, len(req.payload), error)
        path = await asyncio.to_thread(self.dead_letters.write, letter, state.target.frame([req.payload]))
        self._stats.export_add(self.name, state.signal, dead_letter_items=req.items)
        log.error("exporter %s: ClickHouse refused a %s request of %d items permanently; it is kept in %s "
                  "(`tailhouse deadletter list|replay`): %s", self.name, state.kind, req.items, path, error)
        sealed.fail(index, index + 1, ExportError(f"ClickHouse refused the data: {error}", retryable=False))

    async def _insert_with_retry(self, state: _Kind, client: Client, payloads: list[bytes], token: str,
                                 sealed: _Sealed) -> None:
        target = state.target
        body = target.frame(payloads)
        settings = insert_settings_for(target, body, token)
        if self._chdb_path is not None:
            settings = with_schema_file(settings, self._chdb_path / "format_schemas")
        table = f"`{self.database}`.{target.table}"
        durable = state.queue is not None
        # With the durable queue, data is never given up: the schedule has no end.
        backoff = dataclasses.replace(self._backoff, max_elapsed_time=0) if durable else self._backoff
        delays = backoff.delays(self._rng) if (durable or self.config.retry_on_failure.enabled) else iter(())
        started = time.monotonic()
        warned_overdue = False
        while True:
            try:
                await asyncio.to_thread(client.raw_insert, table, None, body, settings, target.fmt)
                self._set_health("")
                return
            except Exception as exc:
                first_line = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
                if not is_retryable(exc):
                    raise _PermanentFailure(f"{type(exc).__name__}: {first_line}") from exc
                # /health reports this until an insert succeeds again.
                self._set_health(f"ClickHouse inserts are failing and being retried: {first_line}")
                if durable:
                    # Everything sealed is fsynced; its clients need not wait for the outage to end.
                    sealed.acknowledge()
                    for waiting in state.ready:
                        waiting.acknowledge()
                wait = next(delays, None)
                elapsed = time.monotonic() - started
                if wait is None:
                    raise _GaveUp(ExportError(f"ClickHouse unavailable for {elapsed:.0f}s: {first_line}",
                                              retryable=True)) from exc
                if durable and not warned_overdue and elapsed > self.config.retry_on_failure.max_elapsed_time > 0:
                    warned_overdue = True
                    log.error("exporter %s: ClickHouse has refused %s inserts for %.0fs; the data stays queued and "
                              "is retried every %.0fs at most", self.name, state.kind, elapsed,
                              self.config.retry_on_failure.max_interval)
                self._stats.export_add(self.name, state.signal, retries=1)
                log.warning("exporter %s: %s insert failed (%s); retrying in %.1fs", self.name, state.kind,
                            first_line, wait)
                await asyncio.sleep(wait)


@dataclass(frozen=True)
class ReplayResult:
    """What happened to one dead letter on replay: stored, or the error it failed with again."""

    letter: DeadLetter
    error: str = ""


def replay_dead_letters(client: Client, database: str, store: DeadLetterStore, ids: list[str] | None = None,
                        extra_settings: dict[str, str] | None = None) -> list[ReplayResult]:
    """Insert dead letters again (blocking); each one stored is removed from the store.

    `extra_settings` are ClickHouse settings for these inserts (e.g. a raised
    max_partitions_per_insert_block once the cause is understood). The deduplication token is
    the dead letter's id, so running a replay twice stores the data once.
    """
    results = []
    for letter in store.list():
        if ids and letter.id not in ids:
            continue
        target = LANDING_TARGETS.get(letter.kind)
        if target is None:  # a bad entry is skipped with a message; the others are still replayed
            results.append(ReplayResult(letter, f"unknown kind {letter.kind!r}; skipped"))
            continue
        try:
            body = store.payload(letter)
            settings = {**insert_settings_for(target, body, f"deadletter-{letter.id}"), **(extra_settings or {})}
            client.raw_insert(f"`{database}`.{target.table}", None, body, settings, target.fmt)
        except Exception as exc:  # reported per dead letter; the others are still tried
            results.append(ReplayResult(letter, str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__))
            continue
        store.remove(letter)
        results.append(ReplayResult(letter))
    return results
