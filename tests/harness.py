"""The test harness: a Tailhouse service started from a config file under testdata/configs/, and HTTP helpers.

A `RunningService` runs in one of two modes:

- `thread`: the `Service` runs in the pytest process, on its own event loop in a background
  thread, so tests can use blocking clients (the OTel SDK exporters, urllib, grpc) without
  deadlocking it. The test reaches the service object (`service`, `config`), runs coroutines on
  its loop (`call`) and reads the store with the exporter's own client (`store_rows`).
- `subprocess`: a real `python -m tailhouse run` process, as users run it, for what only a process
  shows: SIGKILL, SIGTERM/SIGINT, a restart on the same ports and data (`kill`, `restart`), and
  its log output (`stderr_lines`).

Both modes answer the same questions the same way: `endpoint(protocol)` (the addresses the service
reports: `otlp/grpc`, `otlp/http`, `tail/http`, `tail/grpc`, `http` for admin), and
`query`/`query_raw`/`scalar`/`get_json`/`flush` through the admin endpoint.

Config files are YAML with named placeholders, `${name}` or `${name:-default}` (the service's own
`${env:NAME}` references are left alone). A multi-line value put where a placeholder stands alone
on its line is indented to the placeholder's column, so a test can pass a YAML block as written.
Placeholders named `*_port` need no value: in thread mode they are 0 (the OS picks a free port),
in subprocess mode and in `write_config` each gets a port that is free now and stays the same
across a restart. Data lives under the test's own directory (`chdb://./data/...` is relative to
it), so tests run in parallel safely (`pytest -n 2`).
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable, Coroutine, Literal, TypeVar

T = TypeVar("T")
Mode = Literal["thread", "subprocess"]

CONFIGS = Path(__file__).parent / "testdata" / "configs"

# `${name}` or `${name:-default}`; `${env:NAME}` (the service's environment references) does not match.
_PLACEHOLDER = re.compile(r"\$\{(?P<name>[a-z_][a-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def placeholders(config: str) -> set[str]:
    """Names of the placeholders in config file `config` (a file name under testdata/configs/, without .yaml)."""
    return {m["name"] for m in _PLACEHOLDER.finditer(_template(config))}


def config_text(config: str, **values: Any) -> str:
    """Config file `config` with its placeholders filled; `*_port` placeholders without a value are 0."""
    return _fill(config, {**{p: 0 for p in placeholders(config) if p.endswith("_port")}, **values})


def write_config(path: Path, config: str, **values: Any) -> Path:
    """Write config `config` to `path` (a directory gets `tailhouse.yaml`); `*_port` values default to free ports."""
    if path.is_dir():
        path = path / "tailhouse.yaml"
    ports = {p: free_port() for p in placeholders(config) if p.endswith("_port") and p not in values}
    path.write_text(_fill(config, {**ports, **values}))
    return path


def _template(config: str) -> str:
    path = CONFIGS / f"{config}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no config {config!r}: {path} does not exist")
    return path.read_text()


def _fill(config: str, values: dict[str, Any]) -> str:
    text = _template(config)
    unknown = set(values) - {m["name"] for m in _PLACEHOLDER.finditer(text)}
    if unknown:
        raise TypeError(f"config {config!r} has no placeholder {', '.join(sorted(unknown))}")

    def value(m: re.Match[str]) -> str:
        name = m["name"]
        if name in values:
            filled = str(values[name])
        elif m["default"] is not None:
            filled = m["default"]
        else:
            raise KeyError(f"config {config!r}: no value for ${{{name}}}")
        line_start = text.rfind("\n", 0, m.start()) + 1
        indent = text[line_start:m.start()]
        if "\n" in filled and not indent.strip():
            filled = filled.rstrip("\n").replace("\n", "\n" + indent)
        return filled

    return _PLACEHOLDER.sub(value, text)


class RunningService:
    """A started Tailhouse service (see the module docstring for the two modes); use `start()`."""

    def __init__(self, mode: Mode, workdir: Path, config: str, values: dict[str, Any]) -> None:
        self.mode: Mode = mode
        self.workdir = workdir
        self.config_name = config
        self._values = values
        self._endpoints: dict[str, str] = {}
        # thread mode
        self.service: Any = None
        self.config: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # subprocess mode
        self.config_path: Path | None = None
        self.proc: subprocess.Popen[str] | None = None
        self.stderr_lines: list[str] = []
        self.started_line = ""
        self._args: tuple[str, ...] = ()

    # -- endpoints ----------------------------------------------------------------------------

    def endpoint(self, protocol: str) -> str:
        """Address of the first endpoint of `protocol`: otlp/grpc, otlp/http, tail/http, tail/grpc, http (admin)."""
        if self.mode == "thread":
            return str(self.service.endpoint(protocol))
        try:
            return self._endpoints[protocol]
        except KeyError:
            raise KeyError(f"no {protocol} endpoint in the start line: {self.started_line}") from None

    @property
    def grpc_endpoint(self) -> str:
        """host:port of the OTLP/gRPC receiver."""
        return self.endpoint("otlp/grpc")

    @property
    def tail_url(self) -> str:
        """URL Workers tail events are POSTed to (…/v1/tail)."""
        return self.endpoint("tail/http")

    @property
    def tail_grpc_endpoint(self) -> str:
        """host:port of the tail receiver's gRPC TailService."""
        return self.endpoint("tail/grpc")

    @property
    def admin_url(self) -> str:
        """Base URL of the admin endpoint."""
        return self.endpoint("http")

    @property
    def admin_port(self) -> int:
        return self.port("http")

    def port(self, protocol: str) -> int:
        """The port of `endpoint(protocol)`."""
        return int(self.endpoint(protocol).rsplit(":", 1)[1].split("/", 1)[0])

    # -- through the admin endpoint -------------------------------------------------------------

    def flush(self, timeout: float = 60) -> bool:
        """Have everything acknowledged so far written to ClickHouse; True once it is.

        In thread mode this calls the service directly (it works whatever the admin endpoint's
        auth and TLS); in subprocess mode it is POST /flush.
        """
        if self.mode == "thread":
            return bool(self.call(self.service.flush(timeout), timeout + 30))
        status, _, body = http_request(f"{self.admin_url}/flush?timeout={timeout}", b"", method="POST",
                                       timeout=timeout + 30)
        if status == 504:
            return False
        if status != 200:
            raise RuntimeError(f"POST /flush answered {status}: {body.decode(errors='replace')}")
        return bool(json.loads(body)["flushed"])

    def query_raw(self, sql: str, fmt: str = "JSONEachRow", write: bool = False, flush: bool = True) -> str:
        """Run SQL through the admin endpoint; raises RuntimeError with ClickHouse's message.

        `write` asks for a write (the config needs `telemetry.admin.allow_writes: true`). Clients
        are acknowledged once their data is in the write-ahead log, before it is in ClickHouse:
        with `flush`, everything acknowledged so far is written first.
        """
        if flush:
            self.flush()
        params = {"format": fmt, **({"write": "1"} if write else {})}
        status, _, body = http_request(f"{self.admin_url}/query?" + urllib.parse.urlencode(params), sql.encode(),
                                       method="POST", timeout=120)
        if status != 200:
            raise RuntimeError(body.decode(errors="replace"))
        return body.decode()

    def query(self, sql: str, flush: bool = True) -> list[dict[str, Any]]:
        """Rows of a SELECT as dicts, through the admin endpoint (after a flush, see `query_raw`)."""
        out = self.query_raw(sql, "JSONEachRow", flush=flush)
        return [json.loads(line) for line in out.split("\n") if line.strip()]  # not splitlines(): U+0085 is data

    def scalar(self, sql: str, flush: bool = True) -> Any:
        """The first value of the first row of `query`."""
        rows = self.query(sql, flush)
        return next(iter(rows[0].values()))

    def get_json(self, path: str) -> tuple[int, Any]:
        """(status, JSON answer) of GET `path` on the admin endpoint."""
        return get_json(self.admin_url + path)

    # -- thread mode ----------------------------------------------------------------------------

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        """Run a coroutine on the service's loop and wait for its result (thread mode)."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("call() needs a running service in thread mode" if self.mode == "thread" else
                               f"call() needs a service in thread mode, this one runs as a {self.mode}")
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return fut.result(timeout)

    def store_rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Rows of `sql` read with the exporter's own client, not through the admin endpoint (thread mode).

        Everything acknowledged so far is written first. `params` bind `{name:Type}` slots.
        """
        return list(self._store_query(sql, params).result_rows)

    def store_dicts(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """`store_rows` as dicts by column name."""
        result = self._store_query(sql, params)
        return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]

    def _store_query(self, sql: str, params: dict[str, Any]) -> Any:
        exporter = self.service.query_exporter() if self.service is not None else None
        if exporter is None:
            raise RuntimeError("store queries need a service in thread mode with a clickhouse exporter")

        async def run() -> Any:
            await self.service.flush(60)  # acknowledged means in the log; written to ClickHouse by now
            return await asyncio.to_thread(lambda: exporter.query_client().query(sql, parameters=params or None))

        return self.call(run())

    def _start_thread(self) -> None:
        from tailhouse.collector.config import parse_config
        from tailhouse.collector.service import Service

        self.config = parse_config(config_text(self.config_name, **self._values), self.workdir)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tailhouse-test-loop", daemon=True)
        self._thread.start()
        self.service = Service(self.config)
        try:
            self.call(self.service.start())
        except BaseException:
            self._close_loop()
            raise

    def _close_loop(self) -> None:
        assert self._loop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    # -- subprocess mode ------------------------------------------------------------------------

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30) -> int:
        """Send `sig` to the process and wait for it to exit; returns the exit code (subprocess mode)."""
        proc = self._process()
        proc.send_signal(sig)
        return proc.wait(timeout)

    def restart(self, timeout: float = 90) -> RunningService:
        """Start the process again on the same config, ports and data, after it stopped (subprocess mode)."""
        if self._process().poll() is None:
            raise RuntimeError("restart() needs the process stopped first (stop() or kill())")
        self._launch(timeout)
        return self

    def _process(self) -> subprocess.Popen[str]:
        if self.proc is None:
            raise RuntimeError(f"this needs a service in subprocess mode, this one runs as a {self.mode}")
        return self.proc

    def _start_subprocess(self, args: tuple[str, ...], timeout: float) -> None:
        self.config_path = write_config(self.workdir / "tailhouse.yaml", self.config_name, **self._values)
        self._args = args
        self._launch(timeout)

    def _launch(self, timeout: float) -> None:
        """Start `tailhouse run` on config_path and wait for its start line."""
        self.stderr_lines = []
        proc = subprocess.Popen(
            [sys.executable, "-m", "tailhouse", "run", "--config", str(self.config_path), *self._args],
            cwd=self.workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.proc = proc
        threading.Thread(target=_drain, args=(proc.stderr, self.stderr_lines), daemon=True).start()
        deadline = time.monotonic() + timeout
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("tailhouse started:"):
                self.started_line = line.rstrip("\n")
                self._endpoints = _endpoints_of(self.started_line)
                threading.Thread(target=_drain, args=(proc.stdout, []), daemon=True).start()
                return
            if not line and proc.poll() is not None:
                break
        proc.kill()
        proc.wait()
        raise RuntimeError("tailhouse did not start:\n" + "".join(self.stderr_lines[-40:]))

    # -- both -----------------------------------------------------------------------------------

    def stop(self, timeout: float = 60) -> int:
        """Stop the service (SIGTERM in subprocess mode) and wait; returns the exit code (0 in thread mode).

        Stopping a stopped service returns at once.
        """
        if self.mode == "thread":
            if self._loop is not None:
                try:
                    self.call(self.service.stop(), timeout)
                finally:
                    self._close_loop()
            return 0
        proc = self._process()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise


def start(workdir: Path, config: str, *, mode: Mode, args: tuple[str, ...] = (), timeout: float = 90,
          **values: Any) -> RunningService:
    """Start a service on config file `config` with `values` for its placeholders, storing under `workdir`.

    `args` are extra `tailhouse run` arguments (subprocess mode).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    svc = RunningService(mode, workdir, config, values)
    if mode == "thread":
        if args:
            raise ValueError("args are `tailhouse run` arguments: subprocess mode only")
        svc._start_thread()
    elif mode == "subprocess":
        svc._start_subprocess(args, timeout)
    else:
        raise ValueError(f"mode must be 'thread' or 'subprocess', not {mode!r}")
    return svc


def _endpoints_of(started: str) -> dict[str, str]:
    """{protocol: address} from the start line ("tailhouse started: <component> <protocol> <address>, ...").

    The first endpoint per protocol wins, as `Service.endpoint` does.
    """
    found: dict[str, str] = {}
    for m in re.finditer(r"(?:: |, )\S+ (?P<protocol>\S+) (?P<address>[^\s,]+)(?=, |$)", started):
        found.setdefault(m["protocol"], m["address"])
    return found


def _drain(stream: Any, sink: list[str]) -> None:
    for line in iter(stream.readline, ""):
        sink.append(line)


# -- HTTP helpers ---------------------------------------------------------------------------------

def http_request(url: str, body: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None,
                 context: Any = None, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one HTTP request; HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def get_json(url: str) -> tuple[int, Any]:
    """(status, JSON answer) of GET `url`."""
    status, _, body = http_request(url)
    return status, json.loads(body)


def post_json(url: str, body: bytes | str | Any, *, token: str | None = None,
              content_type: str | None = "application/json", gzipped: bool = False,
              headers: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, dict[str, Any], dict[str, str]]:
    """POST a JSON document (or the bytes/str given) with exactly these headers; (status, JSON answer, headers)."""
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
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", parts.path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}"), dict(resp.getheaders())
    finally:
        conn.close()


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll `check` until it is true; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)
