"""Test helpers: a Tailhouse service running in a background thread, on free loopback ports.

The service's event loop runs in its own thread so tests can use blocking clients (the OTel SDK
exporters, urllib, grpc) without deadlocking it. Every port is 0 (the OS picks a free one) and
the embedded store lives under the test's tmp_path, so tests run in parallel safely.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Coroutine, TypeVar

from tailhouse.collector.config import parse_config
from tailhouse.collector.service import Service

T = TypeVar("T")

BASE_CONFIG = """
receivers:
  otlp:
    protocols:
{protocols}
processors:
  batch:
    send_batch_size: 1000
    timeout: 50ms
exporters:
  clickhouse:
    endpoint: chdb://{store}
    database: tailhouse
    retry_on_failure:
      initial_interval: 50ms
      max_elapsed_time: 2s
service:
  pipelines:
    traces:  {{receivers: [otlp], processors: [batch], exporters: [clickhouse]}}
    logs:    {{receivers: [otlp], processors: [batch], exporters: [clickhouse]}}
    metrics: {{receivers: [otlp], processors: [batch], exporters: [clickhouse]}}
  telemetry:
    admin:
      endpoint: 127.0.0.1:0
    logs:
      progress_interval: {progress}
"""

HTTP_ONLY = """      http:
        endpoint: 127.0.0.1:0
"""
GRPC_AND_HTTP = """      grpc:
        endpoint: 127.0.0.1:0
      http:
        endpoint: 127.0.0.1:0
"""


def config_text(tmp_path: Path, protocols: str = GRPC_AND_HTTP, progress: str = "0") -> str:
    """A complete config for a test service storing under tmp_path."""
    return BASE_CONFIG.format(protocols=protocols, store=tmp_path / "store", progress=progress)


class RunningService:
    """A started Service on a private event loop thread."""

    def __init__(self, config_yaml: str, base_dir: Path) -> None:
        self.config = parse_config(config_yaml, base_dir)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="tailhouse-test-loop", daemon=True)
        self._thread.start()
        self.service = Service(self.config)
        try:
            self.call(self.service.start())
        except BaseException:
            self.close()
            raise

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run a coroutine on the service's loop and wait for its result."""
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout)

    def endpoint(self, protocol: str) -> str:
        return self.service.endpoint(protocol)

    @property
    def admin(self) -> str:
        return self.service.endpoint("http")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a query against the service's database."""
        exporter = self.service.query_exporter()
        assert exporter is not None

        async def run() -> list[tuple[Any, ...]]:
            await self.service.flush(60)  # acknowledged means in the log; written to ClickHouse by now
            return await asyncio.to_thread(lambda: exporter.query_client().query(sql).result_rows)

        return self.call(run())

    def stop(self) -> None:
        self.call(self.service.stop())

    def close(self) -> None:
        if self.service._started:
            self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


def http_request(url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                 method: str | None = None, context: Any = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one HTTP request; HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30, context=context) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def get_json(url: str) -> tuple[int, Any]:
    status, _, body = http_request(url)
    return status, json.loads(body)
