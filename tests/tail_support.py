"""Test support for the tail receivers: a real Tailhouse service (embedded chDB) in a background thread.

chDB allows one engine (data directory) per process at a time, so a test module starts one
service and shares it; tests tell their rows apart by script name.
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import json
import threading
import urllib.parse
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Coroutine, TypeVar

from tailhouse.collector.config import Config, parse_config
from tailhouse.collector.service import Service

T = TypeVar("T")

TOKEN = "test-token-123"

CONFIG = """
receivers:
  otlp:
    protocols:
      grpc: {endpoint: 127.0.0.1:0}
  cloudflare_tail:
    http: {endpoint: 127.0.0.1:0, max_request_body_size: 64KiB}
    grpc: {endpoint: 127.0.0.1:0}
    auth: {bearer_token: %(token)s}
    redact:
      headers: [authorization, cookie, x-api-key]
      query_params: [token, key, password, secret]
    default_service_name: anonymous-worker
processors:
  batch: {send_batch_size: 1000, timeout: 50ms}
exporters:
  clickhouse:
    endpoint: chdb://%(data)s
    database: tailhouse
    retry_on_failure: {enabled: false}
service:
  pipelines:
    logs: {receivers: [otlp, cloudflare_tail], processors: [batch], exporters: [clickhouse]}
  telemetry:
    admin: {endpoint: 127.0.0.1:0}
  shutdown_timeout: 10s
"""


def tail_config(data_dir: Path, token: str = TOKEN) -> Config:
    """Config of a service with both tail transports on free loopback ports, storing under data_dir."""
    return parse_config(CONFIG % {"token": json.dumps(token), "data": data_dir}, data_dir)


class RunningService:
    """A Service running on its own event loop thread, driven from synchronous tests."""

    def __init__(self, config: Config) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="tailhouse-test-loop", daemon=True)
        self._thread.start()
        self.service = Service(config)
        self.call(self.service.start())

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        """Run a coroutine on the service's loop and wait for its result."""
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout)

    def stop(self) -> None:
        try:
            self.call(self.service.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()

    @property
    def http_url(self) -> str:
        return self.service.endpoint("tail/http")

    @property
    def grpc_target(self) -> str:
        return self.service.endpoint("tail/grpc")

    def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of a query against the service's database, as dicts (after writing everything acknowledged)."""
        self.call(self.service.flush(60))
        client = self.service.query_exporter().query_client()  # type: ignore[union-attr]
        result = client.query(sql, parameters=params)
        return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def post(url: str, body: bytes | str | Any, *, token: str | None = TOKEN, content_type: str | None = "application/json",
         gzipped: bool = False, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    """POST to the tail receiver; returns (status, JSON answer, response headers)."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    data = body.encode() if isinstance(body, str) else body
    hdrs = dict(headers or {})
    if gzipped:
        data = gzip.compress(data)
        hdrs["Content-Encoding"] = "gzip"
    if content_type:
        hdrs["Content-Type"] = content_type
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    # http.client sends exactly these headers (urllib would add a form Content-Type)
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("POST", parts.path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}"), dict(resp.getheaders())
    finally:
        conn.close()
