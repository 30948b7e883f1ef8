"""OTLP/gRPC receiver: TraceService, LogsService and MetricsService on one port.

Handlers take the request as raw bytes (no deserializer), so the only parse is the single upb
parse in `otlp_requests`; the same bytes go on to ClickHouse.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

import grpc

from exporters.clickhouse.exporter import ExportError

from ..auth import BearerAuth, grpc_server_credentials
from ..config import GrpcProtocolConfig
from ..intake import Intake
from ..otlp_requests import InvalidRequest, Signal, response_bytes
from .retry_hints import abort_export_error

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
            await abort_export_error(context, exc)
        return response_bytes(signal, parsed)

    return export


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without the configured bearer token with UNAUTHENTICATED (every service on the port)."""

    def __init__(self, auth: BearerAuth, receiver: str) -> None:
        self._auth = auth
        self._receiver = receiver

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        metadata = dict(handler_call_details.invocation_metadata or ())
        problem = self._auth.check(metadata.get("authorization"))
        if not problem:
            return await continuation(handler_call_details)
        log.info("%s: refused %s: %s", self._receiver, handler_call_details.method, problem)

        async def deny(request: Any, context: grpc.aio.ServicerContext) -> None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, problem)

        # No deserializer: the request body is never parsed for an unauthenticated caller.
        return grpc.unary_unary_rpc_method_handler(deny)


def server_options(config: GrpcProtocolConfig) -> list[tuple[str, int]]:
    """grpc core channel arguments from the receiver config (only those set, so gRPC defaults stay)."""
    opts: list[tuple[str, int]] = [
        ("grpc.max_receive_message_length", config.max_recv_msg_size_mib * 2**20),
        ("grpc.so_reuseport", 0),
    ]
    sp, ep = config.keepalive.server_parameters, config.keepalive.enforcement_policy
    millis = {
        "grpc.max_connection_idle_ms": sp.max_connection_idle,
        "grpc.max_connection_age_ms": sp.max_connection_age,
        "grpc.max_connection_age_grace_ms": sp.max_connection_age_grace,
        "grpc.keepalive_time_ms": sp.time,
        "grpc.keepalive_timeout_ms": sp.timeout,
        "grpc.http2.min_ping_interval_without_data_ms": ep.min_time,
    }
    opts += [(key, int(seconds * 1000)) for key, seconds in millis.items() if seconds > 0]
    if ep.permit_without_stream:
        opts.append(("grpc.keepalive_permit_without_calls", 1))
    if config.max_concurrent_streams:
        opts.append(("grpc.max_concurrent_streams", config.max_concurrent_streams))
    return opts


class OtlpGrpcReceiver:
    """Serves the OTLP gRPC services for the signals whose pipelines use this receiver."""

    def __init__(self, name: str, config: GrpcProtocolConfig, intake: Intake, base_dir: Path = Path(".")) -> None:
        self.name = name
        self.config = config
        self._intake = intake
        self._base_dir = base_dir
        self._server: grpc.aio.Server | None = None
        self.port = 0

    @property
    def scheme(self) -> str:
        return "https" if self.config.tls else "http"

    async def start(self) -> None:
        """Bind and start serving; `port` is the bound port (useful with port 0).

        gzip-compressed requests are accepted without configuration (gRPC decompresses them).
        """
        auth = BearerAuth.from_config(self.config.auth)
        interceptors = [BearerTokenInterceptor(auth, self.name)] if auth else []
        server = grpc.aio.server(options=server_options(self.config), interceptors=interceptors)
        for signal in self._intake.signals():
            handler = grpc.unary_unary_rpc_method_handler(_export_handler(self._intake, signal))
            server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICES[signal], {"Export": handler}),))
        if self.config.tls:
            creds = grpc_server_credentials(self.config.tls, self._base_dir)
            self.port = server.add_secure_port(self.config.endpoint, creds)
        else:
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
