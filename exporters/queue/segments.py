"""Segment files: the on-disk format of the durable queue.

A queue directory holds numbered segment files `<seq>.seg`, each a sequence of records:

    record  = header body
    header  = magic "THQ1" | body length (u32 LE) | CRC-32 of body (u32 LE)
    body    = record id (16 bytes) | kind length (u8) | kind (ASCII)
              | request count (u32 LE) | per request: items (u64 LE), length (u32 LE), bytes

A record is written once, then fsynced; it is never rewritten. A record cut short by a crash
(short read or CRC mismatch) can only be the last one of its segment, because nothing is
written after a record before it is complete: reading stops there and the rest is ignored.

Next to a segment, `<seq>.acks` lists the offsets (u64 LE) of its records already stored in
ClickHouse. It is not fsynced: an offset lost in a crash only means the record is inserted again
on replay, and the record's stable deduplication token makes ClickHouse store it once.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

MAGIC = b"THQ1"
_HEADER = struct.Struct("<4sII")
_REQUEST = struct.Struct("<QI")
_COUNT = struct.Struct("<I")
_ACK = struct.Struct("<Q")
SEGMENT_SUFFIX = ".seg"
ACKS_SUFFIX = ".acks"


class CorruptRecord(ValueError):
    """Bytes that are not a whole, intact record (a torn write at the end of a segment)."""


@dataclass(frozen=True)
class QueuedRequest:
    """One client request inside a record: its payload and how many items (rows) it holds."""

    payload: bytes
    items: int


@dataclass(frozen=True)
class Record:
    """A decoded record: the unit of insertion, and of deduplication through its id."""

    record_id: bytes
    kind: str
    requests: list[QueuedRequest]


def encode_record(record: Record) -> bytes:
    """Header and body of `record`, ready to append to a segment."""
    kind = record.kind.encode("ascii")
    parts = [record.record_id, bytes([len(kind)]), kind, _COUNT.pack(len(record.requests))]
    for r in record.requests:
        parts.append(_REQUEST.pack(r.items, len(r.payload)))
        parts.append(r.payload)
    body = b"".join(parts)
    return _HEADER.pack(MAGIC, len(body), zlib.crc32(body)) + body


def decode_body(body: bytes) -> Record:
    """The record in `body` (the bytes after the header); CorruptRecord if they do not add up."""
    try:
        record_id = body[:16]
        klen = body[16]
        kind = body[17:17 + klen].decode("ascii")
        pos = 17 + klen
        (count,) = _COUNT.unpack_from(body, pos)
        pos += _COUNT.size
        requests = []
        for _ in range(count):
            items, length = _REQUEST.unpack_from(body, pos)
            pos += _REQUEST.size
            if pos + length > len(body):
                raise CorruptRecord("request runs past the end of the record")
            requests.append(QueuedRequest(body[pos:pos + length], items))
            pos += length
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise CorruptRecord(f"undecodable record body: {exc}") from exc
    if pos != len(body) or len(record_id) != 16:
        raise CorruptRecord("record body has trailing or missing bytes")
    return Record(record_id, kind, requests)


def read_record(path: Path, offset: int) -> Record:
    """The record at `offset` of segment `path`."""
    with open(path, "rb") as f:
        f.seek(offset)
        return _read_one(f)[0]


def _read_one(f: "os.PathLike[str] | object") -> tuple[Record, int]:
    header = f.read(_HEADER.size)  # type: ignore[attr-defined]
    if len(header) < _HEADER.size:
        raise CorruptRecord("short header")
    magic, length, crc = _HEADER.unpack(header)
    if magic != MAGIC:
        raise CorruptRecord("bad magic")
    body = f.read(length)  # type: ignore[attr-defined]
    if len(body) != length or zlib.crc32(body) != crc:
        raise CorruptRecord("short or damaged body")
    return decode_body(body), _HEADER.size + length


def scan_segment(path: Path) -> Iterator[tuple[int, int, Record]]:
    """(offset, size, record) of every intact record of a segment, stopping at a torn tail."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        offset = 0
        while offset < size:
            try:
                record, length = _read_one(f)
            except CorruptRecord as exc:
                log.warning("queue segment %s: ignoring %d bytes after offset %d (%s; a write cut short by a crash)",
                            path, size - offset, offset, exc)
                return
            yield offset, length, record
            offset += length


def read_acks(path: Path) -> set[int]:
    """Offsets recorded as stored in an acks file (a torn last entry is ignored)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return set()
    whole = len(data) - len(data) % _ACK.size
    return {v for (v,) in _ACK.iter_unpack(data[:whole])}


def fsync_dir(path: Path) -> None:
    """Make file creations and deletions in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SegmentWriter:
    """The open (newest) segment: records are appended and fsynced here."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open(path, "ab")
        self.size = self._file.tell()

    def append(self, data: bytes) -> int:
        """Write and fsync one encoded record; returns its offset."""
        offset = self.size
        self._file.write(data)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.size += len(data)
        return offset

    def close(self) -> None:
        self._file.close()


class AckLog:
    """Appends offsets of stored records to a segment's acks file (kept open while in use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open(path, "ab")

    def add(self, offset: int) -> None:
        self._file.write(_ACK.pack(offset))
        self._file.flush()

    def close(self) -> None:
        self._file.close()
