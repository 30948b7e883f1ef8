"""Where receivers hand requests over: validate once, fan out to pipelines, wait until stored.

Receivers (gRPC now, HTTP later) translate transport details; the rules about what is accepted,
counted and acknowledged live here, once.
"""

from __future__ import annotations

import logging

from .batching.batcher import Batcher, store
from .otlp_requests import InvalidRequest, ParsedRequest, Signal, otlp_kind, parse_request
from .stats import Stats

log = logging.getLogger(__name__)


class Intake:
    """Accepts export requests of one receiver for the pipelines that list it."""

    def __init__(self, receiver: str, batchers: dict[Signal, list[Batcher]], stats: Stats) -> None:
        self.receiver = receiver
        self._batchers = batchers
        self._stats = stats

    def signals(self) -> list[Signal]:
        """Signals this receiver feeds (those with a pipeline naming it)."""
        return [s for s, b in self._batchers.items() if b]

    async def export(self, signal: Signal, data: bytes) -> ParsedRequest:
        """Validate `data` and return once its accepted items are stored.

        Raises InvalidRequest for undecodable input and the exporter's ExportError when storing
        failed; nothing is acknowledged before it is in ClickHouse.
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
        try:
            await store(self._batchers.get(signal, []), otlp_kind(signal), parsed.payload, parsed.accepted)
        except Exception:
            stats.refused_requests += 1
            raise
        stats.accepted_items += parsed.accepted
        return parsed
