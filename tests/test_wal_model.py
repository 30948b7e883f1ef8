"""Model-based test of the write-ahead log and its sender (hypothesis stateful testing).

In the spirit of Vector's disk-buffer model tests: random interleavings of appends, sender
progress, destination failures (retryable and permanent), crashes at any file operation
(including between two segment deletions), restarts, a flipped byte in a closed segment, and
a full disk on append. The destination is a small model of ClickHouse's deduplication: a batch
whose token was stored before is ignored.

Invariants, checked after every step and at the end (after a final restart and drain):
- every acknowledged record is stored exactly once (counting distinct tokens), or dead-lettered
  (a poison record), or was itself damaged by the flipped byte and is counted as corrupt;
- no record is ever stored twice, acknowledged or not (a failed append is never half-accepted
  and then duplicated); a batch split after a permanent error is never stored whole later, even
  when the cause went away (`poison_cured`) and a crash made the sender start over.

Crashes and a full disk are injected through a stand-in for the `os` module of the log and
cursor code: they are faults this test cannot cause for real at an exact point.
"""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import tailhouse.pipeline.wal.cursor as cursor_mod
import tailhouse.pipeline.wal.log as log_mod
from tailhouse.pipeline.backoff import Backoff
from tailhouse.pipeline.errors import ExportError
from tailhouse.pipeline.sender import Batch, BatchShape, QueuedSender
from tailhouse.pipeline.wal import LogOptions, WriteAheadLog

READER = "model"


class SimulatedCrash(BaseException):
    """The process dies here: nothing after this point runs (BaseException, so no handler catches it)."""


class FaultyOS:
    """`os` for the log code, with a crash armed after N file operations and a full disk on demand."""

    INTERCEPTED = {"write", "fsync", "replace", "truncate", "unlink"}

    def __init__(self) -> None:
        self.crash_after: int | None = None
        self.dead = False  # after the crash nothing more reaches the disk, as in a dead process
        self.disk_full = False

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name not in self.INTERCEPTED:
            return real

        def op(*args: Any, **kwargs: Any) -> Any:
            if self.dead:
                raise SimulatedCrash(name)
            if self.crash_after is not None:
                if self.crash_after == 0:
                    self.crash_after = None
                    self.dead = True
                    raise SimulatedCrash(name)
                self.crash_after -= 1
            if name == "write" and self.disk_full:
                self.disk_full = False
                # a partial write, as a real full disk leaves behind
                real(args[0], args[1][: len(args[1]) // 2])
                raise OSError(errno.ENOSPC, "No space left on device (simulated)")
            return real(*args, **kwargs)

        return op


class Destination:
    """ClickHouse as the sender sees it: stores batches by token, once; refuses poison permanently."""

    def __init__(self) -> None:
        self.stored: dict[str, list[bytes]] = {}
        self.dead: dict[str, bytes] = {}
        self.down = False
        self.cured = False  # e.g. a partition limit raised: what was refused permanently now goes in

    async def push(self, batch: Batch) -> None:
        if self.down:
            raise ExportError("destination down (model)", retryable=True)
        if not self.cured and any(p.startswith(b"poison") for p in batch.payloads):
            raise ExportError("poison (model)", retryable=False)
        self.stored.setdefault(batch.token, batch.payloads)

    async def dead_letter(self, batch: Batch, error: str) -> None:
        for e in batch.entries:
            self.dead.setdefault(f"{batch.token}-{e.lsn}", e.payload)

    def counts(self) -> Counter[bytes]:
        return Counter(p for payloads in self.stored.values() for p in payloads)


class NullObserver:
    def written(self, items: int, seconds: float) -> None: ...
    def retried(self) -> None: ...
    def dead_lettered(self, items: int) -> None: ...
    def corrupt(self, records: int) -> None: ...


OPTIONS = LogOptions(segment_bytes=600, max_bytes=1 << 20, memory_bytes=400)
SHAPE = BatchShape(min_items=3, timeout=0.0, max_items=4, max_bytes=300)
BACKOFF = Backoff(initial_interval=0.001, multiplier=1.0, randomization_factor=0.0, max_interval=0.001,
                  max_elapsed_time=0)


class LogMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="wal-model-"))
        self.fos = FaultyOS()
        log_mod.os = self.fos  # type: ignore[attr-defined]
        cursor_mod.os = self.fos  # type: ignore[attr-defined]
        self.loop = asyncio.new_event_loop()
        self.dest = Destination()
        self.acked: set[bytes] = set()
        self.poison: set[bytes] = set()
        self.damaged: set[bytes] = set()     # records whose bytes the flipped byte may have hit
        self.counter = 0
        self.corrupt_seen = 0
        self.wal: WriteAheadLog | None = None
        self.sender: QueuedSender | None = None
        self._open()

    # ---- lifecycle ------------------------------------------------------------------------

    def _open(self) -> None:
        self.executor = ThreadPoolExecutor(4)
        self.loop.set_default_executor(self.executor)

        async def start() -> None:
            self.wal = WriteAheadLog(self.dir, OPTIONS)
            recovery = await asyncio.to_thread(self.wal.open, [READER])
            self.corrupt_seen += recovery.corrupt_records
            self.sender = QueuedSender("model", self.wal, READER, self.dest.push, self.dest.dead_letter, SHAPE, 2,
                                       BACKOFF, NullObserver())
            await self.sender.start()

        self.loop.run_until_complete(start())

    def _abandon(self) -> None:
        """What a process death leaves: files as they are; tasks and descriptors gone."""
        tasks = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for t in tasks:
            t.cancel()
        async def settle() -> None:
            await asyncio.gather(*tasks, return_exceptions=True)

        self.loop.run_until_complete(settle())
        self.executor.shutdown(wait=True)  # file operations already running finish (or die) first
        assert self.wal is not None
        self.fos.crash_after = None
        self.fos.dead = False
        self.corrupt_seen = max(self.corrupt_seen, self.wal.corrupt_records)
        self.wal.close_files()
        self.wal = None
        self.sender = None

    def teardown(self) -> None:
        if self.wal is not None:
            self._abandon()
        log_mod.os = os  # type: ignore[attr-defined]
        cursor_mod.os = os  # type: ignore[attr-defined]
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- rules ----------------------------------------------------------------------------

    @rule(n=st.integers(1, 6), poison=st.booleans(), disk_full=st.booleans())
    def append(self, n: int, poison: bool, disk_full: bool) -> None:
        assert self.wal is not None
        payloads = []
        for i in range(n):
            self.counter += 1
            kind = b"poison" if poison and i == 0 else b"record"
            payloads.append(kind + b"-%06d-" % self.counter + b"x" * (self.counter % 50))
        self.fos.disk_full = disk_full

        async def go() -> list[Any]:
            futures = [self.wal.submit(p, 1) for p in payloads]  # type: ignore[union-attr]
            return await asyncio.gather(*futures, return_exceptions=True)

        try:
            results = self.loop.run_until_complete(go())
        except SimulatedCrash:
            return self._restart()
        finally:
            self.fos.disk_full = False
        for p, r in zip(payloads, results):
            if isinstance(r, SimulatedCrash):
                return self._restart()
            if isinstance(r, int):
                self.acked.add(p)
                if p.startswith(b"poison"):
                    self.poison.add(p)
            else:
                assert isinstance(r, ExportError) and r.retryable, r

    @rule(seconds=st.sampled_from([0.0, 0.01, 0.05]))
    def progress(self, seconds: float) -> None:
        self._step(seconds)

    @rule()
    def destination_down(self) -> None:
        self.dest.down = True

    @rule()
    def destination_up(self) -> None:
        self.dest.down = False

    @rule()
    def poison_cured(self) -> None:
        # One way only: a refusal that comes and goes would make ClickHouse itself refuse a batch
        # it already stored (the refusal comes before deduplication), which no log can undo.
        self.dest.cured = True

    @rule(after=st.integers(0, 12), seconds=st.sampled_from([0.01, 0.05]))
    def crash(self, after: int, seconds: float) -> None:
        self.fos.crash_after = after
        self._step(seconds)
        self._restart()

    @rule()
    def restart(self) -> None:
        self._restart()

    @rule(data=st.data())
    def flip_a_byte(self, data: st.DataObject) -> None:
        """Damage one byte of a closed segment while the process is down."""
        self._abandon()
        try:
            # Drawn before looking at the files, whose number and sizes depend on timing: hypothesis
            # needs the same draws for the same example.
            which, where = data.draw(st.integers(0, 2**16)), data.draw(st.integers(0, 2**20))
            closed = sorted(self.dir.glob("*.wal"))[:-1]
            if not closed:
                return
            path = closed[which % len(closed)]
            original = path.read_bytes()
            if not original:
                return
            at = where % len(original)
            raw = bytearray(original)
            raw[at] ^= 0xFF
            # Any record of this segment may now be unreadable: the model accepts such a record
            # as counted-corrupt instead of stored (never as silently dropped).
            self.damaged.update(self._records_in(original))
            path.write_bytes(bytes(raw))
        finally:
            self._open()

    # ---- helpers --------------------------------------------------------------------------

    def _records_in(self, raw: bytes) -> set[bytes]:
        return {p for p in self.acked if p[:13] in raw}

    def _step(self, seconds: float) -> None:
        async def idle() -> None:
            await asyncio.sleep(seconds)
            for _ in range(20):
                await asyncio.sleep(0)

        self.loop.run_until_complete(idle())

    def _restart(self) -> None:
        self._abandon()
        self._open()

    # ---- invariants -----------------------------------------------------------------------

    @invariant()
    def nothing_stored_twice(self) -> None:
        counts = self.dest.counts()
        twice = [p for p, n in counts.items() if n > 1]
        assert not twice, f"stored more than once: {twice[:3]}"

    def teardown_check(self) -> None:
        """After a final restart and drain: every acknowledged record is accounted for."""
        self.dest.down = False
        self.fos.crash_after = None
        self._restart()
        assert self.sender is not None
        ok = self.loop.run_until_complete(self.sender.flush(120))
        assert ok, "the final drain did not finish"
        counts = self.dest.counts()
        dead = set(self.dest.dead.values())
        for p in self.acked:
            if p in self.damaged:
                continue
            if p.startswith(b"poison") and p in dead:
                assert counts[p] <= 1, f"poison record {p[:20]!r} stored {counts[p]} times"
            else:
                tokens = [t for t, ps in self.dest.stored.items() if p in ps]
                assert counts[p] == 1, f"acknowledged record {p[:20]!r} stored {counts[p]} times: {tokens}"
        lost_to_damage = [p for p in self.acked if p in self.damaged and counts[p] == 0 and p not in dead]
        assert len(lost_to_damage) <= self.corrupt_seen + (self.wal.corrupt_records if self.wal else 0), \
            "a record was dropped without being counted as corrupt"


class LogModelTest(LogMachine):
    def teardown(self) -> None:
        try:
            self.teardown_check()
        finally:
            super().teardown()


LogModelTest.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
TestWriteAheadLogModel = LogModelTest.TestCase
