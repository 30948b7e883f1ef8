"""`tailhouse sql` while the service holds the embedded store and when nothing runs; clean shutdown."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lsvc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub

from harness import start


def _sql(config: Path, query: str, fmt: str = "JSONEachRow") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tailhouse", "sql", "--config", str(config), "--format", fmt, query],
                          capture_output=True, text=True, timeout=120)


def _send_log(endpoint: str, service_name: str, body: str) -> None:
    req = lsvc.ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = service_name
    rl.scope_logs.add().log_records.add(time_unix_nano=time.time_ns()).body.string_value = body
    with grpc.insecure_channel(endpoint) as ch:
        LogsServiceStub(ch).Export(req, timeout=30)


def test_sql_while_running_and_after_stop(tmp_path: Path) -> None:
    svc = start(tmp_path, "default", mode="subprocess")
    name = f"cli-{uuid.uuid4().hex[:8]}"
    try:
        _send_log(svc.grpc_endpoint, name, "hello from the cli test")
        assert svc.flush()  # acknowledged from the write-ahead log; written to ClickHouse once flushed
        q = f"SELECT body, service_name FROM events WHERE service_name = '{name}'"
        running = _sql(svc.config_path, q)
        assert running.returncode == 0, running.stderr
        assert json.loads(running.stdout) == {"body": "hello from the cli test", "service_name": name}
        table = _sql(svc.config_path, q, "table")
        assert "hello from the cli test" in table.stdout and "service_name" in table.stdout
        tsv = _sql(svc.config_path, q, "TSV")
        assert tsv.stdout.splitlines() == [f"hello from the cli test\t{name}"]  # TSV: TabSeparated, no names
        bad = _sql(svc.config_path, "SELECT nope FROM events")
        assert bad.returncode == 1 and "nope" in bad.stderr
    finally:
        assert svc.stop() == 0  # SIGTERM: flush and exit 0
    assert (tmp_path / "data" / "clickhouse").is_dir()
    stopped = _sql(svc.config_path, f"SELECT count() AS n FROM events WHERE service_name = '{name}'")
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout) == {"n": "1"} or json.loads(stopped.stdout) == {"n": 1}


def test_sigint_flushes_pending_batch(tmp_path: Path) -> None:
    # A long batch timeout keeps the data pending; the client call is still waiting for its ack.
    svc = start(tmp_path, "default", mode="subprocess", batch_timeout="60s")
    name = f"sigint-{uuid.uuid4().hex[:8]}"
    import threading

    errors: list[BaseException] = []

    def send() -> None:
        try:
            _send_log(svc.grpc_endpoint, name, "pending")
        except BaseException as exc:  # recorded: the client must get its ack, not an error
            errors.append(exc)

    t = threading.Thread(target=send)
    t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, stats = svc.get_json("/stats")
        if stats["signals"]["logs"]["pending_items"] or stats["signals"]["logs"]["requests"]:
            break
        time.sleep(0.05)
    assert svc.kill(signal.SIGINT, timeout=60) == 0
    t.join(30)
    assert not errors, f"the in-flight export failed during shutdown: {errors}"
    out = _sql(svc.config_path, f"SELECT count() AS n FROM events WHERE service_name = '{name}'")
    assert int(json.loads(out.stdout)["n"]) == 1, out.stderr
