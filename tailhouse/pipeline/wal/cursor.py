"""A reader's position in the write-ahead log: the batches it cut, and what of them is stored.

Each reader of a log (an exporter, or one shard of a sharded exporter) has a cursor file
`cursor-<name>.log` of fixed-size entries:

    entry = type (u8) | 3 zero bytes | a (u64 LE) | b (u64 LE) | c (u64 LE) | CRC-32 of the 28 bytes before (u32 LE)

    CUT   a..b      records a..b form one batch (fsynced *before* the batch is sent anywhere)
    SPLIT a..b at c the batch a..b is now two batches, a..c and c+1..b (fsynced before either is sent)
    DONE  a..b      batch a..b is stored (or set aside as a dead letter)
    BASE  a         every record up to a is done (the first entry after a compaction)

Because batch boundaries are durable before an insert starts, a replay after a crash cuts exactly
the same batches, so each carries the same deduplication token as before. A batch split after a
permanent error is replayed as its halves, never whole again. A DONE entry that a crash loses only
means a batch is sent again with its token, which the destination deduplicates.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_ENTRY = struct.Struct("<B3xQQQ")
_CRC = struct.Struct("<I")
ENTRY_SIZE = _ENTRY.size + _CRC.size
CUT, SPLIT, DONE, BASE = 1, 2, 3, 4
# Rewrite the file (keeping only what is still open) when it grows past this.
COMPACT_AT = 256 * 1024


def _entry(kind: int, a: int, b: int = 0, c: int = 0) -> bytes:
    body = _ENTRY.pack(kind, a, b, c)
    return body + _CRC.pack(zlib.crc32(body))


@dataclass(frozen=True)
class Range:
    """Records lo..hi (inclusive) of the log: one batch."""

    lo: int
    hi: int

    @property
    def count(self) -> int:
        return self.hi - self.lo + 1


class Cursor:
    """One reader's cut batches and committed position (file I/O: call from a worker thread)."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.committed = 0          # every record <= committed is done
        self.cut_upto = 0           # highest record in any batch cut so far
        self._open: dict[int, int] = {}   # lo -> hi of cut batches not yet done
        self._done: dict[int, int] = {}   # lo -> hi of batches done beyond `committed` (finished out of order)
        self._file: int | None = None
        # Readers on the event loop and writers in worker threads share the state.
        self._lock = threading.RLock()

    def open(self, start_after: int) -> None:
        """Read the cursor file; a new cursor starts after record `start_after`."""
        if self.path.exists():
            self._load(self.path.read_bytes())
        else:
            self.committed = self.cut_upto = start_after
            self._rewrite()
        self._file = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    def _load(self, data: bytes) -> None:
        whole = len(data) - len(data) % ENTRY_SIZE
        for pos in range(0, whole, ENTRY_SIZE):
            body, (crc,) = data[pos:pos + _ENTRY.size], _CRC.unpack_from(data, pos + _ENTRY.size)
            if zlib.crc32(body) != crc:
                # A torn last entry is expected after a crash (it was never acted on); anything else is noted.
                if pos + ENTRY_SIZE < whole:
                    log.warning("cursor %s: skipping a damaged entry at offset %d", self.path, pos)
                continue
            kind, a, b, c = _ENTRY.unpack(body)
            self._apply(kind, a, b, c)

    def _apply(self, kind: int, a: int, b: int, c: int) -> None:
        if kind == BASE:
            self.committed = max(self.committed, a)
            self.cut_upto = max(self.cut_upto, a)
            self._open = {lo: hi for lo, hi in self._open.items() if lo > a}
        elif kind == CUT and a > self.committed:
            self._open[a] = b
            self.cut_upto = max(self.cut_upto, b)
        elif kind == SPLIT and self._open.get(a) == b:
            self._open[a] = c
            self._open[c + 1] = b
        elif kind == DONE:
            if self._open.get(a) == b:
                del self._open[a]
            if a > self.committed:
                self._done[a] = b
                self._advance()

    def _advance(self) -> None:
        while self.committed + 1 in self._done:
            self.committed = self._done.pop(self.committed + 1)

    def pending(self) -> list[Range]:
        """Batches cut but not done, in log order (replayed first after a restart)."""
        with self._lock:
            return [Range(lo, hi) for lo, hi in sorted(self._open.items())]

    def cut(self, lo: int, hi: int) -> Range:
        """Record (durably) that lo..hi is the next batch."""
        with self._lock:
            if lo != self.cut_upto + 1 or hi < lo:
                raise ValueError(f"cursor {self.name}: cut {lo}..{hi} does not follow {self.cut_upto}")
            self._write(_entry(CUT, lo, hi), sync=True)
            self._open[lo] = hi
            self.cut_upto = hi
            return Range(lo, hi)

    def split(self, batch: Range) -> tuple[Range, Range]:
        """Record (durably) that `batch` is now two halves; returns them."""
        with self._lock:
            if self._open.get(batch.lo) != batch.hi or batch.count < 2:
                raise ValueError(f"cursor {self.name}: cannot split {batch}")
            mid = batch.lo + batch.count // 2 - 1
            self._write(_entry(SPLIT, batch.lo, batch.hi, mid), sync=True)
            self._open[batch.lo] = mid
            self._open[mid + 1] = batch.hi
            return Range(batch.lo, mid), Range(mid + 1, batch.hi)

    def done(self, batch: Range) -> None:
        """Record that `batch` is stored (not fsynced: losing it means a deduplicated resend)."""
        with self._lock:
            self._write(_entry(DONE, batch.lo, batch.hi), sync=False)
            self._apply(DONE, batch.lo, batch.hi, 0)
            if os.fstat(self._fd()).st_size > COMPACT_AT:
                self._rewrite()

    def sync(self) -> None:
        """Make every entry durable (before the log deletes what they cover)."""
        with self._lock:
            os.fsync(self._fd())

    def close(self) -> None:
        """Close the file; an entry being written by another thread is finished first."""
        with self._lock:
            if self._file is not None:
                os.close(self._file)
                self._file = None

    def _fd(self) -> int:
        if self._file is None:
            raise RuntimeError(f"cursor {self.name} is not open")
        return self._file

    def _write(self, data: bytes, sync: bool) -> None:
        fd = self._fd()
        try:
            os.write(fd, data)
            if sync:
                os.fsync(fd)
        except OSError:
            # A partial entry would shift every later one: rewrite the file from the state in memory
            # (which this entry has not changed) before anything else is written.
            try:
                self._rewrite()
            except OSError as again:
                log.error("cursor %s: rewriting %s after a failed write failed too: %s", self.name, self.path, again)
            raise

    def _rewrite(self) -> None:
        """Replace the file by BASE + what is still open or done out of order (atomic rename)."""
        parts = [_entry(BASE, self.committed)]
        for lo, hi in sorted({**self._open, **self._done}.items()):
            parts.append(_entry(CUT, lo, hi))
            if lo in self._done:
                parts.append(_entry(DONE, lo, hi))
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(b"".join(parts))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dfd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        if self._file is not None:
            os.close(self._file)
            self._file = os.open(self.path, os.O_WRONLY | os.O_APPEND)
