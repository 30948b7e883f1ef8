"""The in-process hub between the intakes and live-tail subscribers.

Costs nothing while nobody subscribes: `publish` returns at once. With subscribers, an accepted
request is queued (bounded; when the hub cannot keep up, requests are dropped for the live view
and subscribers are told), decoded into events, filtered and serialized per subscriber on a
worker thread, and put into each subscriber's bounded queue. A subscriber whose queue is full is
cut loose with a message: ingestion never waits for a subscriber.

Decoding shares the process (and its interpreter lock) with ingestion, so the hub works at most
`max_busy` of the time (a duty cycle: after a decode that took d seconds it rests d·(1/max_busy − 1)).
Under a load the live view cannot follow, requests it has no time for are not shown (counted and
announced to subscribers) instead of taking CPU from the intake.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from .events import decode
from .filters import TailFilter

log = logging.getLogger(__name__)

PENDING_REQUESTS = 64      # accepted requests waiting to be decoded for subscribers
MAX_BUSY = 0.2             # share of time the hub may spend decoding (one thread)
SUBSCRIBER_QUEUE = 10_000  # events a subscriber may fall behind before it is cut loose


@dataclass
class HubStats:
    subscribers: int = 0
    subscriptions: int = 0      # subscribers ever (only grows: a new one shows even while others leave)
    published_requests: int = 0
    dropped_requests: int = 0   # not decoded for the live view (the hub was behind); stored as usual
    delivered_events: int = 0
    cut_subscribers: int = 0


class Subscription:
    """One subscriber: its filters and its bounded queue of SSE messages (events and notices, serialized)."""

    def __init__(self, flt: TailFilter, max_queued: int) -> None:
        self.filter = flt
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(max_queued)  # SSE messages, one per event
        self.cut_reason = ""


class TailHub:
    """See the module docstring."""

    def __init__(self, pending_requests: int = PENDING_REQUESTS, subscriber_queue: int = SUBSCRIBER_QUEUE,
                 max_busy: float = MAX_BUSY) -> None:
        self._rest_factor = 1 / max_busy - 1
        self._subs: list[Subscription] = []
        self._pending: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(pending_requests)
        self._subscriber_queue = subscriber_queue
        self._worker: asyncio.Task[None] | None = None
        self._dropped_unreported = 0
        self.stats = HubStats()

    @property
    def active(self) -> bool:
        """True while someone subscribes (intakes publish only then)."""
        return bool(self._subs)

    def publish(self, kind: str, payload: bytes) -> None:
        """Offer one accepted request of payload `kind`; never blocks."""
        if not self._subs:
            return
        try:
            self._pending.put_nowait((kind, payload))
            self.stats.published_requests += 1
        except asyncio.QueueFull:
            self.stats.dropped_requests += 1
            self._dropped_unreported += 1

    def subscribe(self, flt: TailFilter) -> Subscription:
        sub = Subscription(flt, self._subscriber_queue)
        self._subs.append(sub)
        self.stats.subscribers = len(self._subs)
        self.stats.subscriptions += 1
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="live-tail-hub")
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
        self.stats.subscribers = len(self._subs)
        if not self._subs:
            while not self._pending.empty():  # nobody to show them to
                self._pending.get_nowait()

    def cut(self, sub: Subscription, reason: str) -> None:
        """Cut `sub` loose: it is told `reason` and gets nothing more."""
        if not sub.cut_reason:
            sub.cut_reason = reason
            self.stats.cut_subscribers += 1
            log.info("live tail: a subscriber was cut loose: %s", reason)
        self.unsubscribe(sub)

    async def close(self) -> None:
        """End every subscription (each is told the service stops) and the worker."""
        for sub in list(self._subs):
            sub.cut_reason = "the service is stopping"
            self.unsubscribe(sub)
            try:
                sub.queue.put_nowait(b"")  # wakes a reader waiting for events
            except asyncio.QueueFull:
                pass  # the reader is not waiting: it sees cut_reason after its current write
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    async def _work(self) -> None:
        while True:
            kind, payload = await self._pending.get()
            subs = list(self._subs)
            if not subs:
                continue
            started = time.perf_counter()
            try:
                matched = await asyncio.to_thread(_select, kind, payload, [s.filter for s in subs])
            except Exception:  # a decoding bug must not end the live view; it is logged for a fix
                log.exception("live tail: decoding a %s request for subscribers failed", kind)
                continue
            finally:
                rest = (time.perf_counter() - started) * self._rest_factor
            if self._dropped_unreported:
                notice = notice_message(f"{self._dropped_unreported} accepted requests are not shown: the live "
                                        f"view fell behind (they are stored as usual)")
                self._dropped_unreported = 0
                matched = [[notice, *events] for events in matched]
            for sub, events in zip(subs, matched, strict=True):
                if sub.cut_reason:
                    continue
                for ev in events:
                    try:
                        sub.queue.put_nowait(ev)
                    except asyncio.QueueFull:
                        self.cut(sub, f"this subscriber fell {sub.queue.maxsize} events behind; narrow the filters "
                                      f"or read faster")
                        break
                    self.stats.delivered_events += 1
            await asyncio.sleep(rest)


def event_message(ev: dict[str, Any]) -> bytes:
    """One event as a Server-Sent Events message."""
    return b"data: " + json.dumps(ev, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


def notice_message(text: str) -> bytes:
    return b"event: notice\ndata: " + json.dumps({"notice": text}).encode() + b"\n\n"


def _select(kind: str, payload: bytes, filters: list[TailFilter]) -> list[list[bytes]]:
    """Decode one request and pick and serialize, per filter, the events it lets through (on a worker thread)."""
    events = decode(kind, payload)
    encoded: dict[int, bytes] = {}
    out = []
    for f in filters:
        picked = []
        for i, e in enumerate(events):
            if f.matches(e):
                if i not in encoded:
                    encoded[i] = event_message(e)
                picked.append(encoded[i])
        out.append(picked)
    return out
