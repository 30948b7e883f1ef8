"""Per-pipeline batching of accepted requests (the `batch` processor).

A batch is a list of whole requests of one payload kind (e.g. OTLP trace requests as protobuf
bytes), because one batch becomes one insert into that kind's landing table. A batch is handed
on when it reaches `send_batch_size` items or `send_batch_max_bytes` bytes, or when its oldest
request has waited `timeout`. Each request carries a future that completes when its batch is
stored, so a client is acknowledged only once its data is in ClickHouse.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from ..config import BatchProcessorConfig
from ..otlp_requests import Signal

log = logging.getLogger(__name__)


@dataclass
class PendingRequest:
    """One accepted request waiting to be stored."""

    payload: bytes
    items: int
    done: asyncio.Future[None]


@dataclass
class Batch:
    """Requests of one signal and payload kind that go to the exporter together."""

    signal: Signal
    kind: str
    requests: list[PendingRequest] = field(default_factory=list)
    items: int = 0
    nbytes: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, req: PendingRequest) -> None:
        self.requests.append(req)
        self.items += req.items
        self.nbytes += len(req.payload)


Sink = Callable[[Batch], Awaitable[None]]


class Batcher:
    """Collects one pipeline's requests into batches (one open batch per payload kind)."""

    def __init__(self, signal: Signal, config: BatchProcessorConfig, sink: Sink) -> None:
        self.signal = signal
        self._config = config
        self._sink = sink
        self._open: dict[str, Batch] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def start(self) -> None:
        """Start the timer that flushes aged batches."""
        self._task = asyncio.create_task(self._timer(), name=f"batcher-{self.signal.value}")

    async def add(self, kind: str, payload: bytes, items: int) -> asyncio.Future[None]:
        """Queue one request; the returned future completes when it is stored (or fails)."""
        if self._closed:
            raise RuntimeError("batcher is shut down")
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        batch = self._open.get(kind)
        if batch is None:
            batch = self._open[kind] = Batch(self.signal, kind)
            self._wake.set()
        batch.add(PendingRequest(payload, items, fut))
        if batch.items >= self._config.send_batch_size or batch.nbytes >= self._config.send_batch_max_bytes:
            await self._hand_off(kind)
        return fut

    async def flush(self) -> None:
        """Hand every open batch on now, whatever its size."""
        for kind in list(self._open):
            await self._hand_off(kind)

    async def close(self) -> None:
        """Stop the timer and flush what is pending."""
        self._closed = True
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.flush()

    async def _hand_off(self, kind: str) -> None:
        batch = self._open.pop(kind, None)
        if batch is not None and batch.requests:
            await self._sink(batch)

    async def _timer(self) -> None:
        while True:
            if not self._open:
                self._wake.clear()
                await self._wake.wait()
                continue
            now = time.monotonic()
            due = min(b.started for b in self._open.values()) + self._config.timeout - now
            if due > 0:
                await asyncio.sleep(due)
                continue
            for kind, batch in list(self._open.items()):
                if batch.started + self._config.timeout <= now:
                    try:
                        await self._hand_off(kind)
                    except Exception:
                        log.exception("handing the %s %s batch to the exporter failed", self.signal.value, kind)


async def store(batchers: list[Batcher], kind: str, payload: bytes, items: int) -> None:
    """Add one request to every batcher (one per pipeline exporter) and wait until all stored it.

    Raises what storing raised (the exporter's ExportError); the caller decides what the client hears.
    """
    futures = [await b.add(kind, payload, items) for b in batchers]
    await asyncio.gather(*futures)
