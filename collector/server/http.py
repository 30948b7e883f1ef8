"""Serving an aiohttp app per `HttpServerSettings`: TLS, a connection cap and slow-client timeouts.

Shared by the OTLP/HTTP, tail HTTP and admin servers so every HTTP port enforces the same
settings the same way. aiohttp only has an idle (keep-alive) timeout, so the others are kept
here, as Go's http.Server has them:

- `read_header_timeout`: from connect (or the first byte after an idle period) until the request
  headers are complete; a client that trickles headers is disconnected.
- `read_timeout`: the whole request, headers and body; `read_body` answers 408 past it.
- `idle_timeout`: a keep-alive connection with no request in progress is closed.
- `max_connections`: beyond it a new connection is answered 503 (Retry-After) and closed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import web

from .auth import server_ssl_context
from .settings import HttpServerSettings

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# A typed request key where aiohttp has them (3.14+); a plain string key works on older releases.
_DEADLINE_KEY: Any = (web.RequestKey("tailhouse.read_deadline", object) if hasattr(web, "RequestKey")
                      else "tailhouse.read_deadline")
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n"
         b"Connection: close\r\nContent-Length: 34\r\n\r\ntoo many connections, retry later\n")


class BodyTimeout(Exception):
    """The request body did not arrive within `read_timeout`."""


@dataclass
class _Conn:
    """Timer state of one connection."""

    protocol: "_GuardedProtocol"
    timer: asyncio.TimerHandle | None = None
    started: float = 0.0  # loop time the current request's first byte arrived
    active: bool = False  # a request is being handled
    idle: bool = False  # waiting for the next request (keep-alive)


@dataclass
class ConnectionGuard:
    """Per-port bookkeeping of open connections and their deadlines."""

    name: str
    settings: HttpServerSettings
    conns: dict[Any, _Conn] = field(default_factory=dict)
    refused: int = 0
    timed_out: int = 0

    def _arm(self, conn: _Conn, seconds: float, why: str) -> None:
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None
        if seconds > 0:
            conn.timer = asyncio.get_running_loop().call_later(seconds, self._expire, conn, why)

    def _expire(self, conn: _Conn, why: str) -> None:
        self.timed_out += 1
        log.info("%s: closing a connection from %s: %s", self.name, conn.protocol.peer, why)
        conn.protocol.abort()

    def opened(self, transport: Any, protocol: "_GuardedProtocol") -> bool:
        """Register a new connection; False (and the connection answered 503) when over the cap."""
        cap = self.settings.connection_cap()
        if cap and len(self.conns) >= cap:
            self.refused += 1
            log.warning("%s: refusing a connection from %s: %d connections open (max_connections)",
                        self.name, protocol.peer, len(self.conns))
            return False
        conn = _Conn(protocol, started=asyncio.get_running_loop().time())
        self.conns[transport] = conn
        self._arm(conn, self.settings.timeout("read_header_timeout"), "request headers not received in time "
                                                                       "(read_header_timeout)")
        return True

    def closed(self, transport: Any) -> None:
        conn = self.conns.pop(transport, None)
        if conn is not None and conn.timer is not None:
            conn.timer.cancel()

    def data(self, transport: Any) -> None:
        """Bytes arrived: a new request starts if the connection was idle."""
        conn = self.conns.get(transport)
        if conn is not None and conn.idle:
            conn.idle = False
            conn.started = asyncio.get_running_loop().time()
            self._arm(conn, self.settings.timeout("read_header_timeout"), "request headers not received in time "
                                                                           "(read_header_timeout)")

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Headers are complete: stop the header timer, give the body the rest of read_timeout."""
        conn = self.conns.get(request.transport)
        loop = asyncio.get_running_loop()
        read_timeout = self.settings.timeout("read_timeout")
        if conn is not None:
            conn.active, conn.idle = True, False
            self._arm(conn, 0, "")
            request[_DEADLINE_KEY] = conn.started + read_timeout if read_timeout else None
        else:
            request[_DEADLINE_KEY] = loop.time() + read_timeout if read_timeout else None
        try:
            return await handler(request)
        finally:
            if conn is not None and request.transport in self.conns:
                conn.active, conn.idle = False, True
                self._arm(conn, self.settings.timeout("idle_timeout"), "idle (idle_timeout)")


class _GuardedProtocol(asyncio.Protocol):
    """Wraps aiohttp's per-connection protocol to report connection events to the guard."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self._inner = inner
        self._guard = guard
        self._transport: asyncio.Transport | None = None
        self.peer = "?"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        if not self._guard.opened(transport, self):
            transport.write(_BUSY)
            transport.close()
            return
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None and self._transport in self._guard.conns:
            self._guard.closed(self._transport)
            self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._transport is None or self._transport not in self._guard.conns:
            return
        self._guard.data(self._transport)
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._transport in self._guard.conns else None

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()


class GuardedSite(web.TCPSite):
    """A TCPSite whose connections go through a ConnectionGuard."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(runner, host, port, **kwargs)
        self._guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        guard = self._guard
        handshake = guard.settings.timeout("read_header_timeout") or None
        self._server = await loop.create_server(
            lambda: _GuardedProtocol(server(), guard), self._host, self._port, ssl=self._ssl_context,
            backlog=self._backlog, reuse_address=self._reuse_address, reuse_port=self._reuse_port,
            ssl_handshake_timeout=handshake if self._ssl_context else None)


def guarded_app(name: str, settings: HttpServerSettings, middlewares: list[Any] | None = None) -> tuple[web.Application, ConnectionGuard]:
    """An aiohttp Application whose first middleware tracks request deadlines for `settings`."""
    guard = ConnectionGuard(name, settings)
    app = web.Application(client_max_size=settings.max_request_body_size,
                          middlewares=[guard.middleware, *(middlewares or [])])
    return app, guard


async def serve(app: web.Application, guard: ConnectionGuard, base_dir: Path,
                **runner_kwargs: Any) -> tuple[web.AppRunner, int]:
    """Bind `guard.settings.endpoint` (TLS when configured) and serve `app`; returns (runner, bound port)."""
    settings = guard.settings
    ssl_ctx = server_ssl_context(settings.tls, base_dir) if settings.tls else None
    idle = settings.timeout("idle_timeout")
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=idle if idle else 3630, **runner_kwargs)
    await runner.setup()
    host, _, port = settings.endpoint.rpartition(":")
    site = GuardedSite(runner, host.strip("[]"), int(port), guard, ssl_context=ssl_ctx)
    await site.start()
    sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
    return runner, (sockets[0].getsockname()[1] if sockets else int(port))


async def read_body(request: web.Request) -> bytes:
    """The request body, within what is left of read_timeout (BodyTimeout past it).

    Bodies over the app's client_max_size raise aiohttp's HTTPRequestEntityTooLarge.
    """
    deadline = request.get(_DEADLINE_KEY)
    if deadline is None:
        return await request.read()
    remaining = deadline - asyncio.get_running_loop().time()
    try:
        if remaining <= 0:
            raise TimeoutError
        async with asyncio.timeout(remaining):
            return await request.read()
    except TimeoutError:
        raise BodyTimeout("request body not received within read_timeout") from None
