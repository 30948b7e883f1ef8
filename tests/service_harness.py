"""Running a real `tailhouse run` process for tests, and talking to it.

The service runs as a subprocess (as users run it): chDB allows one engine per data directory
and process, and keeping it out of the pytest process lets every test use its own store.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


DEFAULT_CONFIG = """\
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{grpc_port}
processors:
  batch:
    send_batch_size: {batch_size}
    timeout: {batch_timeout}
exporters:
  clickhouse:
    endpoint: chdb://./data/clickhouse
    database: tailhouse
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
      max_elapsed_time: 5s
service:
  pipelines:
    traces:  {{receivers: [otlp], processors: [batch], exporters: [clickhouse]}}
    logs:    {{receivers: [otlp], processors: [batch], exporters: [clickhouse]}}
    metrics: {{receivers: [otlp], processors: [batch], exporters: [clickhouse]}}
  telemetry:
    admin:
      endpoint: 127.0.0.1:{admin_port}
  shutdown_timeout: 20s
"""


@dataclass
class RunningService:
    """A `tailhouse run` subprocess and its endpoints."""

    workdir: Path
    config_path: Path
    grpc_port: int
    admin_port: int
    proc: subprocess.Popen[str]
    stderr_lines: list[str] = field(default_factory=list)

    @property
    def grpc_endpoint(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def flush(self, timeout: float = 60) -> bool:
        """Have everything acknowledged so far written to ClickHouse (POST /flush); True once it is."""
        req = urllib.request.Request(f"{self.admin_url}/flush?timeout={timeout}", data=b"", method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout + 30) as resp:
                return bool(json.loads(resp.read())["flushed"])
        except urllib.error.HTTPError as exc:
            if exc.code == 504:
                return False
            raise

    def query_raw(self, sql: str, fmt: str = "JSONEachRow", write: bool = False, flush: bool = True) -> str:
        """Run SQL through the admin endpoint; raises RuntimeError with ClickHouse's message.

        `write` asks for a write (the config needs `telemetry.admin.allow_writes: true`). Clients
        are acknowledged once their data is in the write-ahead log, before it is in ClickHouse:
        with `flush`, everything acknowledged so far is written first.
        """
        if flush:
            self.flush()
        params = {"format": fmt, **({"write": "1"} if write else {})}
        url = f"{self.admin_url}/query?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, data=sql.encode(), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.read().decode()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(exc.read().decode()) from None

    def query(self, sql: str, flush: bool = True) -> list[dict[str, Any]]:
        """Rows of a SELECT as dicts (after a flush, see `query_raw`)."""
        out = self.query_raw(sql, "JSONEachRow", flush=flush)
        return [json.loads(line) for line in out.split("\n") if line.strip()]  # not splitlines(): U+0085 is data

    def scalar(self, sql: str, flush: bool = True) -> Any:
        rows = self.query(sql, flush)
        return next(iter(rows[0].values()))

    def get_json(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.admin_url + path, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


def write_config(workdir: Path, text: str | None = None, **fmt: Any) -> tuple[Path, int, int]:
    """Write a config into workdir; returns (path, grpc_port, admin_port)."""
    grpc_port, admin_port = free_port(), free_port()
    values = {"grpc_port": grpc_port, "admin_port": admin_port, "batch_size": 8192, "batch_timeout": "200ms"}
    values.update(fmt)
    body = (text or DEFAULT_CONFIG).format(**values)
    path = workdir / "tailhouse.yaml"
    path.write_text(textwrap.dedent(body))
    return path, grpc_port, admin_port


def start_service(workdir: Path, text: str | None = None, timeout: float = 90, **fmt: Any) -> RunningService:
    """Start `tailhouse run` with a config in workdir and wait for its start line."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path, grpc_port, admin_port = write_config(workdir, text, **fmt)
    return launch(workdir, config_path, grpc_port, admin_port, timeout)


def launch(workdir: Path, config_path: Path, grpc_port: int, admin_port: int, timeout: float = 90) -> RunningService:
    """Start `tailhouse run` on an existing config file and wait for its start line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tailhouse", "run", "--config", str(config_path)],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    svc = RunningService(workdir, config_path, grpc_port, admin_port, proc)
    threading.Thread(target=_drain, args=(proc.stderr, svc.stderr_lines), daemon=True).start()
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("tailhouse started"):
            threading.Thread(target=_drain, args=(proc.stdout, []), daemon=True).start()
            return svc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    proc.wait()
    raise RuntimeError("tailhouse did not start:\n" + "".join(svc.stderr_lines[-40:]))


def _drain(stream: Any, sink: list[str]) -> None:
    for line in iter(stream.readline, ""):
        sink.append(line)
