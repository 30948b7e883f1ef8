"""Admin HTTP endpoint (loopback by default): health, stats, Prometheus metrics, flush, and SQL.

`GET /health` is 200 only when the service is ready (exporters can write, no log is full or damaged) and
503 with the reason otherwise, so it serves as a container or load-balancer health check.

`POST /query` exists because chDB allows one engine per data directory: while the service holds
the embedded store, `tailhouse sql` asks the service to run the query instead of opening it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from typing import TYPE_CHECKING

from aiohttp import web
from clickhouse_connect.driver.client import Client
from prometheus_client import CONTENT_TYPE_LATEST

from exporters.clickhouse.exporter import ReplayResult, replay_dead_letters

from .live.sse import add_tail_route
from .metrics import exposition

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)

QUERY_FORMATS = {
    "table": "PrettyCompactMonoBlock",
    "tsv": "TabSeparatedWithNames",
    "jsoneachrow": "JSONEachRow",
}


def clickhouse_format(name: str) -> str:
    """ClickHouse output format for a `tailhouse sql --format` name (case-insensitive)."""
    try:
        return QUERY_FORMATS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown format {name!r} (use table, TSV or JSONEachRow)") from None


class AdminServer:
    """aiohttp app bound to service.telemetry.admin.endpoint."""

    def __init__(self, service: "Service", endpoint: str) -> None:
        self._service = service
        self._endpoint = endpoint
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 2**20)
        app.router.add_get("/health", self._health)
        app.router.add_get("/stats", self._stats)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_post("/flush", self._flush)
        app.router.add_post("/query", self._query)
        app.router.add_post("/deadletter/replay", self._replay_dead_letters)
        add_tail_route(app, self._service.live)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        host, _, port = self._endpoint.rpartition(":")
        site = web.TCPSite(self._runner, host, int(port))
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1] if sockets else int(port)

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _health(self, request: web.Request) -> web.Response:
        ok, reason = self._service.health()
        return web.json_response({"status": "ok" if ok else "unavailable", "reason": reason}, status=200 if ok else 503)

    async def _stats(self, request: web.Request) -> web.Response:
        ready, reason = self._service.health()
        return web.json_response({"ready": ready, "reason": reason, **self._service.stats.as_dict(),
                                  "live_tail": asdict(self._service.live.stats)})

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

    async def _query(self, request: web.Request) -> web.Response:
        sql = await request.text()
        if not sql.strip():
            return web.json_response({"error": "empty query: send the SQL as the request body"}, status=400)
        try:
            fmt = clickhouse_format(request.query.get("format", "table"))
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        exporter = self._service.query_exporter()
        if exporter is None:
            return web.json_response({"error": "no clickhouse exporter configured"}, status=503)
        try:
            body = await asyncio.to_thread(run_sql, exporter.query_client(), sql, fmt)
        except Exception as exc:
            log.info("admin query failed: %s", exc)
            return web.json_response({"error": str(exc)}, status=400)
        return web.Response(body=body, content_type="text/plain", charset="utf-8")


    async def _replay_dead_letters(self, request: web.Request) -> web.Response:
        """Replay dead letters with the running service's exporter (chDB admits one engine per store).

        Body (JSON, optional): {"exporter": name, "ids": [...], "settings": {name: value}}.
        """
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError:
            return web.json_response({"error": "body must be JSON"}, status=400)
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


def run_sql(client: Client, sql: str, fmt: str) -> bytes:
    """Run `sql` with the client's default database and return ClickHouse's output in format `fmt`."""
    # URLs are common in this data; "\/" in JSON output is valid but hard to read.
    settings = {"output_format_json_escape_forward_slashes": 0}
    return bytes(client.raw_query(sql.strip().rstrip(";"), fmt=fmt, settings=settings))
