"""Builds receivers → write-ahead logs → exporters from a Config and runs them (the component model).

Each exporter owns one write-ahead log per payload kind it writes. Receivers append what they
accept to the logs of every exporter their pipelines name (a `Fanout`) and acknowledge once that
is durable; each exporter reads its logs, batching as its pipeline's `batch` processor says.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from tailhouse.pipeline.components import Endpoint, Exporter, ExporterContext
from tailhouse.pipeline.fanout import Fanout, LogTarget
from tailhouse.pipeline.sender import BatchShape
from tailhouse.pipeline.signals import Signal
from tailhouse.pipeline.stats import Stats

from .admin import AdminServer
from .components import EXPORTERS, PROCESSORS, RECEIVERS, component_type
from .config import Config
from .live.hub import TailHub
from .memory_limiter import MemoryLimiter
from .metrics import make_registry
from .progress import ProgressReporter
from .receivers.factory import BuildContext, RunningReceiver

log = logging.getLogger(__name__)

__all__ = ["Endpoint", "Service"]

class Service:
    """One running collector: every pipeline of a Config."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.stats = Stats()
        self.metrics_registry = make_registry(self.stats, self.health)
        self.exporters: dict[str, Exporter] = {}
        self._receivers: list[RunningReceiver] = []
        self._admin: AdminServer | None = None
        self.memory_limiter = MemoryLimiter(int(config.service.memory_limiter.limit))
        self.item_limiters: dict[str, Any] = {}
        self.live = TailHub()  # live tail (GET /tail on the admin endpoint)
        self._progress = ProgressReporter(self.stats, config.service.telemetry.logs.progress_interval)
        self.endpoints: list[Endpoint] = []
        self._started = False

    async def start(self) -> None:
        """Open the exporters' logs and connect them (applying migrations), then start receivers and admin.

        Every component is built by the factory of its type (`collector/components.py`).
        """
        cfg = self.config
        ctx = BuildContext(cfg, self.stats, self.memory_limiter, self.live, self.endpoints, self.item_limiters)
        exporter_ctx = ExporterContext(self.stats, cfg.base_dir, cfg.state_dir(), self.endpoints)
        pipelines = {name: (Signal(name.split("/", 1)[0]), p) for name, p in cfg.service.pipelines.items()}

        def kinds_of(receiver: str, signal: Signal) -> list[str]:
            return RECEIVERS[component_type(receiver)].kinds(signal)

        # per exporter: the payload kinds it writes, each with the batch shape of the first pipeline feeding it
        shapes: dict[str, dict[str, BatchShape]] = {}
        for signal, p in pipelines.values():
            # without a batch processor, its defaults
            batch = cfg.processors[p.processors[0]] if p.processors else PROCESSORS["batch"].config_type()
            for e in p.exporters:
                for r in p.receivers:
                    for kind in kinds_of(r, signal):
                        shapes.setdefault(e, {}).setdefault(kind, batch.shape(cfg.exporters[e]))
        for name, kind_shapes in shapes.items():
            exporter = EXPORTERS[component_type(name)].create(exporter_ctx, name, cfg.exporters[name], kind_shapes)
            await exporter.start(list(kind_shapes))
            self.exporters[name] = exporter

        feeds: dict[str, dict[Signal, Fanout]] = {r: {} for r in cfg.receivers}
        for signal, p in pipelines.values():
            for r in p.receivers:
                for kind in kinds_of(r, signal):
                    fanout = feeds[r].setdefault(signal, Fanout([]))
                    for e in p.exporters:
                        if all(t.exporter != e for t in fanout.targets):
                            fanout.targets.append(LogTarget(e, self.exporters[e].log(kind)))

        for name, rcfg in cfg.receivers.items():
            if not feeds[name]:
                log.warning("receiver %s is in no pipeline; not started", name)
                continue
            self._receivers += await RECEIVERS[component_type(name)].start(ctx, name, rcfg, feeds[name])

        self._admin = AdminServer(self, cfg.service.telemetry.admin, cfg.base_dir)
        await self._admin.start()
        self.endpoints.append(Endpoint("admin", "http", self._admin.url, cfg.service.telemetry.admin))
        self._progress.start()
        self._started = True

    def endpoint(self, protocol: str) -> str:
        """Address of the first endpoint speaking `protocol`."""
        return next(e.address for e in self.endpoints if e.protocol == protocol)

    async def flush(self, timeout: float = 30.0) -> bool:
        """Send everything accepted so far to ClickHouse now; True once it is stored (within `timeout`)."""
        results = await asyncio.gather(*(e.flush(timeout) for e in self.exporters.values()))
        return all(results)

    async def stop(self) -> None:
        """Stop intake, write what was accepted (within shutdown_timeout), then close everything.

        What is not written in time stays in the write-ahead logs and is written after the next start.
        """
        grace = self.config.service.shutdown_timeout
        self._started = False  # /health answers 503 while draining
        await self._progress.stop()
        # Receivers refuse new calls at once; calls in flight finish their append and get their ack.
        await asyncio.gather(*(r.stop(grace) for r in self._receivers))
        for name, e in self.exporters.items():
            if not await e.drain(grace):
                log.warning("exporter %s: shutdown_timeout (%.0fs) passed; unwritten data stays in the log and is "
                            "written after the next start", name, grace)
        for e in self.exporters.values():
            await e.shutdown()
        await self.live.close()
        if self._admin:
            await self._admin.stop()
        self._started = False

    def health(self) -> tuple[bool, str]:
        """(ready, reason): ready when started and every exporter can write (its logs have room, no damage)."""
        if not self._started:
            return False, "starting or stopping"
        problems = []
        for name, exporter in self.exporters.items():
            ok, reason = exporter.health()
            if not ok:
                problems.append(f"exporter {name}: {reason}")
        return (False, "; ".join(problems)) if problems else (True, "")

    def limits_stats(self) -> dict[str, Any]:
        """What the resource limits refused so far (for /stats)."""
        m = self.memory_limiter
        return {
            "memory_limiter": {"limit_bytes": m.limit_bytes, "in_flight_bytes": m.in_flight, "refused_requests": m.refused},
            "item_limits_rejected_items": {name: lim.rejected_items for name, lim in self.item_limiters.items()},
            "connections": {f"{r.name} {type(r).__name__}": {"refused": r.guard.refused, "timed_out": r.guard.timed_out}
                            for r in self._receivers if getattr(r, "guard", None) is not None},
        }

    def query_exporter(self) -> Any:
        """The exporter `tailhouse sql` queries: the first that can be queried (a ClickHouse one)."""
        return next((e for e in self.exporters.values() if hasattr(e, "query_client")), None)
