"""Appending one accepted request to the log of every exporter its pipelines name."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .errors import QueueFull
from .wal import WriteAheadLog, request_digest


@dataclass(frozen=True)
class LogTarget:
    """One exporter's log for one payload kind."""

    exporter: str
    log: WriteAheadLog


@dataclass
class Appended:
    """What became of a request per exporter: appended, or recognised as a resend (already in its log)."""

    appended: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)


class LogRefused(QueueFull):
    """QueueFull naming the exporter whose log had no room."""

    def __init__(self, exporter: str, cause: QueueFull) -> None:
        super().__init__(str(cause), cause.retry_after)
        self.exporter = exporter


class Fanout:
    """The logs that requests of one payload kind from one receiver go to (one per exporter)."""

    def __init__(self, targets: list[LogTarget]) -> None:
        self.targets = targets

    def __bool__(self) -> bool:
        return bool(self.targets)

    async def append(self, payload: bytes, items: int) -> Appended:
        """Append `payload` to every log and return once it is durable in all of them.

        Room is checked in every log before anything is appended, so a full log refuses the
        request whole (LogRefused, a QueueFull) instead of storing it in some logs only. A log
        that already holds these exact bytes (a client's resend after a lost acknowledgement)
        is skipped. A failed write raises the log's LogWriteFailed.
        """
        result = Appended()
        fresh = []
        digest = request_digest(payload)
        for t in self.targets:
            if t.log.seen(digest):
                result.resent.append(t.exporter)
            else:
                fresh.append(t)
        for t in fresh:
            try:
                t.log.check_room(len(payload))
            except QueueFull as exc:
                raise LogRefused(t.exporter, exc) from None
        futures = [t.log.submit(payload, items, digest) for t in fresh]
        await asyncio.gather(*futures)
        result.appended = [t.exporter for t in fresh]
        return result
