"""The write-ahead log: receivers append requests (group-commit fsync), exporters read them back.

One `WriteAheadLog` per exporter and payload kind, in its own directory (locked, so two processes
never share it):

    LOG_ID                  random id of this log, part of every deduplication token
    <first lsn>.wal         segments (format.py); the newest one is appended to
    cursor-<reader>.log     each reader's batches and committed position (cursor.py)
    damaged/                segments that held damaged records, moved aside once read (never deleted)

Appending: `submit` queues a request and returns a future. One flush at a time writes every
queued request in one `write` and one `fsync`; requests that arrive meanwhile go into the next
flush (group commit). The future completes with the record's LSN once it is durable, so a
receiver acknowledges its client a few milliseconds after the request arrived. With
`fsync: interval`, the future completes after the write and a timer fsyncs (a process crash
loses nothing, a power loss at most one interval).

A failed write or fsync (disk full, I/O error) fails that flush's requests with a retryable
error, cuts the segment back to its last good size and continues in a new segment: a failed fsync
is never retried on the same file descriptor, and no later record lands behind a partial one.
The LSNs of a failed flush were never visible to anyone and are given out again; a record of
the old segment at or past the next segment's first LSN is ignored on recovery.

Recovery (`open`): every segment is scanned. Damage at the tail of the newest segment is a write
cut short by a crash (never acknowledged) and is truncated. Any other damage is skipped record by
record; the LSNs it swallowed are counted in `corrupt_records`, named in `problem`, and the
segment is moved to `damaged/` instead of being deleted once its readers are past it.

Records just appended stay in memory (up to `memory_bytes`) so readers take them from there;
only a replay, or a reader that fell far behind, reads them back from disk.
"""

from __future__ import annotations

import asyncio
import bisect
import fcntl
import hashlib
import logging
import os
import threading
import time
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..errors import ExportError, LogWriteFailed, QueueFull
from .cursor import Cursor, Range
from .format import (BODY_PREFIX, HEADER, CorruptRecord, Entry, decode_at, encode, scan_segment, segment_first_lsn,
                     segment_name)

log = logging.getLogger(__name__)

# Digests of this many recent requests are remembered to recognise a client's resend.
DIGEST_WINDOW = 200_000
FSYNC_MODES = ("always", "interval")


class LogLocked(RuntimeError):
    """Another process holds the log directory."""


def request_digest(payload: bytes | memoryview) -> bytes:
    """Identity of a request's bytes: a byte-identical resend has the same digest."""
    return hashlib.blake2b(payload, digest_size=16).digest()


@dataclass(frozen=True)
class LogOptions:
    """How a log is sized and synced."""

    segment_bytes: int = 16 * 2**20
    max_bytes: int = 1024 * 2**20        # unexported payload bytes; past it appends are refused (backpressure)
    memory_bytes: int = 64 * 2**20       # recent records kept in memory for readers
    fsync: str = "always"                # always: fsync before the ack; interval: ack after write, fsync on a timer
    fsync_interval: float = 1.0
    retry_after: float = 1.0             # the delay suggested to refused clients


@dataclass
class _Segment:
    """Index of one segment file: per record its LSN, offset, items and payload size."""

    first: int
    path: Path
    base_bytes: int = 0   # payload bytes / items of every record indexed before this segment
    base_items: int = 0
    lsns: array = field(default_factory=lambda: array("Q"))
    offsets: array = field(default_factory=lambda: array("Q"))
    sizes: array = field(default_factory=lambda: array("I"))
    cbytes: array = field(default_factory=lambda: array("Q"))  # running totals, this record included
    citems: array = field(default_factory=lambda: array("Q"))
    damaged: bool = False

    @property
    def last(self) -> int:
        """Highest LSN the segment holds (first - 1 when empty)."""
        return self.lsns[-1] if self.lsns else self.first - 1

    def add(self, lsn: int, offset: int, items: int, size: int) -> None:
        prev_b = self.cbytes[-1] if self.cbytes else self.base_bytes
        prev_i = self.citems[-1] if self.citems else self.base_items
        self.lsns.append(lsn)
        self.offsets.append(offset)
        self.sizes.append(size)
        self.cbytes.append(prev_b + size)
        self.citems.append(prev_i + items)

    def totals_upto(self, lsn: int) -> tuple[int, int]:
        """(bytes, items) of every indexed record <= lsn, counting from the log's start."""
        j = bisect.bisect_right(self.lsns, lsn)
        if j == 0:
            return self.base_bytes, self.base_items
        return self.cbytes[j - 1], self.citems[j - 1]


@dataclass
class Recovery:
    """What `open` found: records waiting for readers, damage, and what was truncated."""

    records: int = 0
    items: int = 0
    corrupt_records: int = 0
    truncated_bytes: int = 0
    damaged_segments: list[str] = field(default_factory=list)


class WriteAheadLog:
    """Segments and cursors in `directory`; see the module docstring."""

    def __init__(self, directory: Path, options: LogOptions, name: str = "") -> None:
        if options.fsync not in FSYNC_MODES:
            raise ValueError(f"fsync must be one of {FSYNC_MODES}, got {options.fsync!r}")
        self.directory = directory
        self.options = options
        self.name = name or directory.name
        self.log_id = ""
        self.cursors: dict[str, Cursor] = {}
        self.corrupt_records = 0
        self.problem = ""                    # why the log is not healthy ('' when it is)
        self._lock = threading.Lock()        # the index (held briefly; the event loop takes it too)
        self._io_lock = threading.Lock()     # the active segment's descriptor (flush, timer fsync, close)
        self._release_lock = threading.Lock()  # one deletion pass at a time (readers commit from several threads)
        self._segments: list[_Segment] = []
        self._fd: int | None = None          # the active segment, opened for appending
        self._active_size = 0
        self._dirty = False                  # written but not fsynced (fsync: interval)
        self._next_lsn = 1                   # the next LSN to give out
        self._durable_lsn = 0                # highest LSN readers may see
        self._lock_fd: int | None = None
        # accounting of payload bytes / items by LSN: totals of every record ever indexed
        self._total_bytes = 0
        self._total_items = 0
        self._memory: OrderedDict[int, tuple[Entry, float]] = OrderedDict()
        self._memory_bytes = 0
        self._recent: OrderedDict[bytes, None] = OrderedDict()
        self._queue: list[tuple[bytes, int, asyncio.Future[int], bytes]] = []
        self._queued_bytes = 0
        self._flusher: asyncio.Task[None] | None = None
        self._syncer: asyncio.Task[None] | None = None
        self._listeners: list[asyncio.Event] = []  # set whenever records become durable
        self._closed = True

    # ---- opening and recovery -------------------------------------------------------------

    def open(self, readers: list[str]) -> Recovery:
        """Lock the directory, recover the segments and open the cursors of `readers` (blocking)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LogLocked(f"write-ahead log {self.directory} is in use by another process") from None
        self._lock_fd = fd
        self.log_id = self._load_log_id()
        recovery = self._recover()
        first_kept = self._segments[0].first if self._segments else self._next_lsn
        for reader in readers:
            cursor = Cursor(self.directory / f"cursor-{reader}.log", reader)
            cursor.open(start_after=first_kept - 1)
            self.cursors[reader] = cursor
            self._next_lsn = max(self._next_lsn, cursor.cut_upto + 1)
        self._check_missing(recovery)
        self._durable_lsn = self._next_lsn - 1
        self._open_active()
        self.release_segments()
        low = self.committed()
        recovery.records = max(0, self._durable_lsn - low - recovery.corrupt_records)
        recovery.items = self.unexported()[1]
        self._closed = False
        return recovery

    def _load_log_id(self) -> str:
        path = self.directory / "LOG_ID"
        try:
            value = path.read_text().strip()
            if value:
                return value
        except FileNotFoundError:
            pass
        value = os.urandom(8).hex()
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            f.write(value)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        self._fsync_dir()
        return value

    def _recover(self) -> Recovery:
        recovery = Recovery()
        named = sorted((first, p) for p in self.directory.iterdir() if (first := segment_first_lsn(p)) is not None)
        firsts, paths = [first for first, _ in named], [p for _, p in named]
        expected: int | None = None   # the LSN the next valid record should carry
        for i, path in enumerate(paths):
            first = firsts[i]
            # The next segment's name is authoritative: a record at or past it is a leftover of a failed flush.
            limit = firsts[i + 1] if i + 1 < len(paths) else None
            data = path.read_bytes()
            scan = scan_segment(data)
            seg = self._new_segment(first, path)
            indexed_end = 0
            for lsn, offset, items, length in scan.records:
                start = expected if expected is not None else first
                if lsn < start or (limit is not None and lsn >= limit):
                    continue
                if lsn > start:  # records start..lsn-1 were swallowed by damage
                    recovery.corrupt_records += lsn - start
                    seg.damaged = True
                # scan_segment checked the record (CRC included): index it from its frame, no second decode
                payload = memoryview(data)[offset + HEADER.size + BODY_PREFIX.size:offset + length]
                self._index(seg, lsn, offset, items, len(payload))
                self._remember(request_digest(payload))
                expected = lsn + 1
                indexed_end = offset + length
            start = expected if expected is not None else first
            if limit is not None and limit > start:  # records lost at the end of this segment
                recovery.corrupt_records += limit - start
                seg.damaged = True
            if limit is not None:
                expected = limit
            tail = scan.tail_damage
            for d in scan.damage:
                if d is tail and not seg.damaged and tail.offset == indexed_end:
                    # A write cut short (the newest segment after a crash, or a failed flush whose
                    # LSNs the next segment took over): never acknowledged, so cut it off.
                    os.truncate(path, indexed_end)
                    recovery.truncated_bytes += d.length
                    log.warning("log %s: truncated %d bytes of a write cut short at the end of %s (%s)",
                                self.name, d.length, path.name, d.reason)
                    continue
                seg.damaged = True
                log.error("log %s: %s has %d damaged bytes at offset %d (%s); skipped to the next valid record",
                          self.name, path.name, d.length, d.offset, d.reason)
            if seg.damaged:
                recovery.damaged_segments.append(path.name)
            self._segments.append(seg)
            self._next_lsn = max(self._next_lsn, seg.last + 1, first)
        self.corrupt_records = recovery.corrupt_records
        return recovery

    def _new_segment(self, first: int, path: Path) -> _Segment:
        return _Segment(first, path, self._total_bytes, self._total_items)

    def _check_missing(self, recovery: Recovery) -> None:
        """Records a cursor still needs that no segment holds (a segment file lost) count as corrupt."""
        low = self.committed()
        held = [s.lsns[0] for s in self._segments if s.lsns]
        first = held[0] if held else self._next_lsn
        if first > low + 1:
            recovery.corrupt_records += first - low - 1
            self.corrupt_records = recovery.corrupt_records
        if self.corrupt_records:
            self.problem = (f"{self.corrupt_records} damaged record(s) found in {self.directory} and skipped; "
                            f"damaged segments are kept in {self.directory / 'damaged'}")
            log.error("log %s: %s", self.name, self.problem)

    def _open_active(self) -> None:
        """Append to the newest segment if it is empty, else start a new one (never behind a torn record)."""
        last = self._segments[-1] if self._segments else None
        if last is not None and not last.lsns and last.first == self._next_lsn and not last.damaged:
            self._segments.pop()
        self._start_segment(self._next_lsn)

    def _index(self, seg: _Segment, lsn: int, offset: int, items: int, size: int) -> None:
        seg.add(lsn, offset, items, size)
        self._total_bytes += size
        self._total_items += items

    # ---- appending ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the interval fsync timer (fsync: interval); call on the event loop after `open`."""
        if self.options.fsync == "interval" and self._syncer is None:
            self._syncer = asyncio.create_task(self._sync_timer(), name=f"log-{self.name}-fsync")

    def check_room(self, nbytes: int) -> None:
        """Raise QueueFull when `nbytes` more would pass `max_bytes` of unexported data."""
        used = self.unexported_bytes() + self._queued_bytes
        if used + nbytes > self.options.max_bytes:
            raise QueueFull(f"write-ahead log {self.name} is full ({used} of {self.options.max_bytes} bytes not yet "
                            f"exported); retry in {self.options.retry_after:.0f}s", self.options.retry_after)

    def seen(self, digest: bytes) -> bool:
        """True when a request with this digest (`request_digest`) is in the log already (a client's resend)."""
        return digest in self._recent

    def submit(self, payload: bytes, items: int, digest: bytes | None = None) -> asyncio.Future[int]:
        """Queue `payload` for the next flush; the future gives its LSN once it is durable.

        Synchronous on purpose: a caller that checked room in several logs appends to all of them
        before anything else can take that room. `digest` (`request_digest(payload)`) saves
        hashing the payload again when the caller has it.
        """
        if self._closed:
            raise ExportError(f"write-ahead log {self.name} is closed", retryable=True, retry_after=1.0)
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append((payload, items, fut, digest or request_digest(payload)))
        self._queued_bytes += len(payload)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name=f"log-{self.name}-flush")
        return fut

    async def append(self, payload: bytes, items: int) -> int:
        """Check room, append and wait until durable; returns the LSN."""
        self.check_room(len(payload))
        return await self.submit(payload, items)

    async def _flush(self) -> None:
        while self._queue:
            group, self._queue = self._queue, []
            first = self._next_lsn
            try:
                await asyncio.to_thread(self._write_group, first, group)
            except OSError as exc:
                self._queued_bytes -= sum(len(g[0]) for g in group)
                err = LogWriteFailed(f"write-ahead log {self.name}: could not store the request: {exc}")
                self.problem = f"appending to {self.directory} failed: {exc}"
                log.error("log %s: a write of %d requests failed (%s); they are refused with a retryable error, "
                          "the segment is cut back and a new one started", self.name, len(group), exc)
                for _, _, fut, _ in group:
                    if not fut.done():
                        fut.set_exception(err)
                continue
            self._queued_bytes -= sum(len(g[0]) for g in group)
            if self.problem.startswith("appending"):
                self.problem = ""
            now = time.monotonic()
            for i, (payload, items, _, digest) in enumerate(group):
                lsn = first + i
                self._memory[lsn] = (Entry(lsn, items, payload), now)
                self._memory_bytes += len(payload)
                self._remember(digest)
            self._trim_memory()
            self._next_lsn = first + len(group)
            self._durable_lsn = self._next_lsn - 1
            for i, (_, _, fut, _) in enumerate(group):
                if not fut.done():
                    fut.set_result(first + i)
            for event in self._listeners:
                event.set()

    def _write_group(self, first: int, group: list[tuple[bytes, int, asyncio.Future[int], bytes]]) -> None:
        parts, placed, offset = [], [], 0
        for i, (payload, items, _, _) in enumerate(group):
            rec = encode(first + i, items, payload)
            parts.append(rec)
            placed.append((first + i, offset, items, len(payload)))
            offset += len(rec)
        with self._io_lock:
            if self._fd is None:
                self._start_segment(first)
            assert self._fd is not None
            good = self._active_size
            try:
                os.write(self._fd, b"".join(parts))
                if self.options.fsync == "always":
                    os.fsync(self._fd)
                else:
                    self._dirty = True
            except OSError:
                self._abandon_segment(good)
                raise
            self._active_size = good + offset
            with self._lock:
                seg = self._segments[-1]
                for lsn, off, items, size in placed:
                    self._index(seg, lsn, good + off, items, size)
            if self._active_size >= self.options.segment_bytes:
                self._roll(first + len(group))

    def _abandon_segment(self, good: int) -> None:
        """After a failed write/fsync: cut the segment back to `good` bytes and stop using its descriptor."""
        fd, self._fd = self._fd, None
        path = self._segments[-1].path
        if fd is not None:
            try:
                os.close(fd)
            except OSError as exc:  # the descriptor is dropped either way
                log.warning("log %s: closing %s after a failed write: %s", self.name, path.name, exc)
        try:
            os.truncate(path, good)
        except OSError as exc:
            # Recovery ignores what lies past the next segment's first LSN, so this is safe too.
            log.error("log %s: could not cut %s back to %d bytes: %s", self.name, path.name, good, exc)

    def _start_segment(self, first: int) -> None:
        """Open a new, empty active segment whose first record will be `first` (io lock held)."""
        with self._lock:
            if self._segments and self._segments[-1].first == first and not self._segments[-1].lsns:
                seg = self._segments[-1]
            else:
                seg = self._new_segment(first, self.directory / segment_name(first))
                self._segments.append(seg)
        # O_TRUNC: a segment we start holds nothing yet (a leftover of a failed start is garbage).
        self._fd = os.open(seg.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        self._active_size = 0
        self._fsync_dir()

    def _roll(self, next_first: int) -> None:
        assert self._fd is not None
        if self._dirty:
            os.fsync(self._fd)
            self._dirty = False
        os.close(self._fd)
        self._fd = None
        self._start_segment(next_first)

    async def _sync_timer(self) -> None:
        while True:
            await asyncio.sleep(self.options.fsync_interval)
            try:
                await asyncio.to_thread(self._sync_now)
            except OSError as exc:
                self.problem = f"fsync of {self.directory} failed: {exc}"
                log.error("log %s: interval fsync failed: %s", self.name, exc)
                with self._io_lock:
                    self._abandon_segment(self._active_size)

    def _sync_now(self) -> None:
        with self._io_lock:
            if self._fd is not None and self._dirty:
                os.fsync(self._fd)
                self._dirty = False

    # ---- reading --------------------------------------------------------------------------

    @property
    def end(self) -> int:
        """Highest LSN that is durable (readers may take records up to it)."""
        return self._durable_lsn

    def listen(self) -> asyncio.Event:
        """An event set whenever new records become durable (the reader clears it)."""
        event = asyncio.Event()
        self._listeners.append(event)
        return event

    def appended_at(self, lsn: int) -> float:
        """When `lsn` was appended (monotonic clock); 0 for records of a previous run."""
        held = self._memory.get(lsn)
        return held[1] if held is not None else 0.0

    def measure(self, lo: int, hi: int) -> tuple[int, int]:
        """(payload bytes, items) of records lo..hi, from the index."""
        with self._lock:
            b_hi, i_hi = self._totals_upto(hi)
            b_lo, i_lo = self._totals_upto(lo - 1)
        return b_hi - b_lo, i_hi - i_lo

    def cut_end(self, lo: int, max_bytes: int, max_items: int) -> int:
        """The highest hi (lo <= hi <= end) such that records lo..hi stay within the limits.

        A single record larger than the limits still makes a batch of its own.
        """
        end = self._durable_lsn
        with self._lock:
            b0, i0 = self._totals_upto(lo - 1)
            best, left, right = lo, lo + 1, end
            while left <= right:
                mid = (left + right) // 2
                b, i = self._totals_upto(mid)
                if b - b0 <= max_bytes and i - i0 <= max_items:
                    best, left = mid, mid + 1
                else:
                    right = mid - 1
        return min(best, end)

    def read_memory(self, batch: Range) -> tuple[list[Entry], list[int]]:
        """The records of `batch` held in memory, and the LSNs that must be read from disk."""
        found: list[Entry] = []
        need: list[int] = []
        for lsn in range(batch.lo, batch.hi + 1):
            held = self._memory.get(lsn)
            if held is not None:
                found.append(held[0])
            else:
                need.append(lsn)
        return found, need

    def read_disk(self, lsns: list[int]) -> tuple[list[Entry], int]:
        """Records `lsns` read from their segments (blocking), and how many turned out damaged now.

        A record damaged since it was indexed is counted in `corrupt_records` and named in
        `problem`; its segment is kept aside instead of deleted. A record recovery already found
        missing is skipped without being counted again.
        """
        out: list[Entry] = []
        bad = 0
        with self._lock:
            places = [self._locate(lsn) for lsn in lsns]
        files: dict[Path, BinaryIO] = {}
        try:
            for lsn, place in zip(lsns, places):
                if place is None:
                    continue
                seg, offset, length = place
                f = files.get(seg.path)
                if f is None:
                    f = files[seg.path] = open(seg.path, "rb")
                f.seek(offset)
                try:
                    entry, _ = decode_at(f.read(length), 0)
                    if entry.lsn != lsn:
                        raise CorruptRecord(f"found record {entry.lsn} where {lsn} was")
                except CorruptRecord as exc:
                    bad += 1
                    self._note_damage(seg, lsn, str(exc))
                    continue
                out.append(entry)
        finally:
            for f in files.values():
                f.close()
        return out, bad

    def _note_damage(self, seg: _Segment, lsn: int, reason: str) -> None:
        seg.damaged = True
        self.corrupt_records += 1
        self.problem = (f"{self.corrupt_records} damaged record(s) in {self.directory}; the latest: record {lsn} "
                        f"in {seg.path.name}: {reason}")
        log.error("log %s: record %d in %s is damaged (%s); it is skipped and counted", self.name, lsn,
                  seg.path.name, reason)

    def _segment_of(self, lsn: int) -> _Segment | None:
        i = bisect.bisect_right(self._segments, lsn, key=lambda s: s.first) - 1
        return self._segments[i] if i >= 0 else None

    def _locate(self, lsn: int) -> tuple[_Segment, int, int] | None:
        """(segment, offset, record length) of `lsn` (lock held)."""
        seg = self._segment_of(lsn)
        if seg is None:
            return None
        j = bisect.bisect_left(seg.lsns, lsn)
        if j >= len(seg.lsns) or seg.lsns[j] != lsn:
            return None
        return seg, seg.offsets[j], HEADER.size + BODY_PREFIX.size + seg.sizes[j]

    def _totals_upto(self, lsn: int) -> tuple[int, int]:
        """(bytes, items) of every indexed record <= lsn (lock held)."""
        seg = self._segment_of(lsn)
        if seg is None:
            first = self._segments[0] if self._segments else None
            return (first.base_bytes, first.base_items) if first else (self._total_bytes, self._total_items)
        return seg.totals_upto(lsn)

    # ---- cursors and retention ------------------------------------------------------------

    def committed(self) -> int:
        """Every record up to this LSN is done for every reader."""
        if not self.cursors:
            return self._durable_lsn
        return min(c.committed for c in self.cursors.values())

    def unexported(self, reader: str | None = None) -> tuple[int, int]:
        """(payload bytes, items) of durable records `reader` (default: the slowest reader) has not finished."""
        low = self.cursors[reader].committed if reader is not None else self.committed()
        with self._lock:
            b, i = self._totals_upto(low)
            return self._total_bytes - b, self._total_items - i

    def unexported_bytes(self) -> int:
        """Payload bytes of durable records some reader has not finished (what `max_bytes` bounds)."""
        return self.unexported()[0]

    def release_memory(self) -> None:
        """Drop from memory the records every reader is done with (on the event loop)."""
        low = self.committed()
        while self._memory:
            lsn = next(iter(self._memory))
            if lsn > low:
                break
            entry, _ = self._memory.popitem(last=False)[1]
            self._memory_bytes -= len(entry.payload)

    def release_segments(self) -> None:
        """Delete the closed segments every reader is done with (blocking).

        The cursors are fsynced first, so the positions that justify a deletion survive a crash;
        a deletion a crash undoes is simply done again on the next start. A segment that held
        damaged records is moved to `damaged/` instead.
        """
        with self._release_lock:
            self._release_segments()

    def _release_segments(self) -> None:
        low = self.committed()
        with self._lock:
            done = [s for s in self._segments[:-1] if s.last <= low]
        if not done:
            return
        for cursor in self.cursors.values():
            cursor.sync()
        for seg in done:
            if seg.damaged:
                aside = self.directory / "damaged"
                aside.mkdir(exist_ok=True)
                os.replace(seg.path, aside / seg.path.name)
                log.error("log %s: moved %s (it held damaged records) to %s; it is kept for inspection",
                          self.name, seg.path.name, aside)
            else:
                try:
                    os.unlink(seg.path)
                except FileNotFoundError:
                    pass  # deleted before a crash; recovery found it gone
        gone = {id(s) for s in done}
        with self._lock:
            self._segments = [s for s in self._segments if id(s) not in gone]

    def _trim_memory(self) -> None:
        while self._memory_bytes > self.options.memory_bytes and self._memory:
            _, (entry, _) = self._memory.popitem(last=False)
            self._memory_bytes -= len(entry.payload)

    def _remember(self, digest: bytes) -> None:
        self._recent[digest] = None
        if len(self._recent) > DIGEST_WINDOW:
            self._recent.popitem(last=False)

    def _fsync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    async def close(self) -> None:
        """Finish queued appends, stop the timer, sync and close files, release the lock."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        if self._syncer is not None:
            self._syncer.cancel()
            await asyncio.gather(self._syncer, return_exceptions=True)
        self._closed = True
        await asyncio.to_thread(self.close_files)

    def close_files(self) -> None:
        """Sync and close every file and release the directory lock (blocking)."""
        # The descriptor's own lock first (the order appends take them in): a timer fsync that was
        # already running in a worker thread when the timer was cancelled finishes before the close.
        with self._io_lock, self._lock:
            if self._fd is not None:
                if self._dirty:
                    os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None
            for cursor in self.cursors.values():
                cursor.close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
