"""An exporter's write-ahead logs (one per payload kind) and the queued senders that read them.

Every exporter (ClickHouse, OTLP forwarding) has the same life around its logs: open them at
start (replaying what a previous run left), read each with one sender per reader, report health
(damage, a full log, failing pushes, a dead worker) and depth, flush on demand, and close them on
shutdown leaving what was not sent for the next start. That life is here, once; an exporter adds
only what it pushes and where it sets refused data aside.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from .backoff import Backoff
from .exporter_config import RetryConfig, SendingQueueConfig
from .sender import BatchShape, DeadLetter, Push, QueuedSender
from .signals import KIND_SIGNALS, Signal
from .stats import Stats
from .wal import LogOptions, WriteAheadLog

log = logging.getLogger(__name__)

# /health calls a log full from this share of `max_size_mib` on (refusals start at 100%).
FULL_SHARE = 0.95


class StatsObserver:
    """Reports one sender's work into the service counters of `exporter` (a SenderObserver)."""

    def __init__(self, stats: Stats, exporter: str, signal: Signal) -> None:
        self._stats, self._exporter, self._signal = stats, exporter, signal

    def written(self, items: int, seconds: float) -> None:
        self._stats.export_add(self._exporter, self._signal, written_items=items, batches=1)
        self._stats.observe_export(self._exporter, self._signal, seconds)

    def retried(self) -> None:
        self._stats.export_add(self._exporter, self._signal, retries=1)

    def dead_lettered(self, items: int) -> None:
        self._stats.export_add(self._exporter, self._signal, dead_letter_items=items)

    def corrupt(self, records: int) -> None:
        self._stats.export_add(self._exporter, self._signal, corrupt_records=records)


@dataclass
class KindLog:
    """One payload kind's log and its senders."""

    kind: str
    signal: Signal
    wal: WriteAheadLog
    senders: list[QueuedSender] = field(default_factory=list)


class ExporterLogs:
    """The logs of exporter `exporter` under `directory` (one folder per kind)."""

    def __init__(self, exporter: str, directory: Path, options: LogOptions, backoff: Backoff, stats: Stats) -> None:
        self.exporter = exporter
        self.directory = directory
        self.options = options
        self.backoff = backoff
        self._stats = stats
        self.kinds: dict[str, KindLog] = {}

    async def open(self, kinds: list[str], readers: list[str]) -> None:
        """Open (and recover) the log of each kind with a cursor per reader."""
        for kind in kinds:
            wal = WriteAheadLog(self.directory / kind, self.options, name=f"{self.exporter}/{kind}")
            recovery = await asyncio.to_thread(wal.open, readers)
            wal.start()
            state = KindLog(kind, KIND_SIGNALS[kind], wal)
            self.kinds[kind] = state
            if recovery.records:
                self._stats.export_add(self.exporter, state.signal, replayed_items=recovery.items)
                log.info("exporter %s: %d %s records (%d items) left by the previous run are sent first",
                         self.exporter, recovery.records, kind, recovery.items)
            if recovery.corrupt_records:
                self._stats.export_add(self.exporter, state.signal, corrupt_records=recovery.corrupt_records)

    def log(self, kind: str) -> WriteAheadLog:
        """The log receivers append requests of `kind` to."""
        return self.kinds[kind].wal

    async def add_sender(self, kind: str, reader: str, push: Push, dead_letter: DeadLetter, shape: BatchShape,
                         consumers: int, stats_name: str = "") -> QueuedSender:
        """Start a sender for `reader` of `kind`'s log; its counters go to `stats_name` (default: the exporter)."""
        state = self.kinds[kind]
        name = stats_name or self.exporter
        sender = QueuedSender(f"{name}/{kind}", state.wal, reader, push, dead_letter, shape, consumers,
                              self.backoff, StatsObserver(self._stats, name, state.signal))
        await sender.start()
        state.senders.append(sender)
        return sender

    def problems(self, reader: str | None = None) -> list[str]:
        """What keeps the logs (or `reader`'s senders) from working: damage, a full log, failing pushes, a dead worker."""
        problems = []
        for state in self.kinds.values():
            if state.wal.problem:
                problems.append(f"{state.kind} log: {state.wal.problem}")
            used, cap = state.wal.unexported_bytes(), state.wal.options.max_bytes
            if used >= cap * FULL_SHARE:
                problems.append(f"{state.kind} log full ({used} of {cap} bytes not yet sent): clients are refused "
                                f"with a retry hint")
            for sender in state.senders:
                if reader is not None and sender.reader != reader:
                    continue
                ok, reason = sender.health()
                if not ok:
                    problems.append(f"{sender.name}: {reason}")
        return problems

    def health(self) -> tuple[bool, str]:
        """(ok, reason) over every log and sender."""
        problems = self.problems()
        return not problems, "; ".join(problems)

    def report_depth(self, stats_name: str, reader: str) -> None:
        """Set `stats_name`'s pending figures (and its health copy) from what `reader` has not finished."""
        figures = self._stats.exporter(stats_name)
        for state in self.kinds.values():
            nbytes, items = state.wal.unexported(reader)
            s = figures.of(state.signal)
            s.pending_items, s.pending_bytes = items, nbytes
        problems = self.problems(reader)
        figures.healthy, figures.problem = not problems, "; ".join(problems)

    async def flush(self, timeout: float) -> bool:
        """Send everything appended so far now; False if that took longer than `timeout`."""
        results = await asyncio.gather(*(s.flush(timeout) for st in self.kinds.values() for s in st.senders))
        return all(results)

    async def close(self) -> None:
        """Stop the senders and close the logs; what was not sent stays for the next start."""
        for state in self.kinds.values():
            for sender in state.senders:
                await sender.stop()
            _, left_items = state.wal.unexported()
            if left_items:
                log.warning("exporter %s: %d %s items stay in the log in %s and are sent after the next start",
                            self.exporter, left_items, state.kind, state.wal.directory)
            await state.wal.close()


class LoggedExporter:
    """What every exporter built on `ExporterLogs` answers the same way (set `self.logs` in `__init__`)."""

    logs: ExporterLogs

    def log(self, kind: str) -> WriteAheadLog:
        """The log receivers append requests of `kind` to."""
        return self.logs.log(kind)

    def health(self) -> tuple[bool, str]:
        """(ok, reason): not ok while pushes fail, a worker died, a log is damaged or full."""
        return self.logs.health()

    async def flush(self, timeout: float) -> bool:
        """Send everything appended so far now; False if that took longer than `timeout`."""
        return await self.logs.flush(timeout)

    async def drain(self, timeout: float) -> bool:
        """Like `flush`: on shutdown, what is not sent in time stays in the log for the next start."""
        return await self.logs.flush(timeout)


def exporter_logs(exporter: str, directory: Path, queue: SendingQueueConfig, retry: RetryConfig,
                  stats: Stats) -> ExporterLogs:
    """ExporterLogs from an exporter's `sending_queue` and `retry_on_failure` config blocks."""
    options = LogOptions(segment_bytes=queue.segment_size_mib * 2**20, max_bytes=queue.max_size_mib * 2**20,
                         memory_bytes=queue.memory_mib * 2**20, fsync=queue.fsync,
                         fsync_interval=float(queue.fsync_interval), retry_after=max(1.0, float(retry.initial_interval)))
    backoff = Backoff(retry.initial_interval, retry.multiplier, retry.randomization_factor, retry.max_interval,
                      retry.max_elapsed_time)
    return ExporterLogs(exporter, directory, options, backoff, stats)
