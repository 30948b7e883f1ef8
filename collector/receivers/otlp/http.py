"""OTLP/HTTP receiver: POST /v1/traces, /v1/logs, /v1/metrics with protobuf or JSON bodies.

Transport only: authentication, content type, Content-Encoding, size limits, CORS, and turning
outcomes into status codes. JSON is converted to the protobuf request once; then the same
`Intake.export` as gRPC validates, batches and waits until the data is stored, so a 200 means
the data is in ClickHouse.

Status codes follow the OTLP/HTTP spec: 400 with a google.rpc.Status body for bad data, 401 for
a missing or wrong token, 413 over the size limit, 415 for a content type other than protobuf or
JSON, 503 with Retry-After when storage is unavailable (the client retries).
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from dataclasses import dataclass
from pathlib import Path

import grpc
from aiohttp import web

from tailhouse.pipeline.errors import ExportError
from tailhouse.pipeline.signals import Signal

from ...intake import Intake
from ...memory_limiter import MemoryLimiter, MemoryLimitExceeded
from ...otlp_json import request_from_json, response_to_json, status_bytes
from ...otlp_requests import InvalidRequest, response_bytes
from ...server.auth import CHALLENGE, BearerAuth
from ...server.compression import BodyTooLarge, CorruptBody, UnsupportedEncoding, decompress
from ...server.http import BodyTimeout, ConnectionGuard, Handler, guarded_app, read_body, serve
from ...server.retry_hints import retry_after_header
from .config import CorsConfig, HttpProtocolConfig
from .item_limits import ItemLimiter, export_within_limits

log = logging.getLogger(__name__)

PATHS = {Signal.TRACES: "/v1/traces", Signal.LOGS: "/v1/logs", Signal.METRICS: "/v1/metrics"}
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_CONTENT_TYPES = {PROTOBUF: False, "application/protobuf": False, JSON: True}
# Headers an OTLP client sends; CORS preflights may always ask for these.
_CORS_BASE_HEADERS = frozenset({"content-type", "content-encoding", "accept", "x-requested-with"})


@dataclass(frozen=True)
class _Encoding:
    """How the request was encoded, so the answer uses the same content type."""

    as_json: bool

    @property
    def content_type(self) -> str:
        return JSON if self.as_json else PROTOBUF


def _status(http_status: int, code: grpc.StatusCode, message: str, enc: _Encoding,
            headers: dict[str, str] | None = None) -> web.Response:
    body = status_bytes(code.value[0], message, enc.as_json)
    return web.Response(status=http_status, body=body, content_type=enc.content_type, headers=headers)


class Cors:
    """Origin checks and headers for browser clients (configured `cors`)."""

    def __init__(self, config: CorsConfig) -> None:
        self._origins = config.allowed_origins
        self._headers = {h.lower() for h in config.allowed_headers}
        self._max_age = config.max_age

    def allows(self, origin: str) -> bool:
        return any(p == "*" or fnmatch.fnmatchcase(origin, p) for p in self._origins)

    def response_headers(self, origin: str) -> dict[str, str]:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def preflight(self, request: web.Request) -> web.Response:
        origin = request.headers.get("Origin", "")
        method = request.headers.get("Access-Control-Request-Method", "")
        asked = {h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()}
        if not origin or not self.allows(origin):
            return web.Response(status=403, text=f"CORS: origin {origin!r} is not allowed\n")
        if method.upper() != "POST":
            return web.Response(status=405, text="CORS: only POST is allowed\n")
        if "*" not in self._headers and not asked <= (_CORS_BASE_HEADERS | self._headers):
            refused = ", ".join(sorted(asked - _CORS_BASE_HEADERS - self._headers))
            return web.Response(status=403, text=f"CORS: headers not allowed: {refused}\n")
        headers = {
            **self.response_headers(origin),
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": ", ".join(sorted(asked)) if asked else "Content-Type",
        }
        if self._max_age:
            headers["Access-Control-Max-Age"] = str(self._max_age)
        return web.Response(status=204, headers=headers)




class OtlpHttpReceiver:
    """Serves OTLP/HTTP for the signals whose pipelines use this receiver."""

    def __init__(self, name: str, config: HttpProtocolConfig, intake: Intake, base_dir: Path = Path("."),
                 limiter: MemoryLimiter | None = None, item_limiter: ItemLimiter | None = None) -> None:
        self.name = name
        self._item_limiter = item_limiter
        self.config = config
        self._intake = intake
        self._base_dir = base_dir
        self._limiter = limiter or MemoryLimiter(0)
        self.guard: ConnectionGuard | None = None
        self._auth = BearerAuth.from_config(config.auth)
        self._cors = Cors(config.cors) if config.cors and config.cors.allowed_origins else None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def scheme(self) -> str:
        return "https" if self.config.tls else "http"

    @property
    def endpoint(self) -> str:
        host = self.config.endpoint.rpartition(":")[0]
        return f"{self.scheme}://{host}:{self.port}"

    def build_app(self) -> web.Application:
        """The aiohttp application (routes for the signals this receiver feeds)."""
        # aiohttp refuses bodies over client_max_size with 413 before we read them.
        app, self.guard = guarded_app(self.name, self.config, [self._cors_middleware])
        for signal in self._intake.signals():
            app.router.add_post(PATHS[signal], self._export_handler(signal))
            if self._cors:
                app.router.add_route("OPTIONS", PATHS[signal], self._preflight)
        return app

    async def start(self) -> None:
        """Bind and start serving; `port` is the bound port (useful with port 0)."""
        app = self.build_app()
        assert self.guard is not None
        # auto_decompress off: `compression.decompress` applies our size cap and supported codings.
        self._runner, self.port = await serve(app, self.guard, self._base_dir, auto_decompress=False)

    async def stop(self, grace: float) -> None:
        """Stop accepting; requests in flight get `grace` seconds to finish."""
        if self._runner is not None:
            await self._runner.shutdown()
            await self._runner.cleanup()

    @web.middleware
    async def _cors_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        resp = await handler(request)
        origin = request.headers.get("Origin")
        if self._cors and origin and request.method != "OPTIONS" and self._cors.allows(origin):
            resp.headers.update(self._cors.response_headers(origin))
        return resp

    async def _preflight(self, request: web.Request) -> web.Response:
        assert self._cors is not None
        return self._cors.preflight(request)

    def _export_handler(self, signal: Signal) -> Handler:
        async def export(request: web.Request) -> web.StreamResponse:
            return await self._export(signal, request)

        return export

    async def _export(self, signal: Signal, request: web.Request) -> web.Response:
        as_json = _CONTENT_TYPES.get(request.content_type)
        # Errors are answered in the request's encoding; JSON when that encoding is unknown.
        enc = _Encoding(True if as_json is None else as_json)
        if self._auth is not None:
            problem = self._auth.check(request.headers.get("Authorization"))
            if problem:
                log.info("%s: refused %s from %s: %s", self.name, request.path, request.remote, problem)
                return _status(401, grpc.StatusCode.UNAUTHENTICATED, problem, enc,
                               headers=CHALLENGE)
        if as_json is None:
            return _status(415, grpc.StatusCode.INVALID_ARGUMENT,
                           f"unsupported Content-Type {request.content_type!r}: use {PROTOBUF} or {JSON}", enc)
        limit = self.config.max_request_body_size
        held = 0
        try:
            # Reserve the announced size before reading, the decoded size once known.
            held = self._limiter.grow(request.content_length or 0, 0)
            raw = await read_body(request)
            held = self._limiter.grow(len(raw), held)
            data = await asyncio.to_thread(self._decode, signal, request.headers.get("Content-Encoding", ""), raw,
                                           limit, as_json)
            # The request keeps its body cached, so a decoded copy is held on top of it.
            held = self._limiter.grow(len(raw) + (len(data) if data is not raw else 0), held)
            parsed = await export_within_limits(self._intake, self._item_limiter, signal, data)
        except MemoryLimitExceeded as exc:
            return _status(503, grpc.StatusCode.UNAVAILABLE, str(exc), enc,
                           headers={"Retry-After": str(int(exc.retry_after))})
        except BodyTimeout as exc:
            return _status(408, grpc.StatusCode.DEADLINE_EXCEEDED, str(exc), enc, headers={"Connection": "close"})
        except (web.HTTPRequestEntityTooLarge, BodyTooLarge) as exc:
            message = str(exc) if isinstance(exc, BodyTooLarge) else f"request body is more than the limit of {limit} bytes"
            return _status(413, grpc.StatusCode.RESOURCE_EXHAUSTED, message, enc)
        except UnsupportedEncoding as exc:
            return _status(415, grpc.StatusCode.INVALID_ARGUMENT, str(exc), enc)
        except (CorruptBody, InvalidRequest) as exc:
            return _status(400, grpc.StatusCode.INVALID_ARGUMENT, str(exc), enc)
        except ExportError as exc:
            if exc.retryable:
                return _status(503, grpc.StatusCode.UNAVAILABLE, str(exc), enc, headers=retry_after_header(exc))
            return _status(400, grpc.StatusCode.INVALID_ARGUMENT, str(exc), enc)
        finally:
            self._limiter.release(held)
        body = response_bytes(signal, parsed)
        if as_json:
            body = response_to_json(signal, body)
        return web.Response(status=200, body=body, content_type=enc.content_type)

    @staticmethod
    def _decode(signal: Signal, encoding: str, raw: bytes, limit: int, as_json: bool) -> bytes:
        """Decompress and (for JSON) convert to protobuf: run off the event loop, which every receiver shares."""
        data = decompress(encoding, raw, limit)
        if not as_json:
            return data
        try:
            return request_from_json(signal, data)
        except RecursionError:
            raise InvalidRequest("request body is JSON nested too deeply to decode") from None
