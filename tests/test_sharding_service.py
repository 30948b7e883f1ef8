"""Client-mode sharding end to end: a real `tailhouse run`, one chDB, one database per shard.

Verifies trace locality (every row of a trace in one shard, the shard ClickHouse's own
`cityHash64(trace_id) % 3` names), even shard sizes, exact counts, and that one unavailable
shard does not hold up the others and catches up afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from tailhouse.collector.config import parse_config
from tailhouse.exporters.clickhouse.sharding.shard_key import shard_of_trace_bytes
import harness
from harness import RunningService, config_text
from sharding_support import (export_logs, export_spans, logs_request, post_tail, spans_request, trace_ids,
                              trace_item)

SHARDS = 3


def _start(workdir: Path) -> tuple[RunningService, str]:
    svc = harness.start(workdir, "sharding", mode="subprocess")
    return svc, svc.tail_url


def _counts(svc: RunningService, where: str = "1", shards: tuple[int, ...] = tuple(range(SHARDS)),
            flush: bool = True) -> list[int]:
    """Rows per shard; with `flush`, after everything acknowledged is written (never while a shard is down)."""
    return [int(svc.scalar(f"SELECT count() AS n FROM shard{i + 1}.events WHERE {where}", flush=flush and n == 0))
            for n, i in enumerate(shards)]


def test_shard_endpoint_names_its_database(tmp_path: Path) -> None:
    cfg = parse_config(config_text("sharding", grpc_port=1, tail_http_port=2, admin_port=3), tmp_path)
    exporter = cfg.exporters["clickhouse"]
    assert [s.endpoints[0].split("=")[1] for s in exporter.sharding.shards] == ["shard1", "shard2", "shard3"]
    assert cfg.chdb_path(exporter) == (tmp_path / "data/clickhouse").resolve()


def test_traces_stay_on_one_shard_and_shards_are_even(tmp_path: Path) -> None:
    svc, tail_url = _start(tmp_path)
    try:
        ids = trace_ids(12_000, seed=11)
        # Two spans per trace, sent in different requests, so locality holds across requests.
        for start in range(0, len(ids), 3000):
            chunk = ids[start:start + 3000]
            export_spans(svc.grpc_endpoint, spans_request("front", [(t, 2 * (start + i)) for i, t in enumerate(chunk)]))
        for start in range(0, len(ids), 3000):
            chunk = ids[start:start + 3000]
            export_spans(svc.grpc_endpoint, spans_request("back", [(t, 2 * (start + i) + 1) for i, t in enumerate(chunk)]))
        # A log per trace, and 3,000 logs with no trace id (spread by their own content).
        for start in range(0, len(ids), 4000):
            recs = [(t, start + i) for i, t in enumerate(ids[start:start + 4000])]
            export_logs(svc.grpc_endpoint, logs_request("front", recs))
        export_logs(svc.grpc_endpoint, logs_request("cron", [(b"", n) for n in range(3000)]))
        # Workers invocations: 1,000 joining existing traces via traceparent, 500 with a derived trace id.
        items = [trace_item(ids[n].hex(), n) for n in range(1000)] + [trace_item(None, 10_000 + n) for n in range(500)]
        answer = post_tail(tail_url, items)
        assert answer["accepted"] == 1500 and answer["rejected"] == 0
        tail_rows = answer["rows"]

        expected_total = 2 * len(ids) + len(ids) + 3000 + tail_rows
        counts = _counts(svc)
        assert sum(counts) == expected_total, counts
        mean = expected_total / SHARDS
        assert all(abs(c - mean) <= 0.05 * mean for c in counts), counts

        # ClickHouse itself agrees every row sits on shard cityHash64(trace_id) % 3.
        for i in range(SHARDS):
            wrong = svc.scalar(f"SELECT count() AS n FROM shard{i + 1}.events "
                               f"WHERE trace_id != '' AND cityHash64(trace_id) % {SHARDS} != {i}")
            assert int(wrong) == 0
        # Every trace wholly in one shard: no trace id appears in two shards' tables.
        spread = svc.scalar(
            "SELECT count() AS n FROM (SELECT trace_id, uniqExact(s) AS shards FROM ("
            + " UNION ALL ".join(f"SELECT trace_id, {i} AS s FROM shard{i + 1}.events WHERE trace_id != ''"
                                 for i in range(SHARDS))
            + ") GROUP BY trace_id) WHERE shards > 1")
        assert int(spread) == 0
        # Per trace: both spans, its log, and its Workers rows in one shard (sampled).
        for t in ids[:50]:
            rows = _counts(svc, f"trace_id = '{t.hex()}'")
            assert rows[shard_of_trace_bytes(t, SHARDS)] == sum(rows) >= 5
        # `tailhouse trace` reads the trace's shard and prints its rows in time order.
        t = ids[7]
        proc = subprocess.run([sys.executable, "-m", "tailhouse", "trace", "--config", str(svc.config_path),
                               "--format", "JSONEachRow", "--show-shard", t.hex()],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert f"shard {shard_of_trace_bytes(t, SHARDS) + 1} of 3" in proc.stderr
        rows = [json.loads(line) for line in proc.stdout.splitlines() if line]
        assert sorted(r["event_type"] for r in rows) == ["log", "log", "span", "span", "tail"]
        assert [r["timestamp"] for r in rows] == sorted(r["timestamp"] for r in rows)
        print(f"\nshard sizes {counts} (total {expected_total}, max deviation "
              f"{max(abs(c - mean) for c in counts) / mean:.2%} of even)")
    finally:
        assert svc.stop() == 0, "".join(svc.stderr_lines[-40:])


def test_slow_shard_does_not_hold_up_the_others_and_catches_up(tmp_path: Path) -> None:
    svc, _ = _start(tmp_path)
    try:
        ids = trace_ids(6000, seed=12)
        expected = [0] * SHARDS
        for t in ids:
            expected[shard_of_trace_bytes(t, SHARDS)] += 1
        # Shard 2's target table goes away (UNKNOWN_TABLE is retryable): its inserts retry.
        svc.query_raw("DETACH TABLE shard2.events", "TSV", write=True, flush=False)
        errors: list[BaseException] = []

        def send(chunk_start: int) -> None:
            try:
                chunk = ids[chunk_start:chunk_start + 1000]
                export_spans(svc.grpc_endpoint, spans_request("svc", [(t, chunk_start + i) for i, t in enumerate(chunk)]))
            except BaseException as exc:  # reported by the test thread
                errors.append(exc)

        senders = [threading.Thread(target=send, args=(s,)) for s in range(0, len(ids), 1000)]
        started = time.monotonic()
        for th in senders:
            th.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _counts(svc, shards=(0, 2), flush=False) == [expected[0], expected[2]]:
                break
            time.sleep(0.2)
        others_stored = time.monotonic() - started
        assert _counts(svc, shards=(0, 2), flush=False) == [expected[0], expected[2]]
        # Shard 2's rows wait in the log behind its own reader (the clients were acked from the log).
        time.sleep(1.0)  # shard 2 keeps retrying meanwhile
        status, health = svc.get_json("/health")
        assert status == 503 and "shard2" in json.dumps(health), health
        _, stats = svc.get_json("/stats")
        assert stats["exporters"]["clickhouse/shard2"]["queue_bytes"] > 0, stats["exporters"]
        svc.query_raw("ATTACH TABLE shard2.events", "TSV", write=True, flush=False)
        for th in senders:
            th.join(60)
        assert not errors, errors
        deadline = time.monotonic() + 60  # shard 2 drains its queue at its next retry
        while _counts(svc, flush=False) != expected and time.monotonic() < deadline:
            time.sleep(0.2)
        caught_up = time.monotonic() - started
        assert _counts(svc) == expected
        print(f"\nslow shard: shards 1 and 3 stored {expected[0] + expected[2]} spans in {others_stored:.1f}s "
              f"while shard 2 was unavailable; shard 2 caught up with {expected[1]} spans, all stored at {caught_up:.1f}s")
    finally:
        assert svc.stop() == 0, "".join(svc.stderr_lines[-40:])
