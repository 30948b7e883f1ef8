"""The queued sender on its own: supervised workers, and health while pushes fail."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tailhouse.pipeline.backoff import Backoff
from tailhouse.pipeline.errors import ExportError
from tailhouse.pipeline.sender import Batch, BatchShape, QueuedSender
from tailhouse.pipeline.wal import LogOptions, WriteAheadLog

FAST = Backoff(initial_interval=0.01, multiplier=1.0, randomization_factor=0.0, max_interval=0.01, max_elapsed_time=0)


class Counting:
    """A SenderObserver that keeps counts."""

    def __init__(self) -> None:
        self.written_items = 0

    def written(self, items: int, seconds: float) -> None:
        self.written_items += items

    def retried(self) -> None: ...
    def dead_lettered(self, items: int) -> None: ...
    def corrupt(self, records: int) -> None: ...


def test_a_worker_that_dies_is_restarted_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tailhouse.pipeline.sender.RESTART_DELAY", 0.05)
    stored: list[bytes] = []
    calls = {"n": 0}

    async def push(batch: Batch) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyError("a bug in the push")  # not an ExportError: the worker dies
        stored.extend(batch.payloads)

    async def dead_letter(batch: Batch, error: str) -> None:
        raise AssertionError("nothing here is refused permanently")

    async def go() -> tuple[bool, str]:
        wal = WriteAheadLog(tmp_path, LogOptions())
        wal.open(["r"])
        sender = QueuedSender("t", wal, "r", push, dead_letter, BatchShape(min_items=1, timeout=0.0), 1, FAST,
                              Counting())
        await sender.start()
        await wal.append(b"one", 1)
        while calls["n"] < 1:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.01)
        died = sender.health()
        assert await sender.flush(10)
        assert sender.health() == (True, "")
        await sender.stop()
        await wal.close()
        return died

    ok, reason = asyncio.run(go())
    assert not ok and "worker 0 died: KeyError" in reason
    assert stored == [b"one"], "the batch of the dead worker is sent again, once"


def test_health_names_failing_pushes_until_one_succeeds(tmp_path: Path) -> None:
    state = {"down": True}

    async def push(batch: Batch) -> None:
        if state["down"]:
            raise ExportError("Code: 243. NOT_ENOUGH_SPACE", retryable=True)

    async def dead_letter(batch: Batch, error: str) -> None:
        raise AssertionError("a full server disk is not a reason to set data aside")

    async def go() -> None:
        wal = WriteAheadLog(tmp_path, LogOptions())
        wal.open(["r"])
        sender = QueuedSender("t", wal, "r", push, dead_letter, BatchShape(min_items=1, timeout=0.0), 2, FAST,
                              Counting())
        await sender.start()
        await wal.append(b"x", 1)
        await asyncio.sleep(0.1)
        ok, reason = sender.health()
        assert not ok and "NOT_ENOUGH_SPACE" in reason
        state["down"] = False
        assert await sender.flush(10)
        assert sender.health() == (True, "")
        await sender.stop()
        await wal.close()

    asyncio.run(go())
