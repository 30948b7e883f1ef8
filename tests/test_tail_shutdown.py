"""Stopping the service acknowledges tail requests already in flight once their rows are written."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from collector.config import parse_config
from tail_support import CONFIG, TOKEN, RunningService, post


def test_request_in_flight_at_shutdown_is_stored_and_acknowledged(tmp_path: Path) -> None:
    # A batch timeout far beyond the test: only the shutdown flush can write the rows.
    text = (CONFIG % {"token": TOKEN, "data": tmp_path}).replace("timeout: 50ms", "timeout: 60s")
    svc = RunningService(parse_config(text, tmp_path))
    item = {"outcome": "ok", "scriptName": "draining", "eventTimestamp": 1795347406596, "event": {"rpcMethod": "x"},
            "logs": [{"level": "log", "message": ["hi"], "timestamp": 1795347406597}]}
    answer: dict[str, Any] = {}
    sender = threading.Thread(target=lambda: answer.update(result=post(svc.http_url, [item])))
    sender.start()
    stats = svc.service.stats.signals["logs"]
    deadline = time.monotonic() + 30
    while stats.requests == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # mapping takes milliseconds; then the request waits in the open batch
    assert sender.is_alive() and stats.written_items == 0, "the request should wait for its batch"
    started = time.monotonic()
    svc.stop()
    sender.join(30)
    status, body, _ = answer["result"]
    assert (status, body["rows"]) == (200, 2)
    assert stats.written_items == 2
    assert time.monotonic() - started < 30
