"""The on-disk format of write-ahead log segments, and how a segment is read back after a crash.

A log directory holds segment files `<first lsn, 20 digits>.wal`. A segment is a sequence of records:

    record = header body
    header = magic "THW1" | body length (u32 LE) | CRC-32 of body (u32 LE)
    body   = lsn (u64 LE) | items (u32 LE) | payload (the request bytes, as a receiver accepted them)

LSNs (log sequence numbers) are consecutive across segments: the first record of a segment has
the number in its file name. A record is written once and never rewritten.

Reading a segment (`scan_segment`) validates every record. A record that does not validate is
*damage*; the scan then resynchronises on the next header whose magic, length and CRC all check
out, so one damaged record never hides the ones behind it. Whether damage is a torn tail (a write
cut short by a crash, never acknowledged) or lost data is decided by the caller from the LSNs
around it (see `log.py`).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = b"THW1"
HEADER = struct.Struct("<4sII")
BODY_PREFIX = struct.Struct("<QI")
SEGMENT_SUFFIX = ".wal"
# A body longer than this is damage, not a record (receivers cap requests far below it).
MAX_BODY = 1 << 30


class CorruptRecord(ValueError):
    """Bytes that are not a whole, intact record."""


@dataclass(frozen=True)
class Entry:
    """One record: its sequence number, item count and payload."""

    lsn: int
    items: int
    payload: bytes


def encode(lsn: int, items: int, payload: bytes) -> bytes:
    """Header and body of one record, ready to append to a segment."""
    body = BODY_PREFIX.pack(lsn, items) + payload
    return HEADER.pack(MAGIC, len(body), zlib.crc32(body)) + body


def decode_at(data: bytes | memoryview, offset: int) -> tuple[Entry, int]:
    """The record at `offset` of `data` and its length in bytes; CorruptRecord if it does not validate."""
    if offset + HEADER.size > len(data):
        raise CorruptRecord("short header")
    magic, length, crc = HEADER.unpack_from(data, offset)
    if magic != MAGIC:
        raise CorruptRecord("bad magic")
    if length < BODY_PREFIX.size or length > MAX_BODY:
        raise CorruptRecord(f"impossible body length {length}")
    start = offset + HEADER.size
    if start + length > len(data):
        raise CorruptRecord("record runs past the end of the segment")
    body = bytes(data[start:start + length])
    if zlib.crc32(body) != crc:
        raise CorruptRecord("CRC mismatch")
    lsn, items = BODY_PREFIX.unpack_from(body, 0)
    return Entry(lsn, items, body[BODY_PREFIX.size:]), HEADER.size + length


def segment_name(first_lsn: int) -> str:
    """File name of the segment whose first record is `first_lsn`."""
    return f"{first_lsn:020d}{SEGMENT_SUFFIX}"


def segment_first_lsn(path: Path) -> int | None:
    """The first LSN a segment file's name promises, or None for a file that is not a segment."""
    stem = path.name[: -len(SEGMENT_SUFFIX)] if path.name.endswith(SEGMENT_SUFFIX) else ""
    return int(stem) if stem.isdigit() else None


@dataclass(frozen=True)
class Damage:
    """Bytes of a segment that hold no valid record: [offset, offset + length)."""

    offset: int
    length: int
    reason: str


@dataclass
class SegmentScan:
    """What a segment holds: (lsn, offset, items, record length) per valid record, and its damaged regions."""

    records: list[tuple[int, int, int, int]] = field(default_factory=list)
    damage: list[Damage] = field(default_factory=list)
    size: int = 0

    @property
    def tail_damage(self) -> Damage | None:
        """Damage that runs to the end of the segment with no valid record after it."""
        if not self.damage:
            return None
        last = self.damage[-1]
        return last if last.offset + last.length == self.size else None


def scan_segment(data: bytes) -> SegmentScan:
    """Every valid record of a segment's bytes, resynchronising past damage."""
    scan = SegmentScan(size=len(data))
    offset = 0
    while offset < len(data):
        try:
            entry, length = decode_at(data, offset)
        except CorruptRecord as exc:
            nxt = _resync(data, offset + 1)
            scan.damage.append(Damage(offset, nxt - offset, str(exc)))
            offset = nxt
            continue
        scan.records.append((entry.lsn, offset, entry.items, length))
        offset += length
    return scan


def _resync(data: bytes, start: int) -> int:
    """Offset of the next record at or after `start` that validates, else the end of `data`."""
    pos = data.find(MAGIC, start)
    while pos != -1:
        try:
            decode_at(data, pos)
            return pos
        except CorruptRecord:
            pos = data.find(MAGIC, pos + 1)
    return len(data)
