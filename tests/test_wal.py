"""The write-ahead log and cursors on their own: group commit, recovery, damage, retention, backpressure."""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path
from typing import Any

import pytest

import tailhouse.pipeline.wal.log as log_mod
from tailhouse.pipeline.errors import LogWriteFailed, QueueFull
from tailhouse.pipeline.wal import Cursor, LogLocked, LogOptions, Range, WriteAheadLog
from tailhouse.pipeline.wal.format import HEADER

SMALL = LogOptions(segment_bytes=1000, max_bytes=1 << 20)


def run(coro: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coro)


def payload(i: int, size: int = 100) -> bytes:
    return f"request-{i:05d}-".encode() + bytes([i % 251]) * size


async def append_all(wal: WriteAheadLog, payloads: list[bytes]) -> list[int]:
    return list(await asyncio.gather(*(wal.append(p, 1) for p in payloads)))


def reopen(directory: Path, options: LogOptions = SMALL) -> tuple[WriteAheadLog, Any]:
    wal = WriteAheadLog(directory, options)
    return wal, wal.open(["r"])


def read_all(wal: WriteAheadLog) -> list[bytes]:
    lo = wal.cursors["r"].committed + 1
    if wal.end < lo:
        return []
    entries, bad = wal.read_disk(list(range(lo, wal.end + 1)))
    return [e.payload for e in entries]


class CountingOS:
    """`os` for the log module that counts fsyncs and can fail the next write (a full disk)."""

    def __init__(self) -> None:
        self.fsyncs = 0
        self.fail_next_write = False

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def fsync(self, fd: int) -> None:
        self.fsyncs += 1
        os.fsync(fd)

    def write(self, fd: int, data: bytes) -> int:
        if self.fail_next_write:
            self.fail_next_write = False
            os.write(fd, data[: len(data) // 3])  # what a full disk leaves: part of the write
            raise OSError(errno.ENOSPC, "No space left on device (simulated)")
        return os.write(fd, data)


@pytest.fixture
def counting_os(monkeypatch: pytest.MonkeyPatch) -> CountingOS:
    # A full disk at an exact write cannot be caused for real here: the log's `os` is replaced.
    fake = CountingOS()
    monkeypatch.setattr(log_mod, "os", fake)
    return fake


def test_concurrent_appends_share_fsyncs_and_come_back_in_order(tmp_path: Path, counting_os: CountingOS) -> None:
    async def go() -> list[int]:
        wal = WriteAheadLog(tmp_path, LogOptions())
        wal.open(["r"])
        before = counting_os.fsyncs
        lsns = await append_all(wal, [payload(i) for i in range(200)])
        assert counting_os.fsyncs - before < 50, "appends waiting for one fsync should share the next one"
        await wal.close()
        return lsns

    assert run(go()) == list(range(1, 201))
    wal, recovery = reopen(tmp_path, LogOptions())
    assert recovery.records == 200 and recovery.corrupt_records == 0
    assert read_all(wal) == [payload(i) for i in range(200)]
    wal.close_files()


def test_directory_is_locked(tmp_path: Path) -> None:
    wal, _ = reopen(tmp_path)
    with pytest.raises(LogLocked):
        reopen(tmp_path)
    wal.close_files()


def test_failed_append_is_refused_and_leaves_no_partial_record(tmp_path: Path, counting_os: CountingOS) -> None:
    async def go() -> None:
        wal = WriteAheadLog(tmp_path, SMALL)
        wal.open(["r"])
        await append_all(wal, [payload(1)])
        counting_os.fail_next_write = True
        with pytest.raises(LogWriteFailed, match="No space left"):
            await wal.append(payload(2), 1)
        assert "appending" in wal.problem
        # The next append goes to a fresh segment behind a clean cut, and gets the next LSN.
        assert await wal.append(payload(3), 1) == 2
        assert wal.problem == ""
        await wal.close()

    run(go())
    wal, recovery = reopen(tmp_path)
    assert recovery.corrupt_records == 0 and recovery.truncated_bytes == 0
    assert read_all(wal) == [payload(1), payload(3)]
    wal.close_files()


def test_damage_in_the_middle_skips_one_record_and_keeps_the_segment(tmp_path: Path) -> None:
    async def go() -> None:
        wal = WriteAheadLog(tmp_path, SMALL)
        wal.open(["r"])
        await append_all(wal, [payload(i) for i in range(20)])  # several segments of ~8 records
        await wal.close()

    run(go())
    first = sorted(tmp_path.glob("*.wal"))[0]
    raw = bytearray(first.read_bytes())
    record = HEADER.size + 12 + len(payload(0))
    raw[record + HEADER.size + 20] ^= 0x55  # inside the second record's payload
    first.write_bytes(bytes(raw))

    wal, recovery = reopen(tmp_path)
    assert recovery.corrupt_records == 1 and recovery.damaged_segments == [first.name]
    assert "1 damaged record" in wal.problem
    survivors = read_all(wal)
    assert survivors == [payload(i) for i in range(20) if i != 1], "only the damaged record may be missing"
    # Once the reader is past it, the damaged segment is moved aside, never deleted.
    cursor = wal.cursors["r"]
    cursor.cut(1, wal.end)
    cursor.done(Range(1, wal.end))
    wal.release_segments()
    assert (tmp_path / "damaged" / first.name).exists() and not first.exists()
    wal.close_files()


def test_torn_tail_of_the_newest_segment_is_truncated_not_counted(tmp_path: Path) -> None:
    async def go() -> None:
        wal = WriteAheadLog(tmp_path, LogOptions())
        wal.open(["r"])
        await append_all(wal, [payload(i) for i in range(3)])
        await wal.close()

    run(go())
    (seg,) = tmp_path.glob("*.wal")
    whole = seg.read_bytes()
    seg.write_bytes(whole + whole[: len(whole) // 5])  # a write cut short by a crash
    wal, recovery = reopen(tmp_path, LogOptions())
    assert recovery.corrupt_records == 0 and recovery.truncated_bytes == len(whole) // 5
    assert seg.stat().st_size == len(whole) and wal.problem == ""
    assert read_all(wal) == [payload(i) for i in range(3)]
    wal.close_files()


def test_sequence_numbers_are_never_reused_after_segments_are_deleted(tmp_path: Path) -> None:
    async def first_run() -> None:
        wal = WriteAheadLog(tmp_path, SMALL)
        wal.open(["r"])
        await append_all(wal, [payload(i) for i in range(30)])
        cursor = wal.cursors["r"]
        cursor.cut(1, 30)
        cursor.done(Range(1, 30))
        wal.release_segments()
        await wal.close()

    run(first_run())
    assert len(list(tmp_path.glob("*.wal"))) == 1, "exported segments are deleted"

    async def second_run() -> int:
        wal = WriteAheadLog(tmp_path, SMALL)
        recovery = wal.open(["r"])
        assert recovery.records == 0
        lsn = await wal.append(payload(99), 1)
        await wal.close()
        return lsn

    assert run(second_run()) == 31


def test_a_split_batch_is_replayed_as_its_halves(tmp_path: Path) -> None:
    cursor = Cursor(tmp_path / "cursor-r.log", "r")
    cursor.open(start_after=0)
    batch = cursor.cut(1, 10)
    first, second = cursor.split(batch)
    cursor.done(first)
    cursor.close()  # as a crash leaves it: nothing but what was written
    again = Cursor(tmp_path / "cursor-r.log", "r")
    again.open(start_after=0)
    assert again.pending() == [second], "the whole batch must never be sent again after a split"
    assert again.committed == first.hi and again.cut_upto == 10
    again.close()


def test_full_log_refuses_with_a_retry_hint(tmp_path: Path) -> None:
    async def go() -> None:
        wal = WriteAheadLog(tmp_path, LogOptions(max_bytes=300, retry_after=3.0))
        wal.open(["r"])
        await append_all(wal, [payload(1), payload(2)])
        with pytest.raises(QueueFull) as refused:
            await wal.append(payload(3), 1)
        assert refused.value.retryable and refused.value.retry_after == 3.0
        # Once the reader is past the data, there is room again.
        wal.cursors["r"].cut(1, 2)
        wal.cursors["r"].done(Range(1, 2))
        assert await wal.append(payload(3), 1) == 3
        await wal.close()

    run(go())


def test_cursor_compaction_keeps_open_and_out_of_order_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tailhouse.pipeline.wal.cursor as cursor_mod

    monkeypatch.setattr(cursor_mod, "COMPACT_AT", 10 * cursor_mod.ENTRY_SIZE)  # compact every few entries
    cursor = Cursor(tmp_path / "cursor-r.log", "r")
    cursor.open(start_after=0)
    batches = [cursor.cut(lo, lo + 1) for lo in range(1, 61, 2)]   # 30 batches of 2 records
    first, second = cursor.split(batches[-1])
    for b in batches[:20]:
        cursor.done(b)
    cursor.done(batches[25])   # out of order: stays pending below it
    cursor.done(second)
    size = (tmp_path / "cursor-r.log").stat().st_size
    assert size < 30 * cursor_mod.ENTRY_SIZE, "the file should have been compacted (53 entries were written)"
    cursor.close()
    again = Cursor(tmp_path / "cursor-r.log", "r")
    again.open(start_after=0)
    assert again.committed == 40 and again.cut_upto == 60
    still_open = [b for b in batches[20:29] if b is not batches[25]] + [first]
    assert again.pending() == still_open
    again.close()
