"""Per-signal batching of accepted requests (the `batch` processor).

A batch is a list of whole OTLP requests kept as bytes. It is handed on when it reaches
`send_batch_size` items or `send_batch_max_bytes` bytes, or when its oldest request has waited
`timeout`. Each request carries a future that completes when its batch is stored, so a client
is acknowledged only once its data is in ClickHouse.
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
    """Requests of one signal that go to the exporter together."""

    signal: Signal
    requests: list[PendingRequest] = field(default_factory=list)
    items: int = 0
    nbytes: int = 0

    def add(self, req: PendingRequest) -> None:
        self.requests.append(req)
        self.items += req.items
        self.nbytes += len(req.payload)


Sink = Callable[[Batch], Awaitable[None]]


class Batcher:
    """Collects requests of one signal into batches and hands full or aged batches to `sink`."""

    def __init__(self, signal: Signal, config: BatchProcessorConfig, sink: Sink) -> None:
        self.signal = signal
        self._config = config
        self._sink = sink
        self._current = Batch(signal)
        self._oldest: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def start(self) -> None:
        """Start the timer that flushes aged batches."""
        self._task = asyncio.create_task(self._timer(), name=f"batcher-{self.signal.value}")

    async def add(self, payload: bytes, items: int) -> asyncio.Future[None]:
        """Queue one request; the returned future completes when it is stored (or fails)."""
        if self._closed:
            raise RuntimeError("batcher is shut down")
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._current.add(PendingRequest(payload, items, fut))
        if self._oldest is None:
            self._oldest = time.monotonic()
            self._wake.set()
        if self._current.items >= self._config.send_batch_size or self._current.nbytes >= self._config.send_batch_max_bytes:
            await self._hand_off()
        return fut

    async def flush(self) -> None:
        """Hand the current batch on now, whatever its size."""
        if self._current.requests:
            await self._hand_off()

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

    async def _hand_off(self) -> None:
        batch, self._current, self._oldest = self._current, Batch(self.signal), None
        await self._sink(batch)

    async def _timer(self) -> None:
        while True:
            if self._oldest is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            due = self._oldest + self._config.timeout - time.monotonic()
            if due > 0:
                await asyncio.sleep(due)
                continue
            try:
                await self.flush()
            except Exception:
                log.exception("flushing the %s batch failed", self.signal.value)
