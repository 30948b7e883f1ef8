"""OTLP/gRPC receiver: TraceService, LogsService and MetricsService on one port.

Handlers take the request as raw bytes (no deserializer), so the only parse is the single upb
parse in `otlp_requests`; the same bytes go on to ClickHouse.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Awaitable, Callable

import grpc

from tailhouse.pipeline.errors import ExportError
from tailhouse.pipeline.signals import Signal

from ...intake import Intake
from ...memory_limiter import MemoryLimiter
from ...otlp_requests import InvalidRequest, response_bytes
from ...server.grpc import GrpcReceiver
from ...server.retry_hints import abort_export_error
from .config import GrpcProtocolConfig
from .item_limits import ItemLimiter, export_within_limits

log = logging.getLogger(__name__)

SERVICES = {
    Signal.TRACES: "opentelemetry.proto.collector.trace.v1.TraceService",
    Signal.LOGS: "opentelemetry.proto.collector.logs.v1.LogsService",
    Signal.METRICS: "opentelemetry.proto.collector.metrics.v1.MetricsService",
}

Handler = Callable[[bytes, grpc.aio.ServicerContext], Awaitable[bytes]]


def _export_handler(intake: Intake, signal: Signal, item_limiter: ItemLimiter | None = None) -> Handler:
    async def export(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        try:
            parsed = await export_within_limits(intake, item_limiter, signal, request)
        except InvalidRequest as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except ExportError as exc:
            await abort_export_error(context, exc)
        return response_bytes(signal, parsed)

    return export


class OtlpGrpcReceiver(GrpcReceiver):
    """Serves the OTLP gRPC services for the signals whose pipelines use this receiver."""

    def __init__(self, name: str, config: GrpcProtocolConfig, intake: Intake, base_dir: Path = Path("."),
                 limiter: MemoryLimiter | None = None, item_limiter: ItemLimiter | None = None) -> None:
        super().__init__(name, config, base_dir, limiter)
        self._intake = intake
        self._item_limiter = item_limiter

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        return [
            grpc.method_handlers_generic_handler(
                SERVICES[signal],
                {"Export": grpc.unary_unary_rpc_method_handler(_export_handler(self._intake, signal, self._item_limiter))},
            )
            for signal in self._intake.signals()
        ]
