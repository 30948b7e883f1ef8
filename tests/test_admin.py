"""Admin endpoint: /health (ready or 503 with a reason), /stats, /metrics, POST /flush."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from typing import Iterator

import pytest
from clickhouse_connect.driver.exceptions import OperationalError
from harness import RunningService, get_json, http_request, start


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    s = start(tmp_path_factory.mktemp("admin"), "otlp", mode="thread")
    yield s
    s.stop()


def _trace_json(trace_hex: str, spans: int = 2) -> bytes:
    now = time.time_ns()
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": trace_hex, "spanId": f"{i + 1:016x}", "name": f"s{i}", "startTimeUnixNano": now,
         "endTimeUnixNano": now + 10} for i in range(spans)]}]}]}).encode()


def _send(svc: RunningService, trace_hex: str, spans: int = 2) -> int:
    return http_request(svc.endpoint("otlp/http") + "/v1/traces", _trace_json(trace_hex, spans),
                        {"Content-Type": "application/json"}, "POST")[0]


def test_health_stats_and_metrics_agree(svc: RunningService) -> None:
    assert get_json(svc.admin_url + "/health") == (200, {"status": "ok", "reason": ""})
    before = get_json(svc.admin_url + "/stats")[1]["signals"]["traces"]["accepted_items"]
    assert _send(svc, "c1" * 16, spans=3) == 200
    assert http_request(svc.admin_url + "/flush", b"", method="POST")[0] == 200  # acked from the log; now written
    status, stats = get_json(svc.admin_url + "/stats")
    assert status == 200 and stats["ready"] is True
    traces = stats["signals"]["traces"]
    assert traces["accepted_items"] == before + 3
    assert traces["received_items"] >= traces["accepted_items"]
    exp = stats["exporters"]["clickhouse"]
    assert exp["healthy"] is True and exp["queue_capacity_bytes"] == 1024 * 2**20  # the write-ahead log's default limit
    et = exp["signals"]["traces"]
    assert et["written_items"] == traces["written_items"] >= 3
    assert et["batches"] >= 1 and et["pending_items"] == 0 and et["dead_letter_items"] == 0
    assert et["export_latency_seconds"]["count"] >= 1

    status, headers, body = http_request(svc.admin_url + "/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert f'tailhouse_receiver_accepted_items_total{{signal="traces"}} {float(traces["accepted_items"])}' in text
    assert f'tailhouse_exporter_written_rows_total{{exporter="clickhouse",signal="traces"}} {float(et["written_items"])}' in text
    assert 'tailhouse_exporter_queue_items{exporter="clickhouse",signal="traces"} 0.0' in text
    assert 'tailhouse_exporter_latency_seconds_bucket{exporter="clickhouse",le="+Inf",signal="traces"}' in text
    assert "tailhouse_ready 1.0" in text


def test_flush(svc: RunningService) -> None:
    assert http_request(svc.admin_url + "/flush")[0] == 405
    status, _, body = http_request(svc.admin_url + "/flush", b"", method="POST")
    assert status == 200 and json.loads(body) == {"flushed": True}


def test_health_503_while_exporter_cannot_write(svc: RunningService) -> None:
    exporter = svc.service.exporters["clickhouse"]
    # A fault injected at the client: an unreachable server cannot be had with the embedded store.
    clients = list(exporter.routes[0].writer._clients)

    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused (simulated)")

    for c in clients:
        c.raw_insert = refuse  # type: ignore[method-assign]
    result: list[int] = []
    sender = threading.Thread(target=lambda: result.append(_send(svc, "c2" * 16)))
    sender.start()
    try:
        deadline = time.monotonic() + 10
        status, health = get_json(svc.admin_url + "/health")
        while status == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
            status, health = get_json(svc.admin_url + "/health")
        assert status == 503
        assert health["status"] == "unavailable"
        assert "exporter clickhouse" in health["reason"] and "simulated" in health["reason"]
        assert "tailhouse_exporter_healthy{exporter=\"clickhouse\"} 0.0" in http_request(svc.admin_url + "/metrics")[2].decode()
    finally:
        sender.join(30)
        for c in clients:
            del c.raw_insert
    # The write-ahead log holds the data: the client was acknowledged (200) although every insert
    # failed, and nothing was failed back; retries were counted.
    assert result == [200]
    stats = get_json(svc.admin_url + "/stats")[1]
    assert stats["exporters"]["clickhouse"]["signals"]["traces"]["retries"] >= 1
    assert stats["signals"]["traces"]["failed_items"] == 0
    # Once inserts work again the queued data is written and the service is ready again.
    assert _send(svc, "c3" * 16) == 200
    deadline = time.monotonic() + 15
    while get_json(svc.admin_url + "/health")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert get_json(svc.admin_url + "/health")[0] == 200


def test_health_503_and_backpressure_when_log_full(svc: RunningService) -> None:
    exporter = svc.service.exporters["clickhouse"]
    wal = exporter.log("otlp_traces")
    assert svc.call(svc.service.flush(60)), "earlier tests' data must be written first (nothing else in flight)"
    clients = list(exporter.routes[0].writer._clients)

    def refuse(*args: object, **kwargs: object) -> None:  # injected: ClickHouse down, so the log fills
        raise OperationalError("connection refused (simulated)")

    for c in clients:
        c.raw_insert = refuse  # type: ignore[method-assign]
    options = wal.options
    try:
        assert _send(svc, "c4" * 16) == 200
        wal.options = dataclasses.replace(options, max_bytes=wal.unexported_bytes())  # the log is now full
        status, health = get_json(svc.admin_url + "/health")
        assert status == 503 and "otlp_traces log full (" in health["reason"]
        status, headers, body = http_request(svc.endpoint("otlp/http") + "/v1/traces", _trace_json("c5" * 16),
                                             {"Content-Type": "application/json"}, "POST")
        assert status == 503 and int(headers["Retry-After"]) >= 1 and b"full" in body
    finally:
        wal.options = options
        for c in clients:
            del c.raw_insert
    deadline = time.monotonic() + 15
    while get_json(svc.admin_url + "/health")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert get_json(svc.admin_url + "/health")[0] == 200
    rows = svc.store_rows("SELECT count() FROM events WHERE trace_id IN ('" + "c4" * 16 + "', '" + "c5" * 16 + "')")
    assert rows == [(2,)]  # the accepted request is stored once; the refused one not at all
