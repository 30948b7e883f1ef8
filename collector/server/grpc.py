"""A grpc.aio server from a receiver's gRPC config: options, TLS and bearer-token auth.

Shared by every gRPC receiver, so TLS, auth, keepalive and message-size settings mean the same
on each port.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

import grpc

from ..memory_limiter import MemoryLimiter, MemoryLimitExceeded
from .auth import BearerAuth, grpc_server_credentials
from .retry_hints import grpc_retry_metadata
from .settings import GrpcServerSettings

log = logging.getLogger(__name__)


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


class MemoryLimitInterceptor(grpc.aio.ServerInterceptor):
    """Holds each request's bytes against the shared MemoryLimiter until the call is answered.

    Over the cap the call ends with UNAVAILABLE and RetryInfo (OTLP clients back off and retry).
    Handlers take raw bytes (no deserializer), so the size is the request as received.
    """

    def __init__(self, limiter: MemoryLimiter) -> None:
        self._limiter = limiter

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None or handler.request_deserializer is not None:
            return handler
        inner = handler.unary_unary
        limiter = self._limiter

        async def limited(request: bytes, context: grpc.aio.ServicerContext) -> Any:
            try:
                nbytes = limiter.grow(len(request), 0)
            except MemoryLimitExceeded as exc:
                await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc),
                                    trailing_metadata=grpc_retry_metadata(str(exc), exc.retry_after))
            try:
                return await inner(request, context)
            finally:
                limiter.release(nbytes)

        return grpc.unary_unary_rpc_method_handler(limited, response_serializer=handler.response_serializer)


def server_options(config: GrpcServerSettings) -> list[tuple[str, int]]:
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
    if config.idle_timeout is not None:
        millis["grpc.max_connection_idle_ms"] = config.idle_timeout
    opts += [(key, int(seconds * 1000)) for key, seconds in millis.items() if seconds > 0]
    # Slow or silent clients: the TLS/HTTP2 handshake must finish in read_header_timeout.
    if config.handshake_timeout() > 0:
        opts.append(("grpc.server_handshake_timeout_ms", int(config.handshake_timeout() * 1000)))
    if config.connection_cap():
        opts.append(("grpc.max_allowed_incoming_connections", config.connection_cap()))
    if ep.permit_without_stream:
        opts.append(("grpc.keepalive_permit_without_calls", 1))
    if config.max_concurrent_streams:
        opts.append(("grpc.max_concurrent_streams", config.max_concurrent_streams))
    return opts


async def start_grpc_server(
    name: str,
    config: GrpcServerSettings,
    base_dir: Path,
    handlers: Sequence[grpc.GenericRpcHandler],
    auth: BearerAuth | None,
    limiter: MemoryLimiter | None = None,
) -> tuple[grpc.aio.Server, int]:
    """Bind `config.endpoint` (TLS when configured), serve `handlers`, return (server, bound port)."""
    interceptors: list[grpc.aio.ServerInterceptor] = [BearerTokenInterceptor(auth, name)] if auth else []
    if limiter is not None and limiter.limit_bytes:
        interceptors.append(MemoryLimitInterceptor(limiter))
    server = grpc.aio.server(options=server_options(config), interceptors=interceptors)
    server.add_generic_rpc_handlers(tuple(handlers))
    if config.tls:
        port = server.add_secure_port(config.endpoint, grpc_server_credentials(config.tls, base_dir))
    else:
        port = server.add_insecure_port(config.endpoint)
    if port == 0:
        raise OSError(f"receiver {name}: cannot listen on {config.endpoint}")
    await server.start()
    return server, port


class GrpcReceiver:
    """Base of the gRPC receivers: binds per its config, serves `handlers()`, stops gracefully."""

    def __init__(self, name: str, config: GrpcServerSettings, base_dir: Path,
                 limiter: MemoryLimiter | None = None) -> None:
        self.name = name
        self.config = config
        self._base_dir = base_dir
        self._limiter = limiter
        self._server: grpc.aio.Server | None = None
        self.port = 0

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        """The services this receiver serves."""
        raise NotImplementedError

    def auth(self) -> BearerAuth | None:
        """Bearer-token check for every call (the server block's `auth`), or None."""
        return BearerAuth.from_config(self.config.auth)

    async def start(self) -> None:
        """Bind and start serving; `port` is the bound port (useful with port 0).

        gzip-compressed requests are accepted without configuration (gRPC decompresses them).
        """
        self._server, self.port = await start_grpc_server(self.name, self.config, self._base_dir, self.handlers(),
                                                          self.auth(), self._limiter)

    @property
    def endpoint(self) -> str:
        host = self.config.endpoint.rpartition(":")[0]
        return f"{host}:{self.port}"

    async def stop(self, grace: float) -> None:
        """Stop taking new calls; calls in flight get `grace` seconds to finish."""
        if self._server is not None:
            await self._server.stop(grace)
