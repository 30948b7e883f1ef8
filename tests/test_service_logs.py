"""The service's own logs: text by default, JSON with --log-format json, and the progress line."""

from __future__ import annotations

import io
import json
import logging
import time
from pathlib import Path
from typing import Iterator

import pytest
from harness import start

from tailhouse.collector.logsetup import JsonFormatter, setup_logging
from tailhouse.collector.progress import _Snapshot, format_progress, progress_fields
from tailhouse.pipeline.stats import Stats


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_formatter_carries_extra_fields_and_exceptions(restore_logging: None) -> None:
    stream = io.StringIO()
    setup_logging("info", "json", stream)
    log = logging.getLogger("tailhouse.test")
    log.info("hello %s", "world", extra={"progress": {"queue_items": 3}})
    try:
        raise ValueError("bad")
    except ValueError:
        log.exception("failed")
    log.debug("not shown at info")
    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first["message"] == "hello world" and first["level"] == "info" and first["logger"] == "tailhouse.test"
    assert first["progress"] == {"queue_items": 3} and first["time"].endswith("+00:00")
    assert second["level"] == "error" and "ValueError: bad" in second["exception"]
    setup_logging("info", "text", stream)
    assert isinstance(logging.getLogger().handlers[0].formatter, logging.Formatter)
    assert not isinstance(logging.getLogger().handlers[0].formatter, JsonFormatter)


def test_progress_line_rates_and_queue() -> None:
    stats = Stats()
    prev = _Snapshot(at=100.0, accepted={"traces": 0, "logs": 0, "metrics": 0},
                     written={"traces": 0, "logs": 0, "metrics": 0}, refused=0)
    now = _Snapshot(at=110.0, accepted={"traces": 500, "logs": 20, "metrics": 0},
                    written={"traces": 450, "logs": 20, "metrics": 0}, refused=2)
    stats.signals["traces"].pending_items = 50
    stats.signals["traces"].pending_bytes = 4096
    fields = progress_fields(stats, prev, now)
    assert fields["signals"]["traces"] == {"in_per_s": 50.0, "out_per_s": 45.0}
    line = format_progress(fields)
    assert line == ("progress: traces in 50/s out 45/s, logs in 2/s out 2/s, metrics idle; "
                    "queue 50 items (4.0 KiB); refused 2")


def test_run_with_json_logs_prints_progress(tmp_path: Path) -> None:
    svc = start(tmp_path, "otlp", mode="subprocess", args=("--log-format", "json"), progress_interval="300ms")
    try:
        started = svc.started_line
        assert started.startswith("tailhouse started:") and "otlp/http" in started
        records: list[dict] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            records = [json.loads(line) for line in list(svc.stderr_lines)]  # every line is JSON
            if sum(1 for r in records if "progress" in r) >= 2:
                break
            time.sleep(0.05)
        progress = [r for r in records if "progress" in r]
        assert len(progress) >= 2, records
        assert progress[0]["level"] == "info" and progress[0]["message"].startswith("progress: ")
        assert set(progress[0]["progress"]["signals"]) == {"traces", "logs", "metrics"}
    finally:
        code = svc.stop(30)
    assert code == 0
