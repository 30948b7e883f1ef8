"""`tailhouse report …` on seeded data, through the CLI and the running service's admin endpoint."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

import pytest
from harness import RunningService, http_request, start, write_config

from tailhouse.collector.cli import main
from tailhouse.collector.reports import Table, render


@pytest.fixture(scope="module")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningService, Path]]:
    tmp = tmp_path_factory.mktemp("reports")
    svc = start(tmp, "otlp", mode="thread")
    _seed(svc)
    # The CLI finds the running service through the admin endpoint named in its config.
    path = write_config(tmp / "tailhouse.yaml", "otlp", admin_port=svc.admin_port)
    yield svc, path
    svc.stop()


def _span(service: str, name: str, route: str, ms: float, error: bool, i: int) -> dict:
    end = time.time_ns() - i * 1_000_000
    attrs = [{"key": "http.request.method", "value": {"stringValue": "GET"}},
             {"key": "url.path", "value": {"stringValue": route}}]
    return {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
            "scopeSpans": [{"spans": [{
                "traceId": f"{i + 0xabc:032x}", "spanId": f"{i + 1:016x}", "name": name, "kind": 2,
                "startTimeUnixNano": str(end - int(ms * 1e6)), "endTimeUnixNano": str(end), "attributes": attrs,
                "status": {"code": 2, "message": "db timeout"} if error else {}}]}]}


def _log(service: str, severity: int, text: str, body: str) -> dict:
    return {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
            "scopeLogs": [{"logRecords": [{"timeUnixNano": str(time.time_ns()), "severityNumber": severity,
                                           "severityText": text, "body": {"stringValue": body}}]}]}


def _seed(svc: RunningService) -> None:
    spans = [_span("api", "GET /users", "/users", 10 + i, False, i) for i in range(95)]
    spans += [_span("api", "GET /users", "/users", 900, True, 100 + i) for i in range(5)]
    spans += [_span("billing", "GET /invoice", "/invoice", 50, False, 200 + i) for i in range(10)]
    logs = [_log("api", 9, "INFO", "user 7 signed in"), _log("api", 13, "WARN", "slow query on users"),
            _log("api", 17, "ERROR", "database connection lost"), _log("billing", 21, "FATAL", "ledger corrupt")]
    for path, doc in (("/v1/traces", {"resourceSpans": spans}), ("/v1/logs", {"resourceLogs": logs})):
        status, _, body = http_request(svc.endpoint("otlp/http") + path, json.dumps(doc).encode(),
                                       {"Content-Type": "application/json"}, "POST")
        assert status == 200, body
    # Acknowledged means in the write-ahead log: have it written before the reports read it.
    assert svc.call(svc.service.flush(60))
    old = "now64(9) - INTERVAL 3 HOUR"
    svc.store_rows("INSERT INTO events (event_type, source, service_name, timestamp, importance, outcome, "
                   "exception_type, exception_message, trace_id) VALUES "
                   "('tail', 'tail', 'edge-worker', now64(9), 0, 'exceededCpu', '', '', 'feed'), "
                   f"('tail', 'tail', 'edge-worker', {old}, 0, 'exception', 'TypeError', 'old failure', 'beef')")


def _report(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> str:
    assert main(["report", *args, "--config", str(path)]) == 0
    return capsys.readouterr().out


def test_recent_level_and_search(cli_config: tuple[RunningService, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, path = cli_config
    out = _report(capsys, path, "recent", "--since", "1h")
    assert "== Recent logs ==" in out and "user 7 signed in" in out and "ledger corrupt" in out
    out = _report(capsys, path, "recent", "--level", "error")
    assert "database connection lost" in out and "ledger corrupt" in out
    assert "signed in" not in out and "slow query" not in out
    out = _report(capsys, path, "recent", "--search", "QUERY", "--service", "api")
    assert "slow query on users" in out and "signed in" not in out


def test_errors_summary_and_trend(cli_config: tuple[RunningService, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, path = cli_config
    out = _report(capsys, path, "errors", "--since", "1h")
    summary = out.split("== Error trend")[0]
    line = next(ln for ln in summary.splitlines() if "db timeout" in ln)
    assert line.split()[:3] == ["api", "span", "error"] and " 5 " in line
    assert "exceededCpu" in summary and "ledger corrupt" in summary
    assert "old failure" not in summary  # 3 hours ago: outside --since 1h
    assert "█" in out.split("== Error trend")[1]
    assert "old failure" in _report(capsys, path, "errors", "--since", "1d")


def test_performance_percentiles(cli_config: tuple[RunningService, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, path = cli_config
    data = json.loads(_report(capsys, path, "performance", "--format", "json"))
    rows = {(r["service"], r["endpoint"]): r for r in data[0]["rows"]}
    users = rows[("api", "GET /users")]
    assert users["requests"] in (100, "100")
    assert float(users["errors %"]) == 5.0
    assert 50 <= float(users["p50"]) <= 70 and float(users["p99"]) >= 800
    assert float(rows[("billing", "GET /invoice")]["p95"]) == pytest.approx(50, abs=1)
    table = _report(capsys, path, "performance", "--service", "billing")
    assert "GET /invoice" in table and "GET /users" not in table


def test_alerts_are_critical_events(cli_config: tuple[RunningService, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, path = cli_config
    out = _report(capsys, path, "alerts", "--since", "1h")
    assert "exceededCpu" in out and "edge-worker" in out
    assert "ledger corrupt" in out  # FATAL log → importance 0
    assert "old failure" not in out and "db timeout" not in out


def test_bad_since_is_a_usage_error(cli_config: tuple[RunningService, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, path = cli_config
    assert main(["report", "alerts", "--since", "soon", "--config", str(path)]) == 2
    assert "--since" in capsys.readouterr().err


def test_render_aligns_and_keeps_rows_on_one_line() -> None:
    text = render([Table("T", ["a", "bb"], [["x", "line1\nline2"], ["longer", "y" * 300]])])
    lines = text.splitlines()
    assert lines[0] == "== T =="
    assert lines[1].index("bb") == lines[3].index("line1 line2") == len("longer") + 2
    assert len(lines[4]) < 120 and lines[4].endswith("…")
