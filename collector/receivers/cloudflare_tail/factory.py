"""The `cloudflare_tail` receiver type: Workers tail events over HTTP (JSON) and gRPC.

Config parsing imports every factory, so the servers and the mapper are imported when the
receiver starts, not here.
"""

from __future__ import annotations

from tailhouse.pipeline.components import Endpoint
from tailhouse.pipeline.fanout import Fanout
from tailhouse.pipeline.signals import TAIL_KIND, Signal

from ..factory import BuildContext, ReceiverFactory, RunningReceiver
from .config import CloudflareTailReceiverConfig


async def start(ctx: BuildContext, name: str, config: CloudflareTailReceiverConfig,
                feeds: dict[Signal, Fanout]) -> list[RunningReceiver]:
    """Start the servers `config` enables; both map TraceItems with the same options into one intake."""
    from ...tail.intake import TailIntake
    from ...tail.mapping import MappingOptions, TailMapper
    from .grpc import TailGrpcReceiver
    from .http import TailHttpReceiver

    options = MappingOptions.build(config.default_service_name, config.redact.headers, config.redact.query_params)
    intake = TailIntake(name, feeds.get(Signal.LOGS, Fanout([])), ctx.stats, TailMapper(options))
    intake.live = ctx.live
    started: list[RunningReceiver] = []
    if config.http is not None:
        http = TailHttpReceiver(name, config.http, config.server_auth(config.http), intake,
                                ctx.config.service.shutdown_timeout, ctx.base_dir, ctx.memory_limiter)
        await http.start()
        started.append(http)
        ctx.endpoints.append(Endpoint(name, "tail/http", http.endpoint, config.http))
    if config.grpc is not None:
        grpc_receiver = TailGrpcReceiver(name, config.grpc, config.server_auth(config.grpc), intake, ctx.base_dir,
                                         ctx.memory_limiter)
        await grpc_receiver.start()
        started.append(grpc_receiver)
        ctx.endpoints.append(Endpoint(name, "tail/grpc", grpc_receiver.endpoint, config.grpc))
    return started


# Tail events become `events` rows of the logs pipelines.
FACTORY = ReceiverFactory(CloudflareTailReceiverConfig, lambda signal: [TAIL_KIND] if signal is Signal.LOGS else [],
                          start)
