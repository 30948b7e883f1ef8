"""The ClickHouse exporter: reads its write-ahead logs and raw-inserts batches into the landing tables.

Receivers append accepted requests to this exporter's log of their payload kind (one log per
kind, `tailhouse.pipeline.wal`) and acknowledge their clients once the append is durable. Per
log, a `QueuedSender` per *route* cuts batches, pushes them here and commits:

- a plain exporter has one route: everything goes to its endpoint;
- a sharded exporter (client mode) has one route per shard, each a reader of the same log with
  its own position, so a slow or unreachable shard holds up only its own rows (sharded_exporter.py).

The push is a raw insert of the batch's requests, framed for the landing table's format, with
the batch's stable token as `insert_deduplication_token`: a retry, or a replay after a crash,
is stored once, also through the landing tables' materialized views. The insert settings are set
explicitly (`async_insert = 0`, dedup on), so an acknowledgement from ClickHouse means stored
whatever the server's profile says. A request ClickHouse refuses permanently is isolated by the
sender's split and kept in the dead-letter directory.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError
from google.protobuf.internal.encoder import _VarintBytes

from tailhouse.pipeline.errors import ExportError, first_line
from tailhouse.pipeline.exporter_logs import LoggedExporter, exporter_logs
from tailhouse.pipeline.sender import Batch, BatchShape
from tailhouse.pipeline.signals import TAIL_KIND, Signal, otlp_kind
from tailhouse.pipeline.stats import Stats
from tailhouse.pipeline.wal import WriteAheadLog

from ..deadletter import DeadLetter, DeadLetterStore, letter_id, new_letter
from ..retry import is_retryable
from .client import client_for
from .config import ClickHouseExporterConfig
from .ddl import quote
from .landing_schema import LANDING_TABLES, insert_settings, with_schema_file
from .migrations import migrate

log = logging.getLogger(__name__)

__all__ = ["ClickHouseExporter", "ClickHouseWriter", "LANDING_TARGETS", "Route", "insert_settings_for",
           "replay_dead_letters"]


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


# Settings that make an insert's acknowledgement mean "stored, once": never an async insert
# (ClickHouse 26.3+ servers turn it on by default), deduplicated by token, through the views too.
DELIVERY_SETTINGS: dict[str, str] = {
    "async_insert": "0",
    "insert_deduplicate": "1",
    "deduplicate_blocks_in_dependent_materialized_views": "1",
}


def insert_settings_for(target: LandingTarget, body: bytes, token: str | None = None) -> dict[str, str]:
    """Settings of one insert of `body`: the target's format settings, delivery settings and a token.

    The token is `token` when given (a batch's stable token), else a digest of `body`. Same
    token, same bytes: a retry after an ambiguous failure (or a replay) is stored once, also
    through the landing table's materialized views.
    """
    settings = target.settings()
    settings.update(DELIVERY_SETTINGS)
    settings["insert_deduplication_token"] = token or hashlib.sha256(body).hexdigest()
    return settings


def _tail_settings() -> dict[str, str]:
    # Timestamps are ISO-8601 with `Z`; an unknown column is a mapping bug and must fail loudly.
    return {"date_time_input_format": "best_effort", "input_format_skip_unknown_fields": "0"}


# Tail events are mapped in Python (collector/tail/mapping.py) and arrive as finished `events`
# rows in JSONEachRow, so they go straight into `events`.
_TAIL_TARGET = LandingTarget("events", "JSONEachRow", b"".join, _tail_settings)

# payload kind -> landing target; receivers name the kind of what they accept
LANDING_TARGETS: dict[str, LandingTarget] = {**{otlp_kind(s): _otlp_target(s) for s in Signal}, TAIL_KIND: _TAIL_TARGET}


class ClickHouseWriter:
    """Inserts into one ClickHouse destination (an endpoint, or one shard's replicas) and keeps its dead letters."""

    def __init__(self, name: str, config: ClickHouseExporterConfig, chdb_path: Path | None,
                 dead_letters: DeadLetterStore, connect: Callable[[str | None], Client] | None = None) -> None:
        self.name = name
        self.config = config
        self.chdb_path = chdb_path
        self.dead_letters = dead_letters
        self._connect = connect
        self._pool: asyncio.Queue[Client] = asyncio.Queue()
        self._clients: list[Client] = []
        self._query_client: Client | None = None

    @property
    def database(self) -> str:
        return self.config.database

    def new_client(self, database: str | None = None) -> Client:
        """A fresh client for this destination (optionally with a default database)."""
        if self._connect is not None:
            return self._connect(database)
        return client_for(self.config, self.chdb_path, database)

    def query_client(self) -> Client:
        """A client for ad-hoc queries, apart from the inserting ones (shares the embedded engine)."""
        if self._query_client is None:
            self._query_client = self.new_client(self.database)
            self._clients.append(self._query_client)
        return self._query_client

    async def connect(self, clients: int) -> None:
        """Open `clients` clients for parallel inserts; apply migrations when the config asks."""
        for _ in range(clients):
            c = await asyncio.to_thread(self.new_client)
            self._clients.append(c)
            self._pool.put_nowait(c)
        if self.config.create_schema:
            client = await self._pool.get()
            try:
                options = self.config.table_options()
                applied = await asyncio.to_thread(migrate, client, self.database, options)
            finally:
                self._pool.put_nowait(client)
            if applied:
                log.info("exporter %s: schema migrations %s applied to %s", self.name, applied, self.database)

    async def insert(self, kind: str, payloads: list[bytes], token: str) -> None:
        """Insert `payloads` of `kind` with `token`; raises ExportError (retryable or permanent)."""
        client = await self._pool.get()
        try:
            # Framing copies megabytes: in the worker thread with the insert, off the event loop.
            await asyncio.to_thread(self._insert, client, kind, payloads, token)
        except DatabaseError as exc:  # ClickHouse's answer: retryable (its state) or permanent (the data)
            raise ExportError(f"{type(exc).__name__}: {first_line(exc)}", retryable=is_retryable(exc)) from exc
        except Exception as exc:
            # Anything else (the network, a local file, a bug) says nothing against the data: the
            # batch stays in the log and is retried; /health shows the error meanwhile.
            log.warning("exporter %s: a %s insert failed before ClickHouse judged the data", self.name, kind,
                        exc_info=True)
            raise ExportError(f"{type(exc).__name__}: {first_line(exc)}", retryable=True) from exc
        finally:
            self._pool.put_nowait(client)

    def _insert(self, client: Client, kind: str, payloads: list[bytes], token: str) -> None:
        target = LANDING_TARGETS[kind]
        body = target.frame(payloads)
        settings = insert_settings_for(target, body, token)
        if self.chdb_path is not None:
            settings = with_schema_file(settings, self.chdb_path / "format_schemas")
        client.raw_insert(f"{quote(self.database)}.{target.table}", None, body, settings, target.fmt)

    async def dead_letter(self, kind: str, letter_id: str, payload: bytes, items: int, error: str) -> None:
        """Keep one refused request (framed as it would be inserted) for `tailhouse deadletter replay`."""
        target = LANDING_TARGETS[kind]
        letter = new_letter(letter_id, kind, items, len(payload), error)
        path = await asyncio.to_thread(self.dead_letters.write, letter, target.frame([payload]))
        log.error("exporter %s: ClickHouse refused a %s request of %d items permanently; it is kept in %s "
                  "(`tailhouse deadletter list|replay`): %s", self.name, kind, items, path, error)

    def close(self) -> None:
        for c in self._clients:
            try:
                c.close()
            except Exception:  # closing a client that lost its server must not stop shutdown
                log.warning("exporter %s: closing a ClickHouse client failed", self.name, exc_info=True)
        self._clients.clear()


Select = Callable[[str, list[bytes]], list[tuple[bytes, int]]]
"""A route's share of a batch: (kind, payloads) -> (payload, items) of the rows that go this way."""


@dataclass
class Route:
    """One reader of the exporter's logs and where it writes."""

    reader: str
    writer: ClickHouseWriter
    select: Select | None = None
    stats_name: str = ""


class ClickHouseExporter(LoggedExporter):
    """Writes what its logs hold to ClickHouse, through one route (or one per shard)."""

    def __init__(self, name: str, config: ClickHouseExporterConfig, stats: Stats, log_dir: Path,
                 routes: list[Route], shapes: dict[str, BatchShape] | None = None) -> None:
        self.name = name
        self.config = config
        self.routes = routes
        self._shapes = shapes or {}
        self.logs = exporter_logs(name, log_dir, config.sending_queue, config.retry_on_failure, stats)
        for route in routes:
            stats.exporter(route.stats_name or name).queue_capacity_bytes = self.logs.options.max_bytes
        stats.refreshers.append(self._refresh_stats)

    @property
    def database(self) -> str:
        return self.config.database

    def query_client(self) -> Client:
        """Client for ad-hoc queries (the first route's destination)."""
        return self.routes[0].writer.query_client()

    def new_client(self, database: str | None = None) -> Client:
        return self.routes[0].writer.new_client(database)

    @property
    def dead_letters(self) -> DeadLetterStore:
        return self.routes[0].writer.dead_letters

    async def start(self, kinds: list[str]) -> None:
        """Open the logs (recovering what a previous run left), connect, migrate, start the senders.

        What the previous run left is sent first, in the batches it was cut into.
        """
        await self.logs.open(kinds, [r.reader for r in self.routes])
        for route in self.routes:
            await route.writer.connect(self.config.sending.num_consumers * len(kinds))
        default = BatchShape(max_items=self.config.sending.max_insert_items)
        for kind, state in self.logs.kinds.items():
            for route in self.routes:
                await self.logs.add_sender(kind, route.reader, self._pusher(kind, route),
                                           self._dead_letterer(kind, state.wal, route), self._shapes.get(kind, default),
                                           self.config.sending.num_consumers, route.stats_name)

    def _pusher(self, kind: str, route: Route) -> Callable[[Batch], Awaitable[None]]:
        async def push(batch: Batch) -> None:
            payloads = batch.payloads
            if route.select is not None:
                parts = await asyncio.to_thread(route.select, kind, payloads)
                payloads = [p for p, _ in parts]
                if not payloads:
                    return  # nothing of this batch belongs to this route
            await route.writer.insert(kind, payloads, batch.token)
        return push

    def _dead_letterer(self, kind: str, wal: WriteAheadLog, route: Route) -> Callable[[Batch, str], Awaitable[None]]:
        async def dead_letter(batch: Batch, error: str) -> None:
            for entry in batch.entries:
                parts = [(entry.payload, entry.items)]
                if route.select is not None:
                    parts = await asyncio.to_thread(route.select, kind, [entry.payload])
                for i, (payload, items) in enumerate(parts):
                    await route.writer.dead_letter(kind, letter_id(wal.log_id, route.reader, entry.lsn, i), payload,
                                                   items, error)
        return dead_letter

    def _refresh_stats(self) -> None:
        for route in self.routes:
            self.logs.report_depth(route.stats_name or self.name, route.reader)

    async def shutdown(self) -> None:
        """Stop the senders, close the logs (unsent records stay for the next start) and the clients."""
        await self.logs.close()
        for route in self.routes:
            route.writer.close()


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
            client.raw_insert(f"{quote(database)}.{target.table}", None, body, settings, target.fmt)
        except Exception as exc:  # reported per dead letter; the others are still tried
            results.append(ReplayResult(letter, first_line(exc)))
            continue
        store.remove(letter)
        results.append(ReplayResult(letter))
    return results
