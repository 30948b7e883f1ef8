"""Where receivers hand requests over: validate once, append to the pipelines' logs, then answer.

Receivers (OTLP over gRPC and HTTP) translate transport details; the rules about what is
accepted, counted and acknowledged live here, once. A request is acknowledged when it is durable
in the write-ahead log of every exporter its pipelines name: milliseconds, not an insert.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tailhouse.pipeline.fanout import Fanout, LogRefused
from tailhouse.pipeline.signals import Signal, otlp_kind
from tailhouse.pipeline.stats import Stats

from .otlp_requests import InvalidRequest, ParsedRequest, parse_request

if TYPE_CHECKING:
    from .live.hub import TailHub

log = logging.getLogger(__name__)


class Intake:
    """Accepts export requests of one receiver for the pipelines that list it."""

    def __init__(self, receiver: str, feeds: dict[Signal, Fanout], stats: Stats) -> None:
        self.receiver = receiver
        self._feeds = feeds
        self._stats = stats
        self.live: TailHub | None = None  # the live-tail hub; accepted requests are offered to it

    def signals(self) -> list[Signal]:
        """Signals this receiver feeds (those with a pipeline naming it)."""
        return [s for s, f in self._feeds.items() if f]

    async def export(self, signal: Signal, data: bytes) -> ParsedRequest:
        """Validate `data` and return once its accepted items are durable in every exporter's log.

        Raises InvalidRequest for undecodable input and ExportError (QueueFull, a failed write)
        when the logs could not take it; then nothing of it was accepted.
        """
        stats = self._stats.of(signal)
        stats.requests += 1
        try:
            parsed = parse_request(signal, data)
        except InvalidRequest:
            stats.refused_requests += 1
            raise
        stats.rejected_items += parsed.rejected
        if parsed.rejected:
            log.info("%s: rejected %d %s items: %s", self.receiver, parsed.rejected, signal.value, parsed.error_message)
        if parsed.accepted == 0:
            return parsed
        await append(self._stats, signal, self._feeds.get(signal), parsed.payload, parsed.accepted)
        if self.live is not None and self.live.active:
            self.live.publish(otlp_kind(signal), parsed.payload)
        return parsed


async def append(stats: Stats, signal: Signal, fanout: Fanout | None, payload: bytes, items: int) -> None:
    """Append one request to its logs and count what became of it (shared by the OTLP and tail intakes)."""
    figures = stats.of(signal)
    if fanout is None or not fanout:
        figures.accepted_items += items
        return
    try:
        result = await fanout.append(payload, items)
    except LogRefused as exc:
        figures.refused_requests += 1
        stats.export_add(exc.exporter, signal, refused_items=items)
        log.warning("%s: refused %d %s items", exc, items, signal.value)
        raise
    except Exception:
        figures.refused_requests += 1
        raise
    for name in result.appended:
        stats.export_add(name, signal, submitted_items=items)
    for name in result.resent:
        stats.export_add(name, signal, resent_items=items)
        log.info("exporter %s: a request of %d %s items is in its log already (a resend); acknowledged, not "
                 "stored twice", name, items, signal.value)
    figures.accepted_items += items
