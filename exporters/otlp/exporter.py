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
from pathlib import Path

from tailhouse.pipeline.exporter_logs import KindLog, LoggedExporter, exporter_logs
from tailhouse.pipeline.sender import Batch, BatchShape
from tailhouse.pipeline.signals import TAIL_KIND
from tailhouse.pipeline.stats import Stats

from ..deadletter import DeadLetterStore, letter_id, new_letter
from .config import OtlpExporterConfig, OtlpHttpExporterConfig
from .tail_logs import tail_rows_to_logs_request
from .transport import ForwardError, GrpcTransport, HttpTransport, Transport

log = logging.getLogger(__name__)

READER = "forward"
# gRPC servers refuse messages over 4 MiB unless configured otherwise; batches stay below.
MAX_REQUEST_BYTES = 4 * 2**20 - 64 * 2**10


class OtlpForwardExporter(LoggedExporter):
    """Forwards what its logs hold to an OTLP destination (see the module docstring)."""

    def __init__(self, name: str, config: OtlpExporterConfig | OtlpHttpExporterConfig, transport: Transport,
                 stats: Stats, log_dir: Path, shapes: dict[str, BatchShape] | None = None) -> None:
        self.name = name
        self.config = config
        self.transport = transport
        self.dead_letters = DeadLetterStore(log_dir / "deadletter")
        self._shapes = shapes or {}
        self._not_before = 0.0  # monotonic time before which no push starts (a destination's retry hint)
        self.logs = exporter_logs(name, log_dir, config.sending_queue, config.retry_on_failure, stats)
        stats.exporter(name).queue_capacity_bytes = self.logs.options.max_bytes
        stats.refreshers.append(lambda: self.logs.report_depth(self.name, READER))

    async def start(self, kinds: list[str]) -> None:
        """Open the logs (what a previous run left is sent first), open the connection, start the senders."""
        await self.logs.open(kinds, [READER])
        await self.transport.connect()
        for kind, state in self.logs.kinds.items():
            shape = self._shapes.get(kind, BatchShape())
            shape = BatchShape(shape.min_items, shape.timeout, min(shape.max_items, self.config.sending.max_insert_items),
                               min(shape.max_bytes, MAX_REQUEST_BYTES))
            await self.logs.add_sender(kind, READER, self._pusher(state), self._dead_letterer(state), shape,
                                       self.config.sending.num_consumers)

    def _pusher(self, state: KindLog):  # type: ignore[no-untyped-def]
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

    def _dead_letterer(self, state: KindLog):  # type: ignore[no-untyped-def]
        async def dead_letter(batch: Batch, error: str) -> None:
            for entry in batch.entries:
                letter = new_letter(letter_id(state.wal.log_id, READER, entry.lsn), state.kind, entry.items,
                                    len(entry.payload), error)
                path = await asyncio.to_thread(self.dead_letters.write, letter, entry.payload)
                log.error("exporter %s: %s refused a %s request of %d items permanently; it is kept in %s: %s",
                          self.name, self.transport.endpoint, state.kind, entry.items, path, error)
        return dead_letter

    async def shutdown(self) -> None:
        """Stop the senders, close the logs (unsent records stay for the next start) and the connection."""
        await self.logs.close()
        await self.transport.close()


def otlp_exporter(name: str, config: OtlpExporterConfig, stats: Stats, log_dir: Path,
                  shapes: dict[str, BatchShape]) -> OtlpForwardExporter:
    """The `otlp` (gRPC) forwarding exporter."""
    return OtlpForwardExporter(name, config, GrpcTransport(config), stats, log_dir, shapes)


def otlphttp_exporter(name: str, config: OtlpHttpExporterConfig, stats: Stats, log_dir: Path,
                      shapes: dict[str, BatchShape]) -> OtlpForwardExporter:
    """The `otlphttp` forwarding exporter."""
    return OtlpForwardExporter(name, config, HttpTransport(config), stats, log_dir, shapes)
