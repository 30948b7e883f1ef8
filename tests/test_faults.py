"""Fault tests on a real `tailhouse run` process and real (embedded) ClickHouse.

Each scenario asserts exact counts, lost = 0 and duplicated = 0, and prints its figures
(`pytest -s` shows the FAULT lines). ClickHouse is made unavailable for real: the `events`
table (the target of the landing tables' materialized views) is renamed away through the admin
query endpoint, so every insert fails with UNKNOWN_TABLE until it is renamed back.

The outage in scenario 1 lasts 20 s, not the issue's 60 s, to keep CI short on small machines:
what matters (the write-ahead log holds and acknowledges data while every insert fails, then
drains without loss or duplicates) is the same after the first retries.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import grpc
import pytest

from fault_support import SpanLoad, exporter_counter, queue_empty, span_figures, trace_request, TRACE_METHOD
from harness import RunningService, start, wait_until


def _start(tmp_path: Path, queue_mib: int = 1024, shutdown_timeout: str = "20s") -> RunningService:
    return start(tmp_path, "faults", mode="subprocess", queue_mib=queue_mib, shutdown_timeout=shutdown_timeout)


def _outage(svc: RunningService) -> None:
    svc.query_raw("RENAME TABLE events TO events_away", write=True, flush=False)


def _recover(svc: RunningService) -> None:
    if svc.scalar("SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
                  flush=False):
        # A restart during the outage recreated the missing `events` table (the service repairs the
        # objects its migrations created), and the log was written into it: merge the old rows back.
        svc.query_raw("INSERT INTO events SELECT * FROM events_away", write=True, flush=False)
        svc.query_raw("DROP TABLE events_away", write=True, flush=False)
    else:
        svc.query_raw("RENAME TABLE events_away TO events", write=True, flush=False)


def _health(svc: RunningService) -> int:
    return svc.get_json("/health")[0]


def test_clickhouse_unavailable_under_steady_load(tmp_path: Path) -> None:
    svc = _start(tmp_path)
    name = f"outage-{uuid.uuid4().hex[:8]}"
    try:
        load = SpanLoad(svc.grpc_endpoint, name, spans=50, threads=6).start()
        time.sleep(3)
        _outage(svc)
        outage_started = time.monotonic()
        acked_at_outage = load.acked()
        wait_until(lambda: _health(svc) == 503, 15, "/health to report the failing inserts")
        time.sleep(max(0.0, 20 - (time.monotonic() - outage_started)))
        acked_during = load.acked() - acked_at_outage
        queued = svc.get_json("/stats")[1]["exporters"]["clickhouse"]["queue_bytes"]
        _recover(svc)
        time.sleep(3)
        load.stop()
        figures = span_figures(svc, "clickhouse-unavailable-20s", name, load.acked_spans)
        figures.report(acked_during_outage=acked_during, queued_bytes_at_recovery=queued,
                       retries=exporter_counter(svc, "retries"))
        # Clients kept being acknowledged during the outage: their data was fsynced in the log.
        assert acked_during > 0 and queued > 0
        assert figures.lost == 0 and figures.duplicated == 0 and figures.stored == figures.sent
        wait_until(lambda: _health(svc) == 200, 15, "/health to recover")
    finally:
        assert svc.stop() == 0, "".join(svc.stderr_lines[-30:])


def test_kill_9_under_load_then_restart(tmp_path: Path) -> None:
    svc = _start(tmp_path)
    name = f"kill9-{uuid.uuid4().hex[:8]}"
    load = SpanLoad(svc.grpc_endpoint, name, spans=50, threads=6).start()
    try:
        time.sleep(3)
        # An outage first, so the queue holds data nobody has stored yet when the process dies.
        _outage(svc)
        time.sleep(3)
        queued = svc.get_json("/stats")[1]["exporters"]["clickhouse"]["queue_bytes"]
        svc.kill(signal.SIGKILL)
        acked_before_kill = load.acked()
        time.sleep(1)  # clients meet a dead port and retry
        svc = svc.restart()
        replayed = exporter_counter(svc, "replayed_items")
        _recover(svc)
        time.sleep(3)
        load.stop()
        figures = span_figures(svc, "kill-9", name, load.acked_spans)
        figures.report(queued_bytes_at_kill=queued, acked_before_kill=acked_before_kill, replayed_items=replayed,
                       resent_items_recognised=exporter_counter(svc, "resent_items"))
        assert queued > 0 and replayed > 0
        assert figures.lost == 0 and figures.duplicated == 0 and figures.stored == figures.sent
    finally:
        load.stop() if not load._stop.is_set() else None
        assert svc.stop() == 0, "".join(svc.stderr_lines[-30:])


def test_poison_request_mixed_into_good_traffic(tmp_path: Path) -> None:
    svc = _start(tmp_path)
    name = f"poison-{uuid.uuid4().hex[:8]}"
    try:
        load = SpanLoad(svc.grpc_endpoint, name, threads=3, interval=0.005).start()
        time.sleep(1)
        # Valid OTLP (the receiver accepts it), but its 150 spans fall on 150 different days:
        # ClickHouse refuses any insert touching more than 100 partitions, whatever is retried.
        poison = [trace_request(name, f"{name}-poison{i}", 150, day_spread=150) for i in range(3)]
        answers = []
        with grpc.insecure_channel(svc.grpc_endpoint) as ch:
            call = ch.unary_unary(TRACE_METHOD, request_serializer=None, response_deserializer=None)
            for body in poison:
                try:
                    call(body, timeout=30)
                    answers.append("OK")
                except grpc.RpcError as err:
                    answers.append(err.code().name)
                time.sleep(0.3)
        time.sleep(1)
        load.stop()
        figures = span_figures(svc, "poison", name, load.acked_spans)
        dead = exporter_counter(svc, "dead_letter_items")
        figures.report(poison_requests=len(poison), poison_answers=answers, dead_letter_items=dead)
        # The client of a poison request was acknowledged once its request was in the log; the
        # insert that fails later sets it aside, never asks anyone to retry it.
        assert set(answers) == {"OK"}
        assert dead == 450
        assert figures.lost == 0 and figures.duplicated == 0 and figures.stored == figures.sent
        assert any("splitting the batch" in line for line in svc.stderr_lines), "no batch was split"

        cli = [sys.executable, "-m", "tailhouse", "deadletter"]
        listed = subprocess.run([*cli, "list", "--config", str(svc.config_path)], capture_output=True, text=True,
                                timeout=60, cwd=svc.workdir)
        assert listed.returncode == 0 and listed.stdout.count("Too many partitions") == 3, listed
        # Once the cause is understood, replay with the limit raised: stored once, even if replayed twice.
        replay = [*cli, "replay", "--config", str(svc.config_path), "--setting", "max_partitions_per_insert_block=1000"]
        done = subprocess.run(replay, capture_output=True, text=True, timeout=120, cwd=svc.workdir)
        assert done.returncode == 0 and done.stdout.count("stored") == 3, done
        total = figures.sent + 450
        after = span_figures(svc, "poison-after-replay", name, total)
        after.report()
        assert after.stored == after.distinct == total
        assert subprocess.run([*cli, "list", "--config", str(svc.config_path)], capture_output=True, text=True,
                              timeout=60, cwd=svc.workdir).stdout == ""
    finally:
        assert svc.stop() == 0, "".join(svc.stderr_lines[-30:])


def test_full_queue_answers_with_backpressure_not_loss(tmp_path: Path) -> None:
    svc = _start(tmp_path, queue_mib=1)
    name = f"full-{uuid.uuid4().hex[:8]}"
    try:
        _outage(svc)
        # ~25 kB requests: the 1 MiB queue is full after about 40 of them.
        load = SpanLoad(svc.grpc_endpoint, name, spans=10, interval=0.01, pad=2500, threads=4).start()
        wait_until(lambda: load.codes["UNAVAILABLE"] > 0 and load.retry_infos, 30, "backpressure with RetryInfo")
        status, health = svc.get_json("/health")
        assert status == 503 and "log full" in health["reason"], health
        # OTLP/HTTP answers 503 with Retry-After while the queue is full.
        req = urllib.request.Request(svc.endpoint("otlp/http") + "/v1/traces", method="POST",
                                     data=trace_request(name, f"{name}-http", 10, pad=2500),
                                     headers={"Content-Type": "application/x-protobuf"})
        with pytest.raises(urllib.error.HTTPError) as http_err:
            urllib.request.urlopen(req, timeout=30)
        assert http_err.value.code == 503 and int(http_err.value.headers["Retry-After"]) >= 1
        refused = exporter_counter(svc, "refused_items")
        time.sleep(2)
        _recover(svc)
        time.sleep(2)
        load.stop()
        figures = span_figures(svc, "queue-full", name, load.acked_spans)
        figures.report(refused_items=refused, unavailable_answers=load.codes["UNAVAILABLE"],
                       retry_info_delay_s=load.retry_infos[0])
        assert refused > 0
        assert figures.lost == 0 and figures.duplicated == 0 and figures.stored == figures.sent
    finally:
        assert svc.stop() == 0, "".join(svc.stderr_lines[-30:])


def test_sigterm_during_outage_leaves_data_queued_for_next_start(tmp_path: Path) -> None:
    svc = _start(tmp_path, shutdown_timeout="2s")
    name = f"term-{uuid.uuid4().hex[:8]}"
    _outage(svc)
    load = SpanLoad(svc.grpc_endpoint, name, threads=1, interval=0.05)
    load.start()
    time.sleep(2)
    load.stop()
    started = time.monotonic()
    assert svc.stop() == 0, "".join(svc.stderr_lines[-30:])
    took = time.monotonic() - started
    assert any("stay in the log" in line for line in svc.stderr_lines), svc.stderr_lines[-10:]
    svc = svc.restart()
    try:
        assert exporter_counter(svc, "replayed_items") == load.acked_spans
        _recover(svc)
        figures = span_figures(svc, "sigterm-during-outage", name, load.acked_spans)
        figures.report(shutdown_seconds=round(took, 1))
        assert took < 15
        assert figures.lost == 0 and figures.duplicated == 0 and figures.stored == figures.sent
        assert queue_empty(svc)
    finally:
        assert svc.stop() == 0, "".join(svc.stderr_lines[-30:])
