"""Admin HTTP endpoint (loopback by default): health, stats, Prometheus metrics, flush, and SQL.

`GET /health` is 200 only when the service is ready (exporters can write, no log is full or damaged) and
503 with the reason otherwise, so it serves as a container or load-balancer health check.

`POST /query` exists because chDB allows one engine per data directory: while the service holds
the embedded store, `tailhouse sql` asks the service to run the query instead of opening it.
Queries run read-only (see `sql_guard`); `?write=1` is honoured only with `allow_writes: true`.

Every request is checked before routing: a Host that is a name other than `localhost` or an
`allowed_hosts` entry (DNS rebinding) and an Origin not in `allowed_origins` (a web page posting
to the port) are answered 403; with `auth`, every path but /health needs the bearer token (401).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from clickhouse_connect.driver.client import Client
from prometheus_client import CONTENT_TYPE_LATEST

from tailhouse.exporters.clickhouse.exporter import ReplayResult, replay_dead_letters
from tailhouse.exporters.clickhouse.migrations import describe_missing, missing_objects
from tailhouse.pipeline.errors import first_line

from .live.sse import add_tail_route
from .metrics import exposition
from .query import check_param_name, clickhouse_format
from .server.auth import CHALLENGE, BearerAuth
from .server.http import BodyTimeout, ConnectionGuard, Handler, guarded_app, read_body, serve
from .service_config import AdminConfig
from .sql_guard import QueryRefused, make_readonly, run_checked, run_sql

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)


def query_options(request: web.Request) -> tuple[str, dict[str, str]]:
    """Output format and `{name:Type}` parameters of POST /query, spelled as ClickHouse's HTTP interface does.

    `?format=NAME` (default: a table) and `?param_NAME=VALUE`; a FORMAT clause in the SQL wins.
    """
    fmt = clickhouse_format(request.query.get("format", "table"))
    params = {check_param_name(k[len("param_"):]): v for k, v in request.query.items() if k.startswith("param_")}
    return fmt, params


def host_allowed(host_header: str, allowed: list[str]) -> bool:
    """True for an IP address, `localhost` or an allowed name (with or without a port)."""
    host = host_header.strip().lower()
    if host.startswith("["):  # [v6]:port
        host = host[1:host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    return host in ("localhost", *(h.lower() for h in allowed))


class AdminServer:
    """aiohttp app bound to service.telemetry.admin.endpoint."""

    def __init__(self, service: "Service", config: AdminConfig, base_dir: Path = Path(".")) -> None:
        self._service = service
        self.config = config
        self._base_dir = base_dir
        self._auth = BearerAuth.from_config(config.auth)
        self._runner: web.AppRunner | None = None
        self._readonly: tuple[Client, dict[str, str]] | None = None
        self.guard: ConnectionGuard | None = None
        self.port = 0

    @property
    def url(self) -> str:
        host = self.config.endpoint.rpartition(":")[0]
        return f"{'https' if self.config.tls else 'http'}://{host}:{self.port}"

    async def start(self) -> None:
        app, self.guard = guarded_app("admin", self.config, [self._gate])
        app.router.add_get("/health", self._health)
        app.router.add_get("/stats", self._stats)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_post("/flush", self._flush)
        app.router.add_post("/query", self._query)
        app.router.add_post("/deadletter/replay", self._replay_dead_letters)
        add_tail_route(app, self._service.live)
        self._runner, self.port = await serve(app, self.guard, self._base_dir)

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
        if self._readonly is not None:
            self._readonly[0].close()

    @web.middleware
    async def _gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Host, Origin and bearer-token checks, before any route runs.

        /health is exempt: it carries a status and a reason, no data, and load balancers and
        probes call it with whatever Host they know the service by.
        """
        if request.path == "/health":
            return await handler(request)
        host = request.headers.get("Host", "")
        if not host_allowed(host, self.config.allowed_hosts):
            log.info("admin: refused %s %s: Host %r", request.method, request.path, host)
            return web.json_response({"error": f"Host {host!r} is not allowed (an IP address, localhost or "
                                               "telemetry.admin.allowed_hosts)"}, status=403)
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.config.allowed_origins:
            log.info("admin: refused %s %s: Origin %r", request.method, request.path, origin)
            return web.json_response({"error": f"Origin {origin!r} is not allowed (browser requests are refused "
                                               "unless listed in telemetry.admin.allowed_origins)"}, status=403)
        if self._auth is not None:
            problem = self._auth.check(request.headers.get("Authorization"))
            if problem:
                log.info("admin: refused %s %s from %s: %s", request.method, request.path, request.remote, problem)
                return web.json_response({"error": problem}, status=401,
                                         headers=CHALLENGE)
        return await handler(request)

    async def _health(self, request: web.Request) -> web.Response:
        ok, reason = self._service.health()
        missing = await self._missing_objects() if self._service.query_exporter() is not None else ""
        if missing:
            ok, reason = False, "; ".join(r for r in (reason, missing) if r)
        return web.json_response({"status": "ok" if ok else "unavailable", "reason": reason}, status=200 if ok else 503)

    async def _stats(self, request: web.Request) -> web.Response:
        ready, reason = self._service.health()
        return web.json_response({"ready": ready, "reason": reason, **self._service.stats.as_dict(),
                                  "limits": self._service.limits_stats(), "live_tail": asdict(self._service.live.stats)})

    async def _metrics(self, request: web.Request) -> web.Response:
        body = exposition(self._service.metrics_registry)
        # CONTENT_TYPE_LATEST carries its own charset parameter, so set the header directly.
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _flush(self, request: web.Request) -> web.Response:
        """Send everything accepted so far to ClickHouse now; answers when it is stored (or after `timeout` s)."""
        try:
            timeout = float(request.query.get("timeout", "30"))
        except ValueError:
            return web.json_response({"error": "timeout must be a number of seconds"}, status=400)
        flushed = await self._service.flush(timeout)
        return web.json_response({"flushed": flushed}, status=200 if flushed else 504)

    async def _missing_objects(self) -> str:
        """'' or which schema objects are gone (a dropped table makes every insert fail)."""
        database = self._query_target().database
        try:
            client, _ = await asyncio.to_thread(self._readonly_client)
            missing = await asyncio.to_thread(missing_objects, client, database)
        except Exception as exc:  # the health answer reports it rather than failing itself
            return f"cannot check the schema: {first_line(exc)}"
        if not missing:
            return ""
        return f"schema objects missing: {describe_missing(database, missing)} (restart to recreate them)"

    def _query_target(self) -> Any:
        """What `/query` reads: the query exporter's first destination (a sharded one's first shard, with its database)."""
        exporter = self._service.query_exporter()
        assert exporter is not None
        return exporter.routes[0].writer

    def _readonly_client(self) -> tuple[Client, dict[str, str]]:
        """A client of the query exporter's store kept in ClickHouse readonly mode (made once)."""
        if self._readonly is None:
            target = self._query_target()
            client = target.new_client(target.database)
            self._readonly = (client, make_readonly(client))
        return self._readonly

    async def _query(self, request: web.Request) -> web.Response:
        try:
            sql = (await read_body(request)).decode("utf-8")
        except BodyTimeout as exc:
            return web.json_response({"error": str(exc)}, status=408)
        except UnicodeDecodeError:
            return web.json_response({"error": "the query must be UTF-8 text"}, status=400)
        if not sql.strip():
            return web.json_response({"error": "empty query: send the SQL as the request body"}, status=400)
        try:
            fmt, params = query_options(request)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        write = request.query.get("write", "") in ("1", "true")
        if write and not self.config.allow_writes:
            return web.json_response({"error": "writes are not allowed: set service.telemetry.admin.allow_writes: "
                                               "true to accept `tailhouse sql --write`"}, status=403)
        exporter = self._service.query_exporter()
        if exporter is None:
            return web.json_response({"error": "no clickhouse exporter configured"}, status=503)
        try:
            if write:
                body = await asyncio.to_thread(run_sql, exporter.query_client(), sql, fmt, True, params)
            else:
                client, settings = await asyncio.to_thread(self._readonly_client)
                body = await asyncio.to_thread(run_checked, client, sql, fmt, settings, params)
        except QueryRefused as exc:
            log.info("admin query refused: %s", exc)
            return web.json_response({"error": str(exc)}, status=403)
        except Exception as exc:
            log.info("admin query failed: %s", exc)
            return web.json_response({"error": str(exc)}, status=400)
        return web.Response(body=body, content_type="text/plain", charset="utf-8")

    async def _replay_dead_letters(self, request: web.Request) -> web.Response:
        """Replay dead letters with the running service's exporter (chDB admits one engine per store).

        Body (JSON, optional): {"exporter": name, "ids": [...], "settings": {name: value}}.
        """
        try:
            raw = await read_body(request) if request.can_read_body else b""
            body = json.loads(raw) if raw.strip() else {}
        except BodyTimeout as exc:
            return web.json_response({"error": str(exc)}, status=408)
        except ValueError:
            return web.json_response({"error": "body must be JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        exporters = self._service.exporters
        # A sharded exporter keeps one dead-letter folder per shard: name the shard (e.g. clickhouse/shard2).
        writers = {r.writer.name: r.writer for e in exporters.values() for r in getattr(e, "routes", ())}
        name = body.get("exporter") or next((n for n, e in exporters.items() if hasattr(e, "routes")), None)
        writer = writers.get(name) if name else None
        if writer is None:
            shards = ", ".join(n for n in writers if n not in exporters) or "none"
            return web.json_response({"error": f"no clickhouse exporter (or shard) named {name!r}; shards: {shards}"},
                                     status=404)
        settings = {str(k): str(v) for k, v in (body.get("settings") or {}).items()}
        results = await asyncio.to_thread(replay_dead_letters, writer.new_client(), writer.database,
                                          writer.dead_letters, body.get("ids") or None, settings)
        return web.json_response({"exporter": name, "results": [replay_result_dict(r) for r in results]})


def replay_result_dict(result: ReplayResult) -> dict[str, object]:
    """JSON form of one dead letter's replay outcome."""
    return {"id": result.letter.id, "kind": result.letter.kind, "items": result.letter.items,
            "stored": not result.error, "error": result.error}


