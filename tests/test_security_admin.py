"""Attacks on the admin endpoint and `tailhouse sql`, each against a running service.

Each attack is answered with the documented refusal, and the rows in `events` (counted with the
exporter's own client, not through the admin endpoint) are the same before and after.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from harness import RunningService, free_port, http_request, wait_until, write_config
from security_support import TOKEN, admin_request, count_rows, error_of, hardened_service, port_of, span_request

SERVICE = "admin-attack-seed"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    service = hardened_service(tmp_path_factory.mktemp("admin-attacks"))
    try:
        for i in range(3):
            status, _, _ = http_request(service.endpoint("otlp/http") + "/v1/traces", span_request(SERVICE, trace_byte=i + 1),
                                        {"Content-Type": "application/x-protobuf"})
            assert status == 200
        wait_until(lambda: count_rows(service) == 3, 30, "the seed spans to be stored")
        yield service
    finally:
        service.stop()


def _query(svc: RunningService, sql: str, **kw: object) -> tuple[int, bytes]:
    path = "/query?format=TSV" + ("&write=1" if kw.pop("write", False) else "")
    status, _, body = admin_request(svc, path, sql.encode(), **kw)  # type: ignore[arg-type]
    return status, body


def _tables(svc: RunningService) -> set[str]:
    return {r[0] for r in svc.store_rows("SELECT name FROM system.tables WHERE database = 'tailhouse'")}


def test_reads_work_with_the_token(svc: RunningService) -> None:
    status, body = _query(svc, "SELECT count() FROM events")
    assert (status, body) == (200, b"3\n")  # TSV: TabSeparated, no header (as ClickHouse)


@pytest.mark.parametrize("sql, status, says", [
    ("SELECT * FROM file('/etc/passwd', 'LineAsString')", 403, "table function file() is refused"),
    ("SELECT * FROM `file`('/etc/passwd', 'LineAsString')", 403, "table function file() is refused"),
    # A comment marker inside a quoted identifier must not hide the code after it from the check.
    ("SELECT 1 AS \"#\", * FROM file('/etc/hostname', 'LineAsString')", 403, "table function file() is refused"),
    ("SELECT 1 AS `--`, * FROM url('http://127.0.0.1:{port}/', 'LineAsString')", 403, "table function url() is refused"),
    ("SELECT 1 AS \"/*\", * FROM file('/etc/hostname', 'LineAsString')", 403, "table function file() is refused"),
    ("INSERT INTO FUNCTION file('{tmp}/written.tsv', 'TSV') SELECT 1", 403, "table function file() is refused"),
    ("SELECT 1 INTO OUTFILE '{tmp}/outfile.tsv'", 403, "INTO OUTFILE is refused"),
    ("SELECT * FROM url('http://127.0.0.1:{port}/', 'LineAsString')", 403, "table function url() is refused"),
    ("SELECT * FROM s3('http://127.0.0.1:{port}/b/k.csv', 'CSV')", 403, "table function s3() is refused"),
    ("SELECT * FROM remote('127.0.0.1:{port}', system.one)", 403, "table function remote() is refused"),
    ("INSERT INTO events (event_id, event_type, service_name) VALUES ('forged', 'span', 'forged')", 400,
     "readonly mode"),
    ("CREATE TABLE tailhouse.planted (a UInt8) ENGINE = Memory", 400, "readonly mode"),
    ("DROP TABLE events", 400, "readonly mode"),
    ("SELECT 1 SETTINGS readonly = 0", 400, "readonly"),
    ("KILL QUERY WHERE 1 SYNC", 403, "KILL is refused"),
])
def test_sql_that_reaches_outside_or_writes_is_refused(svc: RunningService, tmp_path: Path, sql: str, status: int,
                                                       says: str) -> None:
    with socket.socket() as listener:  # url()/s3()/remote() would connect here
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.5)
        before, tables = count_rows(svc), _tables(svc)
        got, body = _query(svc, sql.format(tmp=tmp_path, port=listener.getsockname()[1]))
        assert got == status, body
        assert says in error_of(body)
        with pytest.raises(socket.timeout):
            listener.accept()  # nothing reached out
    assert count_rows(svc) == before and _tables(svc) == tables
    assert not list(tmp_path.iterdir()), "no file was written"


def test_writes_need_allow_writes(svc: RunningService) -> None:
    before = count_rows(svc)
    status, body = _query(svc, "INSERT INTO events (event_id) VALUES ('forged')", write=True)
    assert status == 403 and "allow_writes" in error_of(body)
    assert count_rows(svc) == before


@pytest.mark.parametrize("path, method", [("/query", "POST"), ("/stats", "GET"), ("/metrics", "GET"),
                                          ("/flush", "POST"), ("/deadletter/replay", "POST"), ("/tail", "GET")])
@pytest.mark.parametrize("token", [None, "wrong"])
def test_every_path_but_health_needs_the_token(svc: RunningService, path: str, method: str, token: str | None) -> None:
    before = count_rows(svc)
    body = b"INSERT INTO events (event_id) VALUES ('forged')" if path == "/query" else None
    status, headers, answer = admin_request(svc, path, body, token=token, method=method)
    assert status == 401 and headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert error_of(answer) in ("missing Authorization header (expected `Bearer <token>`)", "invalid bearer token")
    assert count_rows(svc) == before
    assert admin_request(svc, "/health", token=None)[0] == 200


def test_browser_post_from_another_origin_is_refused(svc: RunningService) -> None:
    """A page in a browser on this host can send a text/plain POST; its Origin gives it away."""
    before = count_rows(svc)
    status, _, body = admin_request(svc, "/query", b"SELECT count() FROM events",
                                    headers={"Origin": "http://evil.example", "Content-Type": "text/plain"})
    assert status == 403 and "Origin 'http://evil.example' is not allowed" in error_of(body)
    assert count_rows(svc) == before


@pytest.mark.parametrize("host, allowed", [("evil.example", False), (f"evil.example:{13133}", False),
                                           ("localhost", True), ("127.0.0.1", True), ("[::1]:80", True)])
def test_dns_rebinding_host_is_refused(svc: RunningService, host: str, allowed: bool) -> None:
    status, _, body = admin_request(svc, "/query?format=TSV", b"SELECT count() FROM events", headers={"Host": host})
    assert status == (200 if allowed else 403), body
    if not allowed:
        assert "is not allowed" in error_of(body)
    # /health carries no data: probes may call it by any name.
    assert admin_request(svc, "/health", token=None, headers={"Host": host})[0] == 200


def test_dead_letter_replay_stays_in_its_directory(svc: RunningService, tmp_path: Path) -> None:
    """Planted dead letters: a path-traversal id and an unknown kind are skipped; nothing outside is deleted."""
    directory = svc.config.dead_letter_dir("clickhouse", svc.config.exporters["clickhouse"])
    directory.mkdir(parents=True, exist_ok=True)
    victim = directory.parent / "victim"
    (victim.with_suffix(".json")).write_text("{}")
    victim.with_suffix(".bin").write_bytes(b"")
    letter = {"kind": "otlp_traces", "items": 0, "nbytes": 0, "error": "x", "created": 1.0}
    (directory / "traversal.json").write_text(json.dumps({**letter, "id": "../victim"}))
    (directory / "strange.json").write_text(json.dumps({**letter, "id": "strange", "kind": "no_such_kind"}))
    (directory / "strange.bin").write_bytes(b"")
    before = count_rows(svc)
    status, _, body = admin_request(svc, "/deadletter/replay", b"{}", headers={"Content-Type": "application/json"})
    assert status == 200, body
    results = {r["id"]: r for r in json.loads(body)["results"]}
    assert set(results) == {"strange"}
    assert not results["strange"]["stored"] and "unknown kind 'no_such_kind'" in results["strange"]["error"]
    assert victim.with_suffix(".json").exists() and victim.with_suffix(".bin").exists()
    assert count_rows(svc) == before


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tailhouse", "sql", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120, env={**os.environ})


def _cli_config(path: Path, admin_port: int, store: Path, admin_extra: str, database: str = "tailhouse") -> Path:
    return write_config(path, "sql_cli", admin_port=admin_port, store=store, admin_extra=admin_extra, database=database)


def test_tailhouse_sql_sends_the_configured_token(svc: RunningService, tmp_path: Path) -> None:
    port = port_of(svc.admin_url)
    store = tmp_path / "unused-store"
    ok = _cli(_cli_config(tmp_path / "ok.yaml", port, store, f"auth: {{bearer_token: {TOKEN}}}"),
              "--format", "TSV", "SELECT count() FROM events")
    assert (ok.returncode, ok.stdout) == (0, "3\n"), ok.stderr
    wrong = _cli(_cli_config(tmp_path / "wrong.yaml", port, store, "auth: {bearer_token: nope}"), "SELECT 1")
    assert wrong.returncode == 1 and "invalid bearer token" in wrong.stderr
    write = _cli(_cli_config(tmp_path / "w.yaml", port, store, f"auth: {{bearer_token: {TOKEN}}}"), "--write",
                 "DROP TABLE events")
    assert write.returncode == 1 and "allow_writes" in write.stderr
    assert "events" in _tables(svc) and count_rows(svc) == 3


def test_tailhouse_sql_on_a_store_no_service_holds_is_read_only(tmp_path: Path) -> None:
    """Without a running service the CLI opens the store itself: the same read-only default applies."""
    store = tmp_path / "store"
    closed_port = port_of(f"x:{free_port()}")
    writable = _cli_config(tmp_path / "writable.yaml", closed_port, store, "allow_writes: true", "default")
    readonly = _cli_config(tmp_path / "readonly.yaml", closed_port, store, "", "default")
    made = _cli(writable, "--write", "CREATE TABLE default.t (a UInt8) ENGINE = MergeTree ORDER BY a")
    assert made.returncode == 0, made.stderr
    for config in (writable, readonly):
        refused = _cli(config, "INSERT INTO default.t VALUES (1)")
        assert refused.returncode == 1 and "readonly mode" in refused.stderr
        outside = _cli(config, "SELECT * FROM file('/etc/passwd', 'LineAsString')")
        assert outside.returncode == 1 and "file() is refused" in outside.stderr
    denied = _cli(readonly, "--write", "INSERT INTO default.t VALUES (1)")
    assert denied.returncode == 1 and "allow_writes" in denied.stderr
    assert _cli(readonly, "--format", "TSV", "SELECT count() FROM default.t").stdout == "0\n"

