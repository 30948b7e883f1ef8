"""What a receiver type provides (its config dataclass, the payload kinds it feeds, how it starts)
and what its factory gets from the service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Protocol

from tailhouse.pipeline.components import Endpoint
from tailhouse.pipeline.signals import Signal
from tailhouse.pipeline.stats import Stats

if TYPE_CHECKING:
    from tailhouse.pipeline.fanout import Fanout

    from ..config import Config
    from ..live.hub import TailHub
    from ..memory_limiter import MemoryLimiter


class RunningReceiver(Protocol):
    """What the service needs of a started receiver."""

    name: str

    async def stop(self, grace: float) -> None: ...


@dataclass
class BuildContext:
    """What receiver factories take from the service: config, shared limits and counters, and where
    endpoints are announced."""

    config: Config
    stats: Stats
    memory_limiter: MemoryLimiter
    live: TailHub
    endpoints: list[Endpoint]
    item_limiters: dict[str, Any]  # receiver name → its per-item limiter (rejections show in /stats)

    @property
    def base_dir(self) -> Path:
        return self.config.base_dir


@dataclass(frozen=True)
class ReceiverFactory:
    """A receiver type.

    `kinds(signal)`: the payload kinds it appends for a pipeline of `signal` (which logs the
    service opens for it); `start(ctx, name, config, feeds)`: bind its servers, feeding each
    signal's `Fanout`, and return what it started.
    """

    config_type: type
    kinds: Callable[[Signal], list[str]]
    start: Callable[[BuildContext, str, Any, dict[Signal, Fanout]], Awaitable[list[RunningReceiver]]]
