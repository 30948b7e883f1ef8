"""The contracts of pipeline components: what the service needs of each, and how exporters are made.

Components are built by factories looked up by type name (as in the OpenTelemetry Collector):
a factory names its config dataclass and creates the component from it. Exporter factories live
beside their exporters and take an `ExporterContext`, so exporters never import the collector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from .sender import BatchShape
from .stats import Stats
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


@dataclass(frozen=True)
class Endpoint:
    """A listening (or sending) endpoint, for the start line, /stats and tests."""

    component: str
    protocol: str
    address: str
    settings: Any = field(default=None, compare=False)  # the server-settings block this port serves


@dataclass
class ExporterContext:
    """What an exporter factory gets from the service besides its own config."""

    stats: Stats
    base_dir: Path  # the config file's folder: relative paths in the config are relative to it
    state_dir: Path  # the service's default folder for local state (logs, dead letters)
    endpoints: list[Endpoint]  # where a factory announces what it writes to


@dataclass(frozen=True)
class ExporterFactory:
    """An exporter type: its config dataclass and how to create it.

    `create(ctx, name, config, shapes)` builds exporter `name` writing the payload kinds in
    `shapes` (kind → how its batches are cut); the service then calls `start(kinds)`.
    """

    config_type: type
    create: Callable[[ExporterContext, str, Any, dict[str, BatchShape]], Exporter]
