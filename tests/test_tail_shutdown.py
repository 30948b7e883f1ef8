"""A tail request is acknowledged from the write-ahead log at once; stopping the service writes its rows."""

from __future__ import annotations

import time
from pathlib import Path

from tail_support import post, tail_service


def test_request_acknowledged_before_its_batch_is_written_at_shutdown(tmp_path: Path) -> None:
    # A batch timeout far beyond the test: only the shutdown drain can write the rows.
    svc = tail_service(tmp_path, batch_timeout="60s")
    item = {"outcome": "ok", "scriptName": "draining", "eventTimestamp": 1795347406596, "event": {"rpcMethod": "x"},
            "logs": [{"level": "log", "message": ["hi"], "timestamp": 1795347406597}]}
    stats = svc.service.stats.signals["logs"]
    try:
        started = time.monotonic()
        status, body, _ = post(svc.tail_url, [item])
        # The ack does not wait for the batch (60 s) nor for ClickHouse: the rows are in the log.
        assert (status, body["rows"]) == (200, 2)
        assert time.monotonic() - started < 10
        assert stats.written_items == 0, "the batch should still be open"
    finally:
        started = time.monotonic()
        svc.stop()
    assert stats.written_items == 2
    assert time.monotonic() - started < 30
