"""The contracts of pipeline components, as `Protocol`s: what the service needs of each."""

from __future__ import annotations

from typing import Protocol

from .wal import WriteAheadLog


class Exporter(Protocol):
    """Reads its write-ahead logs (one per payload kind) and stores what they hold."""

    name: str

    async def start(self, kinds: list[str]) -> None:
        """Open the logs of `kinds` (replaying what a previous run left), connect, start sending."""

    def log(self, kind: str) -> WriteAheadLog:
        """The log receivers append requests of `kind` to."""

    def health(self) -> tuple[bool, str]:
        """(ok, reason): not ok while it cannot store what its logs hold."""

    async def flush(self, timeout: float) -> bool:
        """Send everything appended so far; False if that took longer than `timeout`."""

    async def drain(self, timeout: float) -> bool:
        """On shutdown: send what it can within `timeout`; the rest stays in the logs for the next start."""

    async def shutdown(self) -> None:
        """Stop sending and close the logs and connections."""


class Receiver(Protocol):
    """Listens on an endpoint and hands what it accepts to the pipeline's intake."""

    endpoint: str

    async def start(self) -> None:
        """Bind and serve."""

    async def stop(self, grace: float) -> None:
        """Refuse new calls, let in-flight calls finish within `grace`."""
