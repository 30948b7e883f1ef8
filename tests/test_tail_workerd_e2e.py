"""End to end with the real Workers runtime: producer Worker → reference tail worker → Tailhouse → `events`.

workerd (from npm, pinned in workerd_runtime.py) runs three Workers:
* `producer`: fetch (several console logs and a JSON log line with a correlation id), an uncaught
  exception, a Durable Object whose alarm fires, and scheduled, queue and RPC handlers; its tail
  consumer is the reference tail worker from examples/cloudflare-tail-worker;
* `driver`: fires scheduled, queue and RPC invocations at the producer through a service binding
  (compat flag `service_binding_extra_handlers`, `workerd serve --experimental`);
* `tail`: the reference tail worker, whose fetches reach Tailhouse through a network service that
  allows "local" addresses.
A second test checks the tail worker's retry and give-up behaviour against a stub endpoint.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from tail_support import TOKEN, tail_service
from workerd_runtime import COMPATIBILITY_DATE, NpmUnreachable, install_workerd, run_workerd

ROOT = Path(__file__).resolve().parents[1]
TAIL_WORKER = ROOT / "examples" / "cloudflare-tail-worker" / "src" / "index.js"
FIXTURES = Path(__file__).parent / "workerd"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
DEFAULT_SERVICE = "anonymous-worker"  # tail.yaml's default_service_name: workerd sends scriptName null


@pytest.fixture(scope="module")
def workerd_binary() -> Path:
    try:
        return install_workerd()
    except NpmUnreachable as exc:
        pytest.skip(f"workerd end-to-end test skipped: {exc}")


def _text(name: str, value: str) -> str:
    return f'(name = "{name}", text = {json.dumps(value)})'


def write_config(directory: Path, tails: dict[str, dict[str, str]], producers: dict[str, str]) -> Path:
    """A workerd config: producers (name → tail service), tail workers (name → vars), driver, network."""
    shutil.copy(TAIL_WORKER, directory / "tail-worker.js")
    for js in ("producer.js", "driver.js"):
        shutil.copy(FIXTURES / js, directory / js)
    services = [f'(name = "{p}", worker = .{p})' for p in producers]
    services += [f'(name = "{t}", worker = .{t})' for t in tails]
    services += ['(name = "driver", worker = .driver)', '(name = "loopback", network = (allow = ["local"]))']
    sockets = [f'(name = "{p}", address = "127.0.0.1:0", http = (), service = "{p}")' for p in producers]
    sockets.append('(name = "driver", address = "127.0.0.1:0", http = (), service = "driver")')
    workers = []
    for name, tail in producers.items():
        workers.append(f"""const {name} :Workerd.Worker = (
  modules = [(name = "producer.js", esModule = embed "producer.js")],
  compatibilityDate = "{COMPATIBILITY_DATE}",
  durableObjectNamespaces = [(className = "Counter", uniqueKey = "tailhouse-e2e-{name}")],
  durableObjectStorage = (inMemory = void),
  bindings = [(name = "COUNTER", durableObjectNamespace = (className = "Counter"))],
  tails = ["{tail}"],
);""")
    for name, env in tails.items():
        workers.append(f"""const {name} :Workerd.Worker = (
  modules = [(name = "index.js", esModule = embed "tail-worker.js")],
  compatibilityDate = "{COMPATIBILITY_DATE}",
  globalOutbound = "loopback",
  bindings = [{", ".join(_text(k, v) for k, v in env.items())}],
);""")
    first = next(iter(producers))
    workers.append(f"""const driver :Workerd.Worker = (
  modules = [(name = "driver.js", esModule = embed "driver.js")],
  compatibilityDate = "{COMPATIBILITY_DATE}",
  compatibilityFlags = ["service_binding_extra_handlers"],
  bindings = [(name = "PRODUCER", service = "{first}")],
);""")
    config = directory / "config.capnp"
    config.write_text(f"""using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [{", ".join(services)}],
  sockets = [{", ".join(sockets)}],
);
""" + "\n".join(workers) + "\n")
    return config


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for(check: Any, timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"timed out waiting for {what}"
            return value
        time.sleep(0.3)


# -- the whole path into ClickHouse ------------------------------------------------------------------

@pytest.fixture(scope="module")
def stored(workerd_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run every kind of invocation through workerd into Tailhouse; yield the stored rows by kind."""
    svc = tail_service(tmp_path_factory.mktemp("e2e-store"))
    try:
        work = tmp_path_factory.mktemp("e2e-workerd")
        config = write_config(work, {"tail": {"TAILHOUSE_URL": svc.tail_url, "TAILHOUSE_TOKEN": TOKEN,
                                              "BASE_DELAY_MS": "100"}}, {"producer": "tail"})
        with run_workerd(workerd_binary, config, ["producer", "driver"]) as wd:
            started = time.monotonic()
            hello = get(wd.url("producer", "/hello?token=abc&page=2"),
                        {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01", "cookie": "sid=1"})
            assert hello == (201, "hello"), wd.output()
            assert get(wd.url("producer", "/throw"))[0] == 500
            assert get(wd.url("producer", "/do")) == (200, "scheduled")
            assert get(wd.url("driver", "/scheduled"))[0] == 200, wd.output()
            assert get(wd.url("driver", "/queue"))[0] == 200, wd.output()
            assert get(wd.url("driver", "/rpc")) == (200, '{"sum":5}'), wd.output()
            # 8 invocations: /hello, /throw, /do, the DO's fetch, its alarm, scheduled, queue, rpc
            wait_for(lambda: svc.store_dicts("SELECT count() AS n FROM events WHERE event_type = 'tail'")[0]["n"] >= 8,
                     what=f"8 tail rows; workerd said:\n{wd.output()}")
            elapsed = time.monotonic() - started
        rows = svc.store_dicts("SELECT * FROM events ORDER BY timestamp, event_type DESC")
        tails = {}
        for r in rows:
            if r["event_type"] == "tail":
                key = r["http_path"] if r["event_name"] == "fetch" else r["event_name"]
                tails[key] = r
        by_trace: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_trace.setdefault(r["trace_id"], []).append(r)
        views = {v: svc.store_dicts(f"SELECT * FROM {v}") for v in
                 ("worker_logs", "worker_errors", "worker_requests", "worker_endpoint_hourly", "error_patterns")}
        yield {"rows": rows, "tails": tails, "by_trace": by_trace, "views": views, "seconds": elapsed}
    finally:
        svc.stop()


def logs_of(stored: dict[str, Any], tail: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in stored["by_trace"][tail["trace_id"]] if r["event_type"] == "log"]


def test_every_invocation_kind_arrives(stored: dict[str, Any]) -> None:
    assert set(stored["tails"]) == {"/hello", "/throw", "/do", "/alarm", "alarm", "scheduled", "queue", "rpc"}
    assert all(r["service_name"] == DEFAULT_SERVICE and r["source"] == "tail" for r in stored["rows"])


def test_fetch_with_console_logs_and_a_json_log_line(stored: dict[str, Any]) -> None:
    tail = stored["tails"]["/hello"]
    assert tail["trace_id"] == TRACE_ID and tail["parent_span_id"] == "00f067aa0ba902b7" and tail["trace_flags"] == 1
    assert (tail["http_method"], tail["http_path"], tail["http_status_code"]) == ("GET", "/hello", 201)
    assert tail["http_url"].endswith("/hello?token=REDACTED&page=2")
    assert tail["attributes"]["http.request.header.cookie"] == "REDACTED"
    assert tail["attributes"]["cloudflare.execution_model"] == "stateless"
    assert tail["outcome"] == "ok" and tail["importance"] == 1  # it logged an error
    assert tail["correlation_id"] == "corr-123"
    logs = logs_of(stored, tail)
    assert [(r["event_name"], r["body"]) for r in logs] == [
        ("console.log", 'handling /hello {"user":"u1","n":3}'),
        ("console.info", "answer 42"),
        ("console.warn", "slow upstream"),
        ("console.error", "upstream failed Error: upstream 503"),
        ("console.log", "order placed"),
    ]
    assert [r["severity_text"] for r in logs] == ["INFO", "INFO", "WARN", "ERROR", "INFO"]
    error, structured = logs[3], logs[4]
    assert (error["exception_type"], error["exception_message"]) == ("Error", "upstream 503")
    assert "producer.js" in error["exception_stacktrace"]
    assert structured["correlation_id"] == "corr-123"
    assert structured["attributes"]["order_id"] == "7" and structured["attribute_types"]["order_id"] == "int"
    assert {r["span_id"] for r in logs} == {tail["span_id"]}


def test_uncaught_exception(stored: dict[str, Any]) -> None:
    tail = stored["tails"]["/throw"]
    assert (tail["outcome"], tail["importance"], tail["status_code"]) == ("exception", 0, "Error")
    logs = logs_of(stored, tail)
    assert [(r["event_name"], r["body"]) for r in logs] == [
        ("console.log", "about to fail"), ("exception", "TypeError: widget 42 not found")]
    exc = logs[1]
    assert (exc["exception_type"], exc["severity_text"], exc["importance"]) == ("TypeError", "ERROR", 0)
    errors = stored["views"]["worker_errors"]
    assert {(e["kind"], e["http_path"]) for e in errors} == {("invocation", "/throw"), ("exception", "/throw")}
    patterns = {(p["exception_type"], p["exception_message"]): p["count"] for p in stored["views"]["error_patterns"]}
    assert patterns[("TypeError", "widget 42 not found")] == 1


def test_scheduled_queue_and_rpc(stored: dict[str, Any]) -> None:
    scheduled, queue, rpc = (stored["tails"][k] for k in ("scheduled", "queue", "rpc"))
    assert scheduled["attributes"]["faas.cron"] == "*/5 * * * *"
    assert [r["body"] for r in logs_of(stored, scheduled)] == ["cron ran */5 * * * *"]
    assert queue["attributes"]["messaging.destination.name"] == "orders"
    assert queue["attributes"]["messaging.batch.message_count"] == "2"
    assert [r["body"] for r in logs_of(stored, queue)] == ["queue batch orders 2"]
    assert rpc["attributes"]["rpc.method"] == "add"
    assert [r["body"] for r in logs_of(stored, rpc)] == ["rpc add 2 3"]


def test_durable_object_alarm(stored: dict[str, Any]) -> None:
    alarm = stored["tails"]["alarm"]
    assert alarm["attributes"]["cloudflare.execution_model"] == "durableObject"
    assert alarm["attributes"]["cloudflare.entrypoint"] == "Counter"
    assert alarm["service_instance_id"] == alarm["attributes"]["cloudflare.durable_object_id"] != ""
    assert alarm["attributes"]["cloudflare.scheduled_time"].endswith("Z")
    assert [r["body"] for r in logs_of(stored, alarm)] == ["alarm fired for counter"]
    do_fetch = stored["tails"]["/alarm"]
    assert do_fetch["service_instance_id"] == alarm["service_instance_id"]


def test_views_see_the_workers(stored: dict[str, Any]) -> None:
    views = stored["views"]
    assert {r["http_path"] for r in views["worker_requests"]} == {"/hello", "/throw", "/do", "/alarm"}
    hourly = {(h["event_kind"], h["http_path"]): h for h in views["worker_endpoint_hourly"]}
    assert hourly[("fetch", "/throw")]["errors"] == 1 and hourly[("fetch", "/throw")]["error_rate"] == 1
    assert hourly[("fetch", "/hello")]["requests"] == 1 and hourly[("fetch", "/hello")]["errors"] == 0
    assert {"scheduled", "queue", "rpc", "alarm"} <= {k for k, _ in hourly}
    assert len(views["worker_logs"]) == len([r for r in stored["rows"] if r["event_type"] == "log"]) == 12


# -- the reference tail worker's delivery ------------------------------------------------------------

class StubEndpoint:
    """Answers POST /flaky with 503, 429, then 200, and POST /down always with 503; records attempts."""

    def __init__(self) -> None:
        self.attempts: dict[str, list[bytes]] = {"/flaky": [], "/down": []}
        self.authorization: set[str] = set()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                attempts = stub.attempts[self.path]
                attempts.append(body)
                stub.authorization.add(self.headers.get("Authorization", ""))
                status = 503 if self.path == "/down" else [503, 429, 200][min(len(attempts) - 1, 2)]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(b'{"accepted": 1, "rejected": 0}' if status == 200 else b'{"error": "busy"}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_tail_worker_retries_then_gives_up_and_logs_the_drop(workerd_binary: Path, tmp_path: Path) -> None:
    stub = StubEndpoint()
    try:
        env = {"TAILHOUSE_TOKEN": "t0k", "BASE_DELAY_MS": "50", "MAX_DELAY_MS": "200", "MAX_ATTEMPTS": "3"}
        config = write_config(tmp_path, {"flakytail": {**env, "TAILHOUSE_URL": stub.url("/flaky")},
                                         "downtail": {**env, "TAILHOUSE_URL": stub.url("/down")}},
                              {"flaky": "flakytail", "down": "downtail"})
        with run_workerd(workerd_binary, config, ["flaky", "down", "driver"]) as wd:
            assert get(wd.url("flaky", "/hello"))[0] == 201
            assert get(wd.url("down", "/hello"))[0] == 201
            assert wd.wait_for_output("tailhouse: dropped 1 events after giving up"), wd.output()
            wait_for(lambda: len(stub.attempts["/flaky"]) >= 3, what="three delivery attempts")
            time.sleep(0.5)  # a fourth attempt would be a bug
            output = wd.output()
        assert len(stub.attempts["/flaky"]) == 3  # 503, 429, then delivered
        assert len(set(stub.attempts["/flaky"])) == 1  # the same body each time
        assert len(stub.attempts["/down"]) == 3  # MAX_ATTEMPTS, then dropped
        assert stub.authorization == {"Bearer t0k"}
        assert "HTTP 503" in output and '"(unnamed):ok":1' in output
    finally:
        stub.close()
