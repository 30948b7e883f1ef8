"""The forwarding exporters: read their own write-ahead logs and send batches to an OTLP endpoint.

Each forwarding exporter owns one write-ahead log per payload kind (as the ClickHouse exporter
does) and reads it with a `QueuedSender`: same batching, retry with backoff (never given up),
split and dead-letter on a permanent refusal, same backpressure when its log is full. Because
the logs are per exporter, a forward target that is down holds up only its own log; ClickHouse
writes go on (and the reverse).

A batch of OTLP requests is sent as one request: serialized protobuf messages concatenate into
their merge, so the logged bytes go out as they came in. A batch of tail rows is converted to an
ExportLogsServiceRequest first (tail_logs.py). A destination's retry hint (RetryInfo,
Retry-After) delays the next push at least that long.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from tailhouse.pipeline.backoff import Backoff
from tailhouse.pipeline.sender import Batch, BatchShape, QueuedSender
from tailhouse.pipeline.signals import KIND_SIGNALS, TAIL_KIND, Signal
from tailhouse.pipeline.stats import Stats
from tailhouse.pipeline.wal import LogOptions, WriteAheadLog

from ..deadletter import DeadLetterStore, new_letter
from .config import OtlpExporterConfig, OtlpHttpExporterConfig
from .tail_logs import tail_rows_to_logs_request
from .transport import ForwardError, GrpcTransport, HttpTransport, Transport

log = logging.getLogger(__name__)

READER = "forward"
# gRPC servers refuse messages over 4 MiB unless configured otherwise; batches stay below.
MAX_REQUEST_BYTES = 4 * 2**20 - 64 * 2**10


class _Observer:
    """Reports a sender's work into the service counters."""

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
class _KindState:
    kind: str
    signal: Signal
    wal: WriteAheadLog
    senders: list[QueuedSender] = field(default_factory=list)


class OtlpForwardExporter:
    """Forwards what its logs hold to an OTLP destination (see the module docstring)."""

    def __init__(self, name: str, config: OtlpExporterConfig | OtlpHttpExporterConfig, transport: Transport,
                 stats: Stats, log_dir: Path, shapes: dict[str, BatchShape] | None = None) -> None:
        self.name = name
        self.config = config
        self.transport = transport
        self.dead_letters = DeadLetterStore(log_dir / "deadletter")
        self._stats = stats
        self._log_dir = log_dir
        self._shapes = shapes or {}
        self._kinds: dict[str, _KindState] = {}
        self._not_before = 0.0  # monotonic time before which no push starts (a destination's retry hint)
        q = config.sending_queue
        self._log_options = LogOptions(
            segment_bytes=q.segment_size_mib * 2**20, max_bytes=q.max_size_mib * 2**20,
            memory_bytes=q.memory_mib * 2**20, fsync=q.fsync, fsync_interval=float(q.fsync_interval),
            retry_after=max(1.0, float(config.retry_on_failure.initial_interval)))
        r = config.retry_on_failure
        self._backoff = Backoff(r.initial_interval, r.multiplier, r.randomization_factor, r.max_interval,
                                r.max_elapsed_time)
        stats.exporter(name).queue_capacity_bytes = self._log_options.max_bytes
        stats.refreshers.append(self._refresh_stats)

    @property
    def durable(self) -> bool:
        return True

    def log(self, kind: str) -> WriteAheadLog:
        """The log receivers append requests of `kind` to."""
        return self._kinds[kind].wal

    async def start(self, kinds: list[str]) -> None:
        """Open the logs (what a previous run left is sent first), open the connection, start the senders."""
        for kind in kinds:
            wal = WriteAheadLog(self._log_dir / kind, self._log_options, name=f"{self.name}/{kind}")
            recovery = await asyncio.to_thread(wal.open, [READER])
            wal.start()
            state = _KindState(kind, KIND_SIGNALS[kind], wal)
            self._kinds[kind] = state
            if recovery.records:
                self._stats.export_add(self.name, state.signal, replayed_items=recovery.items)
                log.info("exporter %s: %d %s records (%d items) left by the previous run are forwarded first",
                         self.name, recovery.records, kind, recovery.items)
        await self.transport.connect()
        for state in self._kinds.values():
            shape = self._shapes.get(state.kind, BatchShape())
            shape = BatchShape(shape.min_items, shape.timeout, min(shape.max_items, self.config.sending.max_insert_items),
                               min(shape.max_bytes, MAX_REQUEST_BYTES))
            sender = QueuedSender(f"{self.name}/{state.kind}", state.wal, READER, self._pusher(state),
                                  self._dead_letterer(state), shape, self.config.sending.num_consumers,
                                  self._backoff, _Observer(self._stats, self.name, state.signal))
            await sender.start()
            state.senders.append(sender)

    def _pusher(self, state: _KindState):  # type: ignore[no-untyped-def]
        async def push(batch: Batch) -> None:
            wait = self._not_before - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if state.kind == TAIL_KIND:
                body = await asyncio.to_thread(tail_rows_to_logs_request, batch.payloads)
            else:
                body = b"".join(batch.payloads)  # concatenated messages parse as their merge
            try:
                partial = await self.transport.send(state.signal, body)
            except ForwardError as exc:
                if exc.hint is not None:
                    self._not_before = max(self._not_before, time.monotonic() + exc.hint)
                raise
            if partial is not None:
                log.warning("exporter %s: %s refused %d of %d %s items (not retried): %s", self.name,
                            self.transport.endpoint, partial.rejected, batch.items, state.signal.value, partial.message)
        return push

    def _dead_letterer(self, state: _KindState):  # type: ignore[no-untyped-def]
        async def dead_letter(batch: Batch, error: str) -> None:
            for entry in batch.entries:
                letter = new_letter(f"{state.wal.log_id}-{READER}-{entry.lsn}", state.kind, entry.items,
                                    len(entry.payload), error)
                path = await asyncio.to_thread(self.dead_letters.write, letter, entry.payload)
                log.error("exporter %s: %s refused a %s request of %d items permanently; it is kept in %s: %s",
                          self.name, self.transport.endpoint, state.kind, entry.items, path, error)
        return dead_letter

    def _refresh_stats(self) -> None:
        figures = self._stats.exporter(self.name)
        for state in self._kinds.values():
            nbytes, items = state.wal.unexported(READER)
            s = figures.of(state.signal)
            s.pending_items, s.pending_bytes = items, nbytes
        ok, reason = self.health()
        figures.healthy, figures.problem = ok, reason

    def health(self) -> tuple[bool, str]:
        """(ok, reason): not ok while sends fail, a worker died, a log is damaged or full."""
        problems = []
        for state in self._kinds.values():
            if state.wal.problem:
                problems.append(f"{state.kind} log: {state.wal.problem}")
            used, cap = state.wal.unexported_bytes(), state.wal.options.max_bytes
            if used >= cap * 0.95:
                problems.append(f"{state.kind} log full ({used} of {cap} bytes not yet forwarded): clients are "
                                f"refused with a retry hint")
            for sender in state.senders:
                ok, reason = sender.health()
                if not ok:
                    problems.append(f"{sender.name}: {reason}")
        return not problems, "; ".join(problems)

    def idle(self) -> bool:
        return all(s.idle() for st in self._kinds.values() for s in st.senders)

    async def flush(self, timeout: float) -> bool:
        """Send everything appended so far now; False if that took longer than `timeout`."""
        results = await asyncio.gather(*(s.flush(timeout) for st in self._kinds.values() for s in st.senders))
        return all(results)

    async def drain(self, timeout: float) -> bool:
        """Like `flush`: on shutdown, what is not sent in time stays in the log for the next start."""
        return await self.flush(timeout)

    async def shutdown(self) -> None:
        """Stop the senders, close the logs (unsent records stay for the next start) and the connection."""
        for state in self._kinds.values():
            for sender in state.senders:
                await sender.stop()
            _, left_items = state.wal.unexported()
            if left_items:
                log.warning("exporter %s: %d %s items stay in the log in %s and are forwarded after the next start",
                            self.name, left_items, state.kind, state.wal.directory)
            await state.wal.close()
        await self.transport.close()


def otlp_exporter(name: str, config: OtlpExporterConfig, stats: Stats, log_dir: Path,
                  shapes: dict[str, BatchShape]) -> OtlpForwardExporter:
    """The `otlp` (gRPC) forwarding exporter."""
    return OtlpForwardExporter(name, config, GrpcTransport(config), stats, log_dir, shapes)


def otlphttp_exporter(name: str, config: OtlpHttpExporterConfig, stats: Stats, log_dir: Path,
                      shapes: dict[str, BatchShape]) -> OtlpForwardExporter:
    """The `otlphttp` forwarding exporter."""
    return OtlpForwardExporter(name, config, HttpTransport(config), stats, log_dir, shapes)
