"""The write-ahead log inside a running service: damage found on restart is skipped, counted and reported."""

from __future__ import annotations

import urllib.request
import uuid
from pathlib import Path

import grpc
from fault_support import TRACE_METHOD, trace_request
from harness import start

from tailhouse.pipeline.wal.format import HEADER


def test_a_damaged_record_costs_only_itself_and_is_reported(tmp_path: Path) -> None:
    # writes through the admin endpoint make the outage
    svc = start(tmp_path, "default", mode="subprocess", allow_writes=True, shutdown_timeout="1s")
    name = f"damage-{uuid.uuid4().hex[:8]}"
    requests = [trace_request(name, f"{name}-{r}", 5) for r in range(3)]
    # ClickHouse "down" (the target table renamed away), so the requests stay in the log.
    svc.query_raw("RENAME TABLE events TO events_away", write=True, flush=False)
    with grpc.insecure_channel(svc.grpc_endpoint) as ch:
        export = ch.unary_unary(TRACE_METHOD, request_serializer=None, response_deserializer=None)
        for body in requests:
            export(body, timeout=30)  # acknowledged from the log although every insert fails
    assert svc.stop() == 0

    (segment,) = (tmp_path / "data" / "queue" / "clickhouse" / "otlp_traces").glob("*.wal")
    raw = bytearray(segment.read_bytes())
    second = HEADER.size + 12 + len(requests[0])  # where the second record starts
    raw[second + HEADER.size + 40] ^= 0xFF        # one byte inside its payload
    segment.write_bytes(bytes(raw))

    svc.restart()
    try:
        # The restart recreated the missing `events` table (schema repair); the old one is empty.
        svc.query_raw("DROP TABLE events_away", write=True, flush=False)
        status, health = svc.get_json("/health")
        assert status == 503 and "1 damaged record(s)" in health["reason"], health
        stored = svc.query(f"SELECT event_name FROM events WHERE service_name = '{name}' ORDER BY event_name")
        names = sorted(r["event_name"] for r in stored)
        # The records before and after the damaged one are stored; only the damaged request is missing.
        assert names == sorted([f"{name}-0-{i}" for i in range(5)] + [f"{name}-2-{i}" for i in range(5)])
        stats = svc.get_json("/stats")[1]
        assert stats["exporters"]["clickhouse"]["signals"]["traces"]["corrupt_records"] == 1
        with urllib.request.urlopen(svc.admin_url + "/metrics", timeout=30) as resp:
            metrics = resp.read().decode()
        assert 'tailhouse_exporter_corrupt_records_total{exporter="clickhouse",signal="traces"} 1.0' in metrics
    finally:
        assert svc.stop() == 0
    # The damaged segment is never deleted by the service.
    kept = list((tmp_path / "data" / "queue" / "clickhouse" / "otlp_traces").rglob(segment.name))
    assert kept, "the damaged segment must be kept"
