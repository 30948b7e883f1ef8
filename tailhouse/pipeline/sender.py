"""The queued sender: reads one cursor of a write-ahead log, cuts batches, pushes them, commits.

This is the exporter side of the log (the Collector's exporterhelper queue + retry senders):

    log ──cut (rows / bytes / age, boundaries fsynced in the cursor)──▶ batch
        ──push (retry: exponential backoff with jitter; never given up)──▶ destination
        ──permanent error: split in halves (split fsynced), a single bad request dead-lettered
        ──done: commit the cursor, the log drops what every reader is done with

Batches grow under load: a consumer that becomes free takes everything waiting (up to the
limits), so the destination's fixed cost per insert is spread over more rows the busier it is.
The deduplication token of a batch is `<log id>-<reader>-<lo>-<hi>`: the same after a retry, a
crash and a replay, because the boundaries were durable before the first attempt.

Workers are supervised: one that dies of an unexpected error is restarted, its batch is sent
again, and `health()` names the failure until a batch gets through.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Awaitable, Callable, Protocol

from .backoff import Backoff
from .errors import ExportError
from .wal import Entry, Range, WriteAheadLog

log = logging.getLogger(__name__)

# A worker that died is restarted after this long (and again, until it stops dying).
RESTART_DELAY = 1.0


@dataclass(frozen=True)
class BatchShape:
    """How batches are cut: `processors.batch` and the exporter's `sending` settings."""

    min_items: int = 8192               # cut as soon as this many items wait ...
    timeout: float = 1.0                # ... or the oldest waiting record is this old
    max_items: int = 200_000            # never more than this many items ...
    max_bytes: int = 32 * 2**20         # ... or payload bytes in one batch (a larger single record goes alone)


@dataclass(frozen=True)
class Batch:
    """Records of one cut, with the token that makes sending them idempotent."""

    range: Range
    entries: list[Entry]
    token: str

    @property
    def items(self) -> int:
        return sum(e.items for e in self.entries)

    @property
    def payloads(self) -> list[bytes]:
        return [e.payload for e in self.entries]


Push = Callable[[Batch], Awaitable[None]]
"""Send a batch; raise ExportError (retryable or permanent) when it was not stored."""

DeadLetter = Callable[[Batch, str], Awaitable[None]]
"""Set aside one record the destination refuses permanently (the batch holds one entry)."""


class SenderObserver(Protocol):
    """Where a sender reports what it did (the service's counters)."""

    def written(self, items: int, seconds: float) -> None: ...
    def retried(self) -> None: ...
    def dead_lettered(self, items: int) -> None: ...
    def corrupt(self, records: int) -> None: ...


class QueuedSender:
    """Sends one reader's share of a log; see the module docstring."""

    def __init__(self, name: str, wal: WriteAheadLog, reader: str, push: Push, dead_letter: DeadLetter,
                 shape: BatchShape, consumers: int, backoff: Backoff, observer: SenderObserver) -> None:
        self.name = name
        self.wal = wal
        self.reader = reader
        self.cursor = wal.cursors[reader]
        self._push = push
        self._dead_letter = dead_letter
        self.shape = shape
        self._consumers = consumers
        self._backoff = Backoff(backoff.initial_interval, backoff.multiplier, backoff.randomization_factor,
                                backoff.max_interval, max_elapsed_time=0)  # data in the log is never given up
        self._warn_after = backoff.max_elapsed_time
        self._observer = observer
        self._rng = random.Random()
        self._replay: deque[Range] = deque()
        self._cut_lock = asyncio.Lock()
        self._wake = wal.listen()
        self._committed = asyncio.Event()
        self._flush_upto = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._failing = ""       # why pushes are failing right now ('' when they are not)
        self._worker_problem = ""

    async def start(self) -> None:
        """Queue the batches a previous run cut but did not finish, then start the workers."""
        self._replay.extend(self.cursor.pending())
        if self._replay:
            log.info("sender %s: %d batches cut by the previous run are sent again first (same tokens)",
                     self.name, len(self._replay))
        for i in range(self._consumers):
            self._tasks.append(asyncio.create_task(self._supervise(i), name=f"{self.name}-{i}"))

    def health(self) -> tuple[bool, str]:
        """(ok, reason): not ok while pushes fail or a worker died."""
        problem = "; ".join(p for p in (self._failing, self._worker_problem) if p)
        return not problem, problem

    async def flush(self, timeout: float) -> bool:
        """Cut at once whatever is waiting and wait until everything appended so far is committed."""
        target = self.wal.end
        self._flush_upto = max(self._flush_upto, target)
        self._wake.set()
        deadline = time.monotonic() + timeout
        while self.cursor.committed < target:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._committed.clear()
            try:
                await asyncio.wait_for(self._committed.wait(), min(left, 0.5))
            except asyncio.TimeoutError:
                pass
        return True

    async def stop(self) -> None:
        """Cancel the workers; a batch in flight stays cut in the cursor and is sent after the next start."""
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    # ---- workers --------------------------------------------------------------------------

    async def _supervise(self, index: int) -> None:
        while True:
            try:
                await self._work()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug: reported on /health and in the log, then the worker restarts
                self._worker_problem = f"worker {index} died: {type(exc).__name__}: {exc}; restarting"
                log.exception("sender %s: worker %d died; restarting it in %.0fs", self.name, index, RESTART_DELAY)
                await asyncio.sleep(RESTART_DELAY)

    async def _work(self) -> None:
        while True:
            batch = await self._next_batch()
            try:
                await self._deliver(batch)
                self._worker_problem = ""
            except BaseException:
                # Not finished: whoever works next sends what is still open of it, with the same tokens.
                rng = batch.range
                self._replay.extendleft(reversed([r for r in self.cursor.pending() if rng.lo <= r.lo <= rng.hi]))
                self._wake.set()
                raise

    async def _finish(self, batch: Range) -> None:
        """Commit `batch`; the log drops what every reader is done with."""
        await asyncio.to_thread(self._commit, batch)
        self.wal.release_memory()
        self._committed.set()

    def _commit(self, batch: Range) -> None:
        self.cursor.done(batch)
        self.wal.release_segments()

    async def _next_batch(self) -> Batch:
        async with self._cut_lock:
            while True:
                if self._replay:
                    return await self._load(self._replay.popleft())
                lo = self.cursor.cut_upto + 1
                end = self.wal.end
                wait: float | None = None
                if end >= lo:
                    nbytes, items = self.wal.measure(lo, end)
                    appended = self.wal.appended_at(lo)
                    age = time.monotonic() - appended if appended else float("inf")
                    if (items >= self.shape.min_items or nbytes >= self.shape.max_bytes
                            or age >= self.shape.timeout or self._flush_upto >= lo):
                        hi = self.wal.cut_end(lo, self.shape.max_bytes, self.shape.max_items)
                        cut = await asyncio.to_thread(self.cursor.cut, lo, hi)
                        return await self._load(cut)
                    wait = self.shape.timeout - age
                self._wake.clear()
                if self.wal.end != end or self._replay:
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                except asyncio.TimeoutError:
                    pass

    async def _load(self, batch: Range) -> Batch:
        entries, need = self.wal.read_memory(batch)
        if need:
            found, damaged = await asyncio.to_thread(self.wal.read_disk, need)
            entries = sorted(entries + found, key=lambda e: e.lsn)
            if damaged:
                self._observer.corrupt(damaged)
            if len(found) < len(need):
                log.error("sender %s: %d record(s) of batch %d..%d are damaged or missing; the rest is sent",
                          self.name, len(need) - len(found), batch.lo, batch.hi)
        return Batch(batch, entries, f"{self.wal.log_id}-{self.reader}-{batch.lo}-{batch.hi}")

    async def _deliver(self, batch: Batch) -> None:
        """Push `batch` until stored and commit it; split it on a permanent error; dead-letter a single bad record."""
        started = time.monotonic()
        error = await self._push_with_retry(batch) if batch.entries else None
        if error is None:
            await self._finish(batch.range)
            if batch.entries:
                self._observer.written(batch.items, time.monotonic() - started)
            return
        if batch.range.count > 1:
            log.warning("sender %s: records %d..%d were refused permanently (%s); splitting the batch to isolate "
                        "the bad ones", self.name, batch.range.lo, batch.range.hi, error)
            for half in await asyncio.to_thread(self.cursor.split, batch.range):
                await self._deliver(await self._load(half))
            return
        await self._dead_letter(batch, error)
        self._observer.dead_lettered(batch.items)
        await self._finish(batch.range)

    async def _push_with_retry(self, batch: Batch) -> str | None:
        """Push until stored (None) or refused permanently (the error)."""
        delays = self._backoff.delays(self._rng)
        started = time.monotonic()
        warned = False
        while True:
            try:
                await self._push(batch)
                self._failing = ""
                return None
            except ExportError as exc:
                if not exc.retryable:
                    return str(exc)
                self._failing = f"pushes are failing and being retried: {exc}"
                elapsed = time.monotonic() - started
                if not warned and self._warn_after and elapsed > self._warn_after:
                    warned = True
                    log.error("sender %s: pushes have failed for %.0fs (%s); the data stays in the log and is "
                              "retried", self.name, elapsed, exc)
                wait = next(delays)
                log.warning("sender %s: push of records %d..%d failed (%s); retrying in %.1fs", self.name,
                            batch.range.lo, batch.range.hi, exc, wait)
                self._observer.retried()
                await asyncio.sleep(wait)
