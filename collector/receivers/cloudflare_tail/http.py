"""HTTP tail receiver: `POST /v1/tail` with the JSON array a Cloudflare tail worker sends.

Transport rules live here (auth, content type and encoding, size, JSON); what is accepted and
when it is acknowledged is `TailIntake`'s job. Every refusal is a JSON body `{"error": …}`
naming the problem: 401 bad or missing token, 415 not JSON or an unknown encoding, 413 too
large (as sent or once decompressed), 400 undecodable or not an array (or no item mappable),
503 with Retry-After when ClickHouse is unavailable.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from tailhouse.pipeline.errors import ExportError

from ...memory_limiter import MemoryLimiter, MemoryLimitExceeded
from ...server.auth import CHALLENGE, BearerAuth
from ...server.compression import BodyTooLarge, CorruptBody, gunzip
from ...server.http import BodyTimeout, ConnectionGuard, guarded_app, read_body, serve
from ...server.json_limits import JsonTooDeep, loads_bounded
from ...server.retry_hints import retry_after_header
from ...server.settings import AuthConfig
from ...tail.intake import NoItemStored, TailIntake
from .config import TailHttpConfig

log = logging.getLogger(__name__)

PATH = "/v1/tail"


class RequestRefused(Exception):
    """A request answered with an HTTP error status and a JSON message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def check_bearer(header: str | None, auth: BearerAuth | None) -> None:
    """Raise 401 unless `header` is `Bearer <token>` (compared in constant time); no-op without auth."""
    if auth is None:
        return
    problem = auth.check(header)
    if problem:
        raise RequestRefused(401, problem, CHALLENGE)


def check_content_type(value: str | None) -> None:
    """Raise 415 unless the body is declared as JSON (a missing Content-Type is taken as JSON)."""
    if not value:
        return
    mime = value.split(";", 1)[0].strip().lower()
    if mime != "application/json" and not mime.endswith("+json"):
        raise RequestRefused(415, f"unsupported Content-Type {mime!r}: send application/json")


def decode_body(raw: bytes, encoding: str | None, limit: int) -> bytes:
    """The body without its Content-Encoding (gzip or identity), at most `limit` bytes once decoded."""
    enc = (encoding or "identity").strip().lower()
    if enc == "identity":
        return raw
    if enc not in ("gzip", "x-gzip"):
        raise RequestRefused(415, f"unsupported Content-Encoding {enc!r}: send gzip or no encoding")
    try:
        return gunzip(raw, limit)
    except BodyTooLarge as exc:
        raise RequestRefused(413, f"body is larger than {limit} bytes once decompressed") from exc
    except CorruptBody as exc:
        raise RequestRefused(400, str(exc)) from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_items(body: bytes) -> list[Any]:
    """The TraceItems of a body: a JSON array (400 if it is not valid JSON or not an array)."""
    try:
        value = loads_bounded(body, parse_constant=_refuse_constant)
    except JsonTooDeep as exc:
        raise RequestRefused(400, f"body is not accepted: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise RequestRefused(400, f"body is not UTF-8: {exc}") from exc
    except ValueError as exc:
        raise RequestRefused(400, f"body is not valid JSON: {exc}") from exc
    if not isinstance(value, list):
        kind = "object" if isinstance(value, dict) else type(value).__name__
        raise RequestRefused(400, f"body must be a JSON array of TraceItem (JSON.stringify(events)), got {kind}")
    return value


class TailHttpReceiver:
    """aiohttp server for POST /v1/tail."""

    def __init__(self, name: str, config: TailHttpConfig, auth: AuthConfig | None, intake: TailIntake,
                 shutdown_timeout: float = 30.0, base_dir: Path = Path("."),
                 limiter: MemoryLimiter | None = None) -> None:
        self.name = name
        self.config = config
        self._auth = BearerAuth.from_config(auth)
        self._intake = intake
        self._shutdown_timeout = shutdown_timeout
        self._base_dir = base_dir
        self._limiter = limiter or MemoryLimiter(0)
        self._runner: web.AppRunner | None = None
        self.guard: ConnectionGuard | None = None
        self.port = 0

    async def start(self) -> None:
        """Bind and serve; `port` is the bound port (useful with port 0)."""
        # The body is read and decompressed by hand, so limits hold for compressed bodies too.
        app, self.guard = guarded_app(self.name, self.config)
        app.router.add_post(PATH, self._handle)
        # On stop, requests in flight get shutdown_timeout to be stored and acknowledged.
        self._runner, self.port = await serve(app, self.guard, self._base_dir, auto_decompress=False,
                                              shutdown_timeout=self._shutdown_timeout)

    @property
    def endpoint(self) -> str:
        host = self.config.endpoint.rpartition(":")[0]
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{host}:{self.port}{PATH}"

    async def stop(self, grace: float) -> None:
        """Stop accepting; requests in flight get the shutdown timeout to be stored and answered."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        held = 0
        try:
            check_bearer(request.headers.get("Authorization"), self._auth)
            check_content_type(request.headers.get("Content-Type"))
            held = self._limiter.grow(request.content_length or 0, held)
            raw = await self._read(request)
            held = self._limiter.grow(len(raw), held)
            encoding = request.headers.get("Content-Encoding")
            limit = self.config.max_request_body_size
            # Inflating and parsing up to max_request_body_size of JSON would stall the event loop.
            items = await asyncio.to_thread(lambda: parse_items(decode_body(raw, encoding, limit)))
            result = await self._intake.export(items)
        except RequestRefused as exc:
            return _error(exc.status, exc.message, exc.headers)
        except MemoryLimitExceeded as exc:
            return _error(503, str(exc), {"Retry-After": str(int(exc.retry_after))})
        except NoItemStored as exc:
            return web.json_response({"error": str(exc), **exc.result.as_dict()}, status=400)
        except ExportError as exc:
            log.warning("%s: storing tail events failed: %s", self.name, exc)
            if exc.retryable:
                return _error(503, f"storage unavailable, retry later: {exc}", retry_after_header(exc))
            return _error(400, f"storage refused the data: {exc}")
        finally:
            self._limiter.release(held)
        return web.json_response(result.as_dict())

    async def _read(self, request: web.Request) -> bytes:
        limit = self.config.max_request_body_size
        if request.content_length is not None and request.content_length > limit:
            raise RequestRefused(413, f"body of {request.content_length} bytes is larger than the limit of {limit}")
        try:
            return await read_body(request)
        except web.HTTPRequestEntityTooLarge:
            raise RequestRefused(413, f"body is larger than the limit of {limit} bytes") from None
        except BodyTimeout as exc:
            raise RequestRefused(408, str(exc), {"Connection": "close"}) from exc


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message, "status": status}, status=status, headers=headers)
