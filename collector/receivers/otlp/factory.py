"""The `otlp` receiver type: OTLP over gRPC and HTTP, as the OpenTelemetry Collector's.

Config parsing imports every factory, so the servers (grpc, aiohttp) are imported when the
receiver starts, not here.
"""

from __future__ import annotations

from tailhouse.pipeline.components import Endpoint
from tailhouse.pipeline.fanout import Fanout
from tailhouse.pipeline.signals import Signal, otlp_kind

from ..factory import BuildContext, ReceiverFactory, RunningReceiver
from .config import OtlpReceiverConfig


async def start(ctx: BuildContext, name: str, config: OtlpReceiverConfig,
                feeds: dict[Signal, Fanout]) -> list[RunningReceiver]:
    """Start the protocols `config` enables; both share one intake and one item limiter."""
    from ...intake import Intake
    from .grpc import OtlpGrpcReceiver
    from .http import OtlpHttpReceiver
    from .item_limits import ItemLimiter

    intake = Intake(name, feeds, ctx.stats)
    intake.live = ctx.live
    item_limiter = ctx.item_limiters[name] = ItemLimiter(config.limits)
    started: list[RunningReceiver] = []
    if config.protocols.grpc is not None:
        grpc_receiver = OtlpGrpcReceiver(name, config.protocols.grpc, intake, ctx.base_dir, ctx.memory_limiter,
                                         item_limiter)
        await grpc_receiver.start()
        started.append(grpc_receiver)
        ctx.endpoints.append(Endpoint(name, "otlp/grpc", grpc_receiver.endpoint, config.protocols.grpc))
    if config.protocols.http is not None:
        http = OtlpHttpReceiver(name, config.protocols.http, intake, ctx.base_dir, ctx.memory_limiter, item_limiter)
        await http.start()
        started.append(http)
        ctx.endpoints.append(Endpoint(name, "otlp/http", http.endpoint, config.protocols.http))
    return started


FACTORY = ReceiverFactory(OtlpReceiverConfig, lambda signal: [otlp_kind(signal)], start)
