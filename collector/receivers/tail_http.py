"""HTTP tail receiver: `POST /v1/tail` with the JSON array a Cloudflare tail worker sends.

Transport rules live here (auth, content type and encoding, size, JSON); what is accepted and
when it is acknowledged is `TailIntake`'s job. Every refusal is a JSON body `{"error": …}`
naming the problem: 401 bad or missing token, 415 not JSON or an unknown encoding, 413 too
large (as sent or once decompressed), 400 undecodable or not an array (or no item mappable),
503 with Retry-After when ClickHouse is unavailable.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import zlib
from typing import Any

from aiohttp import web

from tailhouse.pipeline.errors import ExportError

from ..config import TailHttpConfig
from ..tail.intake import NoItemStored, TailIntake
from .retry_hints import retry_after_header

log = logging.getLogger(__name__)

PATH = "/v1/tail"


class RequestRefused(Exception):
    """A request answered with an HTTP error status and a JSON message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def check_bearer(header: str | None, token: str) -> None:
    """Raise 401 unless `header` is `Bearer <token>` (compared in constant time)."""
    if not token:
        return
    challenge = {"WWW-Authenticate": 'Bearer realm="tailhouse"'}
    if not header:
        raise RequestRefused(401, "missing Authorization header (expected: Bearer <token>)", challenge)
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise RequestRefused(401, "invalid bearer token", challenge)


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
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise RequestRefused(400, f"body is not valid gzip: {exc}") from exc
    if len(out) > limit:
        raise RequestRefused(413, f"body is larger than {limit} bytes once decompressed")
    if not inflater.eof:
        raise RequestRefused(400, "body is not valid gzip: truncated stream")
    return out


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_items(body: bytes) -> list[Any]:
    """The TraceItems of a body: a JSON array (400 if it is not valid JSON or not an array)."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
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

    def __init__(self, name: str, config: TailHttpConfig, bearer_token: str, intake: TailIntake,
                 shutdown_timeout: float = 30.0) -> None:
        self.name = name
        self.config = config
        self._token = bearer_token
        self._intake = intake
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        """Bind and serve; `port` is the bound port (useful with port 0)."""
        # The body is read and decompressed by hand, so limits hold for compressed bodies too.
        app = web.Application(client_max_size=self.config.max_request_body_size)
        app.router.add_post(PATH, self._handle)
        # On stop, requests in flight get shutdown_timeout to be stored and acknowledged.
        self._runner = web.AppRunner(app, access_log=None, auto_decompress=False,
                                     shutdown_timeout=self._shutdown_timeout)
        await self._runner.setup()
        host, _, port = self.config.endpoint.rpartition(":")
        site = web.TCPSite(self._runner, host, int(port))
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1] if sockets else int(port)

    @property
    def endpoint(self) -> str:
        host = self.config.endpoint.rpartition(":")[0]
        return f"http://{host}:{self.port}{PATH}"

    async def stop(self, grace: float) -> None:
        """Stop accepting; requests in flight get the shutdown timeout to be stored and answered."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            items = await self._read(request)
            result = await self._intake.export(items)
        except RequestRefused as exc:
            return _error(exc.status, exc.message, exc.headers)
        except NoItemStored as exc:
            return web.json_response({"error": str(exc), **exc.result.as_dict()}, status=400)
        except ExportError as exc:
            log.warning("%s: storing tail events failed: %s", self.name, exc)
            if exc.retryable:
                return _error(503, f"storage unavailable, retry later: {exc}", retry_after_header(exc))
            return _error(400, f"storage refused the data: {exc}")
        return web.json_response(result.as_dict())

    async def _read(self, request: web.Request) -> list[Any]:
        check_bearer(request.headers.get("Authorization"), self._token)
        check_content_type(request.headers.get("Content-Type"))
        limit = self.config.max_request_body_size
        if request.content_length is not None and request.content_length > limit:
            raise RequestRefused(413, f"body of {request.content_length} bytes is larger than the limit of {limit}")
        chunks: list[bytes] = []
        size = 0
        while chunk := await request.content.read(65536):
            size += len(chunk)
            if size > limit:
                raise RequestRefused(413, f"body is larger than the limit of {limit} bytes")
            chunks.append(chunk)
        encoding = request.headers.get("Content-Encoding")
        # Inflating and parsing up to max_request_body_size of JSON would stall the event loop.
        return await asyncio.to_thread(lambda: parse_items(decode_body(b"".join(chunks), encoding, limit)))


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message, "status": status}, status=status, headers=headers)
