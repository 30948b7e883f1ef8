"""The durable queue on its own: append, replay after a crash, torn tails, segment deletion."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exporters.queue.durable_queue import DurableQueue, QueueLocked, request_digest
from exporters.queue.segments import QueuedRequest, Record


def _record(i: int, size: int = 100) -> Record:
    return Record(os.urandom(16), "otlp_traces", [QueuedRequest(bytes([i % 256]) * size, i + 1)])


def test_unstored_records_are_replayed_in_order(tmp_path: Path) -> None:
    q = DurableQueue(tmp_path, segment_size=1000)
    assert q.open() == []
    refs = [q.append(_record(i)) for i in range(25)]
    for ref in refs[:10]:
        q.ack(ref)
    q.close()  # as after kill -9: nothing but what is on disk survives
    again = DurableQueue(tmp_path, segment_size=1000)
    pending = again.open()
    assert [r.record_id for r in pending] == [r.record_id for r in refs[10:]]
    assert again.read(pending[0]).requests[0].items == 11
    assert again.seen(request_digest(bytes([13]) * 100))  # a resend of a queued request is recognised
    again.close()


def test_stored_segments_are_deleted(tmp_path: Path) -> None:
    q = DurableQueue(tmp_path, segment_size=500)
    q.open()
    refs = [q.append(_record(i)) for i in range(20)]
    assert len(list(tmp_path.glob("*.seg"))) > 3
    for ref in refs:
        q.ack(ref)
    assert len(list(tmp_path.glob("*.seg"))) == 1  # only the open segment is left
    q.close()


def test_a_torn_last_record_is_ignored(tmp_path: Path) -> None:
    q = DurableQueue(tmp_path, segment_size=10**6)
    q.open()
    q.append(_record(1))
    q.append(_record(2))
    q.close()
    seg = sorted(tmp_path.glob("*.seg"))[-1]
    seg.write_bytes(seg.read_bytes()[:-7])  # a write cut short by a crash
    again = DurableQueue(tmp_path, segment_size=10**6)
    assert [r.items for r in again.open()] == [2]
    again.close()


def test_one_process_per_queue_directory(tmp_path: Path) -> None:
    q = DurableQueue(tmp_path, segment_size=1000)
    q.open()
    with pytest.raises(QueueLocked):
        DurableQueue(tmp_path, segment_size=1000).open()
    q.close()
