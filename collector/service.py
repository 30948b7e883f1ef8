"""Builds receivers → batchers → exporters from a Config and runs them (the component model)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from exporters.clickhouse.exporter import ClickHouseExporter
from exporters.clickhouse.sharding.sharded_exporter import ShardedClickHouseExporter

from .admin import AdminServer
from .batching.batcher import Batcher
from .config import (BatchProcessorConfig, ClickHouseExporterConfig, CloudflareTailReceiverConfig, Config,
                     OtlpReceiverConfig)
from .intake import Intake
from .item_limits import ItemLimiter
from .memory_limiter import MemoryLimiter
from .metrics import make_registry
from .otlp_requests import Signal, otlp_kind
from .progress import ProgressReporter
from .receivers.otlp_grpc import OtlpGrpcReceiver
from .receivers.otlp_http import OtlpHttpReceiver
from .receivers.tail_grpc import TailGrpcReceiver
from .receivers.tail_http import TailHttpReceiver
from .stats import Stats
from .tail import TAIL_KIND
from .tail.intake import TailIntake
from .tail.mapping import MappingOptions, TailMapper

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoint:
    """A listening endpoint, for the start line and for tests."""

    component: str
    protocol: str
    address: str
    settings: Any = field(default=None, compare=False)  # the ServerSettings block this port serves


class Service:
    """One running collector: every pipeline of a Config."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.stats = Stats()
        self.metrics_registry = make_registry(self.stats, self.health)
        self.exporters: dict[str, ClickHouseExporter | ShardedClickHouseExporter] = {}
        self._batchers: list[Batcher] = []
        self._receivers: list[OtlpGrpcReceiver | OtlpHttpReceiver | TailHttpReceiver | TailGrpcReceiver] = []
        self._admin: AdminServer | None = None
        self.memory_limiter = MemoryLimiter(int(config.service.memory_limiter.limit))
        self.item_limiters: dict[str, ItemLimiter] = {}
        self._progress = ProgressReporter(self.stats, config.service.telemetry.logs.progress_interval)
        self.endpoints: list[Endpoint] = []
        self._started = False

    async def start(self) -> None:
        """Connect exporters (applying migrations), then start batchers, receivers and admin."""
        cfg = self.config
        pipelines = {name: (Signal(name.split("/", 1)[0]), p) for name, p in cfg.service.pipelines.items()}
        # payload kinds each exporter writes: OTLP per signal, plus tail rows where a tail receiver feeds it
        exporter_kinds: dict[str, list[str]] = {}
        for signal, p in pipelines.values():
            kinds = [otlp_kind(signal)]
            if any(isinstance(cfg.receivers[r], CloudflareTailReceiverConfig) for r in p.receivers):
                kinds.append(TAIL_KIND)
            for e in p.exporters:
                known = exporter_kinds.setdefault(e, [])
                known += [k for k in kinds if k not in known]
        for name, kinds in exporter_kinds.items():
            ecfg: ClickHouseExporterConfig = cfg.exporters[name]
            queue_dir, dead_letter_dir = cfg.queue_dir(name, ecfg), cfg.dead_letter_dir(name, ecfg)
            if ecfg.sharding is not None:
                sharded = ShardedClickHouseExporter(name, ecfg, cfg.chdb_path_of, self.stats, queue_dir, dead_letter_dir)
                await sharded.start(kinds)
                self.exporters[name] = sharded
                shards = len(ecfg.sharding.shards)
                self.endpoints.append(Endpoint(name, "clickhouse", f"{shards} shards, {ecfg.sharding.mode} mode "
                                               f"(database {ecfg.database})"))
                continue
            exporter = ClickHouseExporter(name, ecfg, cfg.chdb_path(ecfg), self.stats,
                                          queue_dir=queue_dir, dead_letter_dir=dead_letter_dir)
            await exporter.start(kinds)
            self.exporters[name] = exporter
            where = str(cfg.chdb_path(ecfg)) if ecfg.endpoint.startswith("chdb://") else ecfg.endpoint
            self.endpoints.append(Endpoint(name, "clickhouse", f"{where} (database {ecfg.database})"))

        feeds: dict[str, dict[Signal, list[Batcher]]] = {r: {} for r in cfg.receivers}
        for signal, p in pipelines.values():
            batch_cfg: BatchProcessorConfig = cfg.processors[p.processors[0]] if p.processors else BatchProcessorConfig()
            for e in p.exporters:
                b = Batcher(signal, batch_cfg, self.exporters[e].submit)
                b.start()
                self._batchers.append(b)
                for r in p.receivers:
                    feeds[r].setdefault(signal, []).append(b)

        for name, rcfg in cfg.receivers.items():
            if not feeds[name]:
                log.warning("receiver %s is in no pipeline; not started", name)
                continue
            if isinstance(rcfg, CloudflareTailReceiverConfig):
                await self._start_tail_receiver(name, rcfg, feeds[name].get(Signal.LOGS, []))
                continue
            assert isinstance(rcfg, OtlpReceiverConfig)
            intake = Intake(name, feeds[name], self.stats)
            item_limiter = ItemLimiter(rcfg.limits)
            self.item_limiters[name] = item_limiter
            if rcfg.protocols.grpc is not None:
                receiver = OtlpGrpcReceiver(name, rcfg.protocols.grpc, intake, cfg.base_dir, self.memory_limiter,
                                            item_limiter)
                await receiver.start()
                self._receivers.append(receiver)
                self.endpoints.append(Endpoint(name, "otlp/grpc", receiver.endpoint, rcfg.protocols.grpc))
            if rcfg.protocols.http is not None:
                http = OtlpHttpReceiver(name, rcfg.protocols.http, intake, cfg.base_dir, self.memory_limiter,
                                            item_limiter)
                await http.start()
                self._receivers.append(http)
                self.endpoints.append(Endpoint(name, "otlp/http", http.endpoint, rcfg.protocols.http))

        self._admin = AdminServer(self, cfg.service.telemetry.admin, cfg.base_dir)
        await self._admin.start()
        self.endpoints.append(Endpoint("admin", "http", self._admin.url, cfg.service.telemetry.admin))
        self._progress.start()
        self._started = True

    async def _start_tail_receiver(self, name: str, rcfg: CloudflareTailReceiverConfig, batchers: list[Batcher]) -> None:
        options = MappingOptions.build(rcfg.default_service_name, rcfg.redact.headers, rcfg.redact.query_params)
        intake = TailIntake(name, batchers, self.stats, TailMapper(options))
        if rcfg.http is not None:
            http = TailHttpReceiver(name, rcfg.http, rcfg.server_auth(rcfg.http), intake,
                                    self.config.service.shutdown_timeout, self.config.base_dir, self.memory_limiter)
            await http.start()
            self._receivers.append(http)
            self.endpoints.append(Endpoint(name, "tail/http", http.endpoint, rcfg.http))
        if rcfg.grpc is not None:
            grpc_receiver = TailGrpcReceiver(name, rcfg.grpc, rcfg.server_auth(rcfg.grpc), intake, self.config.base_dir,
                                             self.memory_limiter)
            await grpc_receiver.start()
            self._receivers.append(grpc_receiver)
            self.endpoints.append(Endpoint(name, "tail/grpc", grpc_receiver.endpoint, rcfg.grpc))

    def endpoint(self, protocol: str) -> str:
        """Address of the first endpoint speaking `protocol`."""
        return next(e.address for e in self.endpoints if e.protocol == protocol)

    async def flush(self) -> None:
        """Hand every pending batch to the exporters now."""
        for b in self._batchers:
            await b.flush()

    async def stop(self) -> None:
        """Stop intake, write what was accepted (within shutdown_timeout), then close everything."""
        grace = self.config.service.shutdown_timeout
        self._started = False  # /health answers 503 while draining
        await self._progress.stop()
        # Receivers refuse new calls at once but keep in-flight calls open while their data is
        # flushed and written, so those clients get their ack instead of an error (and a retry
        # that would store the data twice).
        receivers_stopped = asyncio.gather(*(r.stop(grace) for r in self._receivers))
        await asyncio.sleep(0)
        for b in self._batchers:
            await b.close()
        for name, e in self.exporters.items():
            if not await e.drain(grace):
                if e.durable:
                    log.warning("exporter %s: shutdown_timeout (%.0fs) passed; unwritten data stays in the queue "
                                "and is written after the next start", name, grace)
                else:
                    log.error("exporter %s: shutdown_timeout (%.0fs) passed with data still unwritten", name, grace)
        await receivers_stopped
        for e in self.exporters.values():
            await e.shutdown()
        if self._admin:
            await self._admin.stop()
        self._started = False

    def health(self) -> tuple[bool, str]:
        """(ready, reason): ready when started, every exporter can write and no queue is full."""
        if not self._started:
            return False, "starting or stopping"
        problems = []
        for name, exporter in self.exporters.items():
            ok, reason = exporter.health()
            if not ok:
                problems.append(f"exporter {name}: {reason}")
        for name, e in self.stats.exporters.items():
            if e.queue_full():
                problems.append(f"exporter {name}: queue full ({e.queue_bytes()} of {e.queue_capacity_bytes} bytes)")
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

    def query_exporter(self) -> ClickHouseExporter | ShardedClickHouseExporter | None:
        """The exporter `tailhouse sql` queries (the first one)."""
        return next(iter(self.exporters.values()), None)
