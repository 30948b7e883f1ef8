"""OTLP/gRPC receiver: TraceService, LogsService and MetricsService on one port.

Handlers take the request as raw bytes (no deserializer), so the only parse is the single upb
parse in `otlp_requests`; the same bytes go on to ClickHouse.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

import grpc

from exporters.clickhouse.exporter import ExportError

from ..config import GrpcProtocolConfig
from ..intake import Intake
from ..otlp_requests import InvalidRequest, Signal, response_bytes

log = logging.getLogger(__name__)

SERVICES = {
    Signal.TRACES: "opentelemetry.proto.collector.trace.v1.TraceService",
    Signal.LOGS: "opentelemetry.proto.collector.logs.v1.LogsService",
    Signal.METRICS: "opentelemetry.proto.collector.metrics.v1.MetricsService",
}

Handler = Callable[[bytes, grpc.aio.ServicerContext], Awaitable[bytes]]


def _export_handler(intake: Intake, signal: Signal) -> Handler:
    async def export(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        try:
            parsed = await intake.export(signal, request)
        except InvalidRequest as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except ExportError as exc:
            code = grpc.StatusCode.UNAVAILABLE if exc.retryable else grpc.StatusCode.INVALID_ARGUMENT
            await context.abort(code, str(exc))
        return response_bytes(signal, parsed)

    return export


class OtlpGrpcReceiver:
    """Serves the OTLP gRPC services for the signals whose pipelines use this receiver."""

    def __init__(self, name: str, config: GrpcProtocolConfig, intake: Intake) -> None:
        self.name = name
        self.config = config
        self._intake = intake
        self._server: grpc.aio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        """Bind and start serving; `port` is the bound port (useful with port 0)."""
        max_bytes = self.config.max_recv_msg_size_mib * 2**20
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", max_bytes),
                ("grpc.so_reuseport", 0),
            ]
        )
        for signal in self._intake.signals():
            handler = grpc.unary_unary_rpc_method_handler(_export_handler(self._intake, signal))
            server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICES[signal], {"Export": handler}),))
        self.port = server.add_insecure_port(self.config.endpoint)
        if self.port == 0:
            raise OSError(f"receiver {self.name}: cannot listen on {self.config.endpoint}")
        await server.start()
        self._server = server

    @property
    def endpoint(self) -> str:
        host = self.config.endpoint.rpartition(":")[0]
        return f"{host}:{self.port}"

    async def stop(self, grace: float) -> None:
        """Stop taking new calls; calls in flight get `grace` seconds to finish."""
        if self._server is not None:
            await self._server.stop(grace)
