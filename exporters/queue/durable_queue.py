"""A durable FIFO of records in segment files: append (fsynced), read back, mark stored, replay.

One `DurableQueue` per exporter and payload kind, in its own directory (locked, so two processes
never share it). Its methods do blocking file I/O; the exporter calls them from a worker thread,
so they are serialised with a lock.

Lifecycle of a record: `append` writes and fsyncs it (the client may now be acknowledged);
`ack` records that it is stored in ClickHouse; once every record of a closed segment is stored,
the segment is deleted. `open` returns the records not yet stored, oldest first: a restart after
a crash (or after a shutdown that ran out of time) replays them.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from .segments import (ACKS_SUFFIX, SEGMENT_SUFFIX, AckLog, Record, SegmentWriter, encode_record, fsync_dir,
                       read_acks, read_record, scan_segment)

log = logging.getLogger(__name__)

# Digests of this many recent requests are remembered to recognise a client's resend.
DIGEST_WINDOW = 200_000


class QueueLocked(RuntimeError):
    """Another process holds the queue directory."""


def request_digest(payload: bytes) -> bytes:
    """Identity of a request's bytes: a byte-identical resend has the same digest."""
    return hashlib.blake2b(payload, digest_size=16).digest()


@dataclass(frozen=True)
class RecordRef:
    """Where a stored-on-disk record is, and what it holds (without its bytes)."""

    seq: int
    offset: int
    record_id: bytes
    kind: str
    requests: int
    items: int
    nbytes: int


def _ref(seq: int, offset: int, record: Record) -> RecordRef:
    return RecordRef(seq, offset, record.record_id, record.kind, len(record.requests),
                     sum(r.items for r in record.requests), sum(len(r.payload) for r in record.requests))


class DurableQueue:
    """Segment files in `directory`; new segments are started at `segment_size` bytes."""

    def __init__(self, directory: Path, segment_size: int) -> None:
        self.directory = directory
        self._segment_size = segment_size
        self._lock = threading.Lock()
        self._lock_file: int | None = None
        self._writer: SegmentWriter | None = None
        self._active_seq = 0
        self._outstanding: dict[int, int] = {}  # segment seq -> records not yet stored
        self._acklogs: dict[int, AckLog] = {}
        self._recent: OrderedDict[bytes, None] = OrderedDict()

    def _path(self, seq: int, suffix: str) -> Path:
        return self.directory / f"{seq:016d}{suffix}"

    def open(self) -> list[RecordRef]:
        """Lock the directory and return the records not yet stored, oldest first."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise QueueLocked(f"queue directory {self.directory} is in use by another process") from None
        self._lock_file = fd
        pending: list[RecordRef] = []
        seqs = sorted(int(p.stem) for p in self.directory.glob(f"*{SEGMENT_SUFFIX}") if p.stem.isdigit())
        for seq in seqs:
            path = self._path(seq, SEGMENT_SUFFIX)
            acked = read_acks(self._path(seq, ACKS_SUFFIX))
            left = 0
            for offset, _, record in scan_segment(path):
                for r in record.requests:
                    self._remember(request_digest(r.payload))
                if offset not in acked:
                    pending.append(_ref(seq, offset, record))
                    left += 1
            if left:
                self._outstanding[seq] = left
            else:
                self._delete_segment(seq)
        # A new segment after a restart: never append behind a possibly torn record.
        self._active_seq = (seqs[-1] + 1) if seqs else 1
        self._writer = SegmentWriter(self._path(self._active_seq, SEGMENT_SUFFIX))
        fsync_dir(self.directory)
        return pending

    def append(self, record: Record) -> RecordRef:
        """Write and fsync `record`; when this returns, it survives a crash."""
        data = encode_record(record)
        with self._lock:
            if self._writer is None:
                raise RuntimeError("queue is not open")
            offset = self._writer.append(data)
            if offset == 0:
                fsync_dir(self.directory)  # the new segment's directory entry must survive too
            seq = self._active_seq
            self._outstanding[seq] = self._outstanding.get(seq, 0) + 1
            for r in record.requests:
                self._remember(request_digest(r.payload))
            if self._writer.size >= self._segment_size:
                self._roll()
        return _ref(seq, offset, record)

    def read(self, ref: RecordRef) -> Record:
        """The record `ref` points at."""
        return read_record(self._path(ref.seq, SEGMENT_SUFFIX), ref.offset)

    def ack(self, ref: RecordRef) -> None:
        """Record that `ref` is stored; delete its segment when nothing in it is left to store."""
        with self._lock:
            left = self._outstanding.get(ref.seq, 0) - 1
            if left > 0 or ref.seq == self._active_seq:
                self._outstanding[ref.seq] = max(left, 0)
                acks = self._acklogs.get(ref.seq)
                if acks is None:
                    acks = self._acklogs[ref.seq] = AckLog(self._path(ref.seq, ACKS_SUFFIX))
                acks.add(ref.offset)
                return
            self._outstanding.pop(ref.seq, None)
            self._delete_segment(ref.seq)

    def seen(self, digest: bytes) -> bool:
        """True when a request with this digest was queued recently (it is durable already)."""
        with self._lock:
            return digest in self._recent

    def close(self) -> None:
        """Close files and release the directory lock (unstored records stay for the next start)."""
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            for acks in self._acklogs.values():
                acks.close()
            self._acklogs.clear()
            if self._lock_file is not None:
                os.close(self._lock_file)
                self._lock_file = None

    def _remember(self, digest: bytes) -> None:
        self._recent[digest] = None
        if len(self._recent) > DIGEST_WINDOW:
            self._recent.popitem(last=False)

    def _roll(self) -> None:
        assert self._writer is not None
        self._writer.close()
        old = self._active_seq
        self._active_seq += 1
        self._writer = SegmentWriter(self._path(self._active_seq, SEGMENT_SUFFIX))
        if self._outstanding.get(old, 0) == 0:
            self._outstanding.pop(old, None)
            self._delete_segment(old)

    def _delete_segment(self, seq: int) -> None:
        acks = self._acklogs.pop(seq, None)
        if acks is not None:
            acks.close()
        for suffix in (SEGMENT_SUFFIX, ACKS_SUFFIX):
            self._path(seq, suffix).unlink(missing_ok=True)
