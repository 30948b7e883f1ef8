"""The component registry: how the service builds each receiver and exporter type from its config.

The service looks a component up here by its type (the part of its name before `/`, as in the
OpenTelemetry Collector) and never names a concrete class. Adding a receiver or an exporter type
means its module, a factory here, and one line in `RECEIVERS` or `EXPORTERS` (and its config class
in `collector/config.py`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Protocol

from tailhouse.exporters.clickhouse.exporter import ClickHouseExporter, ClickHouseWriter, Route
from tailhouse.exporters.clickhouse.sharding.sharded_exporter import ShardedClickHouseExporter
from tailhouse.exporters.deadletter import DeadLetterStore
from tailhouse.exporters.otlp.exporter import OtlpForwardExporter, otlp_exporter, otlphttp_exporter
from tailhouse.pipeline.components import Exporter
from tailhouse.pipeline.fanout import Fanout
from tailhouse.pipeline.sender import BatchShape
from tailhouse.pipeline.signals import TAIL_KIND, Signal, otlp_kind
from tailhouse.pipeline.stats import Stats

from .config import ClickHouseExporterConfig, CloudflareTailReceiverConfig, Config, OtlpReceiverConfig
from .intake import Intake
from .item_limits import ItemLimiter
from .live.hub import TailHub
from .memory_limiter import MemoryLimiter
from .receivers.otlp_grpc import OtlpGrpcReceiver
from .receivers.otlp_http import OtlpHttpReceiver
from .receivers.tail_grpc import TailGrpcReceiver
from .receivers.tail_http import TailHttpReceiver
from .tail.intake import TailIntake
from .tail.mapping import MappingOptions, TailMapper


@dataclass(frozen=True)
class Endpoint:
    """A listening (or sending) endpoint, for the start line and for tests."""

    component: str
    protocol: str
    address: str
    settings: Any = field(default=None, compare=False)  # the ServerSettings block this port serves


class RunningReceiver(Protocol):
    """What the service needs of a started receiver."""

    async def stop(self, grace: float) -> None: ...


@dataclass
class BuildContext:
    """What factories take from the service: config, shared limits and counters, and where endpoints go."""

    config: Config
    stats: Stats
    memory_limiter: MemoryLimiter
    live: TailHub
    endpoints: list[Endpoint]
    item_limiters: dict[str, ItemLimiter]

    @property
    def base_dir(self) -> Path:
        return self.config.base_dir


# ---- receivers ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceiverFactory:
    """A receiver type: which payload kinds it feeds per signal, and how it starts."""

    kinds: Callable[[Signal], list[str]]
    start: Callable[[BuildContext, str, Any, dict[Signal, Fanout]], Awaitable[list[RunningReceiver]]]


async def _start_otlp(ctx: BuildContext, name: str, rcfg: OtlpReceiverConfig,
                      feeds: dict[Signal, Fanout]) -> list[RunningReceiver]:
    intake = Intake(name, feeds, ctx.stats)
    intake.live = ctx.live
    item_limiter = ctx.item_limiters[name] = ItemLimiter(rcfg.limits)
    started: list[RunningReceiver] = []
    if rcfg.protocols.grpc is not None:
        grpc_receiver = OtlpGrpcReceiver(name, rcfg.protocols.grpc, intake, ctx.base_dir, ctx.memory_limiter,
                                         item_limiter)
        await grpc_receiver.start()
        started.append(grpc_receiver)
        ctx.endpoints.append(Endpoint(name, "otlp/grpc", grpc_receiver.endpoint, rcfg.protocols.grpc))
    if rcfg.protocols.http is not None:
        http = OtlpHttpReceiver(name, rcfg.protocols.http, intake, ctx.base_dir, ctx.memory_limiter, item_limiter)
        await http.start()
        started.append(http)
        ctx.endpoints.append(Endpoint(name, "otlp/http", http.endpoint, rcfg.protocols.http))
    return started


async def _start_tail(ctx: BuildContext, name: str, rcfg: CloudflareTailReceiverConfig,
                      feeds: dict[Signal, Fanout]) -> list[RunningReceiver]:
    options = MappingOptions.build(rcfg.default_service_name, rcfg.redact.headers, rcfg.redact.query_params)
    intake = TailIntake(name, feeds.get(Signal.LOGS, Fanout([])), ctx.stats, TailMapper(options))
    intake.live = ctx.live
    started: list[RunningReceiver] = []
    if rcfg.http is not None:
        http = TailHttpReceiver(name, rcfg.http, rcfg.server_auth(rcfg.http), intake,
                                ctx.config.service.shutdown_timeout, ctx.base_dir, ctx.memory_limiter)
        await http.start()
        started.append(http)
        ctx.endpoints.append(Endpoint(name, "tail/http", http.endpoint, rcfg.http))
    if rcfg.grpc is not None:
        grpc_receiver = TailGrpcReceiver(name, rcfg.grpc, rcfg.server_auth(rcfg.grpc), intake, ctx.base_dir,
                                         ctx.memory_limiter)
        await grpc_receiver.start()
        started.append(grpc_receiver)
        ctx.endpoints.append(Endpoint(name, "tail/grpc", grpc_receiver.endpoint, rcfg.grpc))
    return started


# receiver type -> factory
RECEIVERS: dict[str, ReceiverFactory] = {
    "otlp": ReceiverFactory(lambda signal: [otlp_kind(signal)], _start_otlp),
    # Workers tail events become `events` rows of the logs pipelines
    "cloudflare_tail": ReceiverFactory(lambda signal: [TAIL_KIND] if signal is Signal.LOGS else [], _start_tail),
}


# ---- exporters ------------------------------------------------------------------------------

ExporterFactory = Callable[[BuildContext, str, Any, dict[str, BatchShape]], Exporter]


def _clickhouse(ctx: BuildContext, name: str, ecfg: ClickHouseExporterConfig,
                shapes: dict[str, BatchShape]) -> ClickHouseExporter:
    cfg = ctx.config
    log_dir, dead_letter_dir = cfg.queue_dir(name, ecfg), cfg.dead_letter_dir(name, ecfg)
    if ecfg.sharding is not None:
        shards = len(ecfg.sharding.shards)
        ctx.endpoints.append(Endpoint(name, "clickhouse", f"{shards} shards, {ecfg.sharding.mode} mode "
                                      f"(database {ecfg.database})"))
        return ShardedClickHouseExporter(name, ecfg, cfg.chdb_path_of, ctx.stats, log_dir, dead_letter_dir, shapes)
    writer = ClickHouseWriter(name, ecfg, cfg.chdb_path(ecfg), DeadLetterStore(dead_letter_dir))
    where = str(cfg.chdb_path(ecfg)) if ecfg.endpoint.startswith("chdb://") else ecfg.endpoint
    ctx.endpoints.append(Endpoint(name, "clickhouse", f"{where} (database {ecfg.database})"))
    return ClickHouseExporter(name, ecfg, ctx.stats, log_dir, [Route("clickhouse", writer)], shapes)


def _forward(factory: Callable[..., OtlpForwardExporter]) -> ExporterFactory:
    def build(ctx: BuildContext, name: str, ecfg: Any, shapes: dict[str, BatchShape]) -> OtlpForwardExporter:
        ctx.endpoints.append(Endpoint(name, name.split("/", 1)[0], ecfg.endpoint))
        # TLS files are found relative to the config file's directory, as the receivers' are.
        files = {f: str(ctx.base_dir / getattr(ecfg.tls, f)) for f in ("ca_file", "cert_file", "key_file")
                 if getattr(ecfg.tls, f)}
        ecfg = dataclasses.replace(ecfg, tls=dataclasses.replace(ecfg.tls, **files))
        return factory(name, ecfg, ctx.stats, ctx.config.forward_queue_dir(name, ecfg), shapes)
    return build


# exporter type -> factory
EXPORTERS: dict[str, ExporterFactory] = {
    "clickhouse": _clickhouse,
    "otlp": _forward(otlp_exporter),
    "otlphttp": _forward(otlphttp_exporter),
}


def component_type(name: str) -> str:
    """The type of a component named `type` or `type/name`."""
    return name.split("/", 1)[0]
