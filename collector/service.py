"""Builds receivers → write-ahead logs → exporters from a Config and runs them (the component model).

Each exporter owns one write-ahead log per payload kind it writes. Receivers append what they
accept to the logs of every exporter their pipelines name (a `Fanout`) and acknowledge once that
is durable; each exporter reads its logs, batching as its pipeline's `batch` processor says.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from exporters.clickhouse.exporter import ClickHouseExporter, ClickHouseWriter, Route
from exporters.clickhouse.sharding.sharded_exporter import ShardedClickHouseExporter
from exporters.deadletter import DeadLetterStore
from exporters.otlp.exporter import OtlpForwardExporter, otlp_exporter, otlphttp_exporter
from tailhouse.pipeline.fanout import Fanout, LogTarget
from tailhouse.pipeline.sender import BatchShape

from .admin import AdminServer
from .config import (BatchProcessorConfig, ClickHouseExporterConfig, CloudflareTailReceiverConfig, Config,
                     OtlpExporterConfig, OtlpHttpExporterConfig, OtlpReceiverConfig)
from .intake import Intake
from .item_limits import ItemLimiter
from .memory_limiter import MemoryLimiter
from .live.hub import TailHub
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


def batch_shape(batch: BatchProcessorConfig, exporter: ClickHouseExporterConfig) -> BatchShape:
    """How an exporter cuts batches from its log: the pipeline's batch processor and the exporter's limits."""
    return BatchShape(min_items=batch.send_batch_size, timeout=float(batch.timeout),
                      max_items=max(exporter.sending.max_insert_items, batch.send_batch_size),
                      max_bytes=int(batch.send_batch_max_bytes))


AnyExporter = ClickHouseExporter | OtlpForwardExporter


def _build_clickhouse(service: "Service", name: str, ecfg: Any, shapes: dict[str, BatchShape]) -> AnyExporter:
    return service._build_clickhouse_exporter(name, ecfg, shapes)


def _build_forward(factory: Callable[..., OtlpForwardExporter]) -> Callable[..., AnyExporter]:
    def build(service: "Service", name: str, ecfg: OtlpExporterConfig | OtlpHttpExporterConfig,
              shapes: dict[str, BatchShape]) -> AnyExporter:
        service.endpoints.append(Endpoint(name, name.split("/", 1)[0], ecfg.endpoint))
        # TLS files are found relative to the config file's directory, as the receivers' are.
        base = service.config.base_dir
        files = {f: str(base / getattr(ecfg.tls, f)) for f in ("ca_file", "cert_file", "key_file")
                 if getattr(ecfg.tls, f)}
        ecfg = dataclasses.replace(ecfg, tls=dataclasses.replace(ecfg.tls, **files))
        return factory(name, ecfg, service.stats, service.config.forward_queue_dir(name, ecfg), shapes)
    return build


# exporter type (the part of its name before `/`) -> how the service builds it
EXPORTER_FACTORIES: dict[str, Callable[["Service", str, Any, dict[str, BatchShape]], AnyExporter]] = {
    "clickhouse": _build_clickhouse,
    "otlp": _build_forward(otlp_exporter),
    "otlphttp": _build_forward(otlphttp_exporter),
}


class Service:
    """One running collector: every pipeline of a Config."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.stats = Stats()
        self.metrics_registry = make_registry(self.stats, self.health)
        self.exporters: dict[str, AnyExporter] = {}
        self._receivers: list[OtlpGrpcReceiver | OtlpHttpReceiver | TailHttpReceiver | TailGrpcReceiver] = []
        self._admin: AdminServer | None = None
        self.memory_limiter = MemoryLimiter(int(config.service.memory_limiter.limit))
        self.item_limiters: dict[str, ItemLimiter] = {}
        self.live = TailHub()  # live tail (GET /tail on the admin endpoint)
        self._progress = ProgressReporter(self.stats, config.service.telemetry.logs.progress_interval)
        self.endpoints: list[Endpoint] = []
        self._started = False

    async def start(self) -> None:
        """Open the exporters' logs and connect them (applying migrations), then start receivers and admin."""
        cfg = self.config
        pipelines = {name: (Signal(name.split("/", 1)[0]), p) for name, p in cfg.service.pipelines.items()}

        def kinds_of(receiver: str, signal: Signal) -> list[str]:
            if isinstance(cfg.receivers[receiver], CloudflareTailReceiverConfig):
                return [TAIL_KIND] if signal is Signal.LOGS else []
            return [otlp_kind(signal)]

        # per exporter: the payload kinds it writes, each with the batch shape of the first pipeline feeding it
        shapes: dict[str, dict[str, BatchShape]] = {}
        for signal, p in pipelines.values():
            batch_cfg: BatchProcessorConfig = cfg.processors[p.processors[0]] if p.processors else BatchProcessorConfig()
            for e in p.exporters:
                for r in p.receivers:
                    for kind in kinds_of(r, signal):
                        shapes.setdefault(e, {}).setdefault(kind, batch_shape(batch_cfg, cfg.exporters[e]))
        for name, kind_shapes in shapes.items():
            exporter = self._build_exporter(name, cfg.exporters[name], kind_shapes)
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
            if isinstance(rcfg, CloudflareTailReceiverConfig):
                await self._start_tail_receiver(name, rcfg, feeds[name].get(Signal.LOGS, Fanout([])))
                continue
            assert isinstance(rcfg, OtlpReceiverConfig)
            intake = Intake(name, feeds[name], self.stats)
            item_limiter = ItemLimiter(rcfg.limits)
            self.item_limiters[name] = item_limiter
            intake.live = self.live
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

    def _build_exporter(self, name: str, ecfg: Any, shapes: dict[str, BatchShape]) -> AnyExporter:
        """The exporter of config type `name` (`type` or `type/name`), built by its factory."""
        return EXPORTER_FACTORIES[name.split("/", 1)[0]](self, name, ecfg, shapes)

    def _build_clickhouse_exporter(self, name: str, ecfg: ClickHouseExporterConfig,
                                   shapes: dict[str, BatchShape]) -> ClickHouseExporter:
        cfg = self.config
        log_dir, dead_letter_dir = cfg.queue_dir(name, ecfg), cfg.dead_letter_dir(name, ecfg)
        if ecfg.sharding is not None:
            shards = len(ecfg.sharding.shards)
            self.endpoints.append(Endpoint(name, "clickhouse", f"{shards} shards, {ecfg.sharding.mode} mode "
                                           f"(database {ecfg.database})"))
            return ShardedClickHouseExporter(name, ecfg, cfg.chdb_path_of, self.stats, log_dir, dead_letter_dir, shapes)
        writer = ClickHouseWriter(name, ecfg, cfg.chdb_path(ecfg), DeadLetterStore(dead_letter_dir))
        where = str(cfg.chdb_path(ecfg)) if ecfg.endpoint.startswith("chdb://") else ecfg.endpoint
        self.endpoints.append(Endpoint(name, "clickhouse", f"{where} (database {ecfg.database})"))
        return ClickHouseExporter(name, ecfg, self.stats, log_dir, [Route("clickhouse", writer)], shapes)

    async def _start_tail_receiver(self, name: str, rcfg: CloudflareTailReceiverConfig, fanout: Fanout) -> None:
        options = MappingOptions.build(rcfg.default_service_name, rcfg.redact.headers, rcfg.redact.query_params)
        intake = TailIntake(name, fanout, self.stats, TailMapper(options))
        intake.live = self.live
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

    def query_exporter(self) -> ClickHouseExporter | None:
        """The exporter `tailhouse sql` queries (the first clickhouse one)."""
        return next((e for e in self.exporters.values() if isinstance(e, ClickHouseExporter)), None)
