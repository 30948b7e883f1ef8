"""Dead letters: requests a destination refused permanently, kept with the error for a later replay.

Each dead letter is two files in the dead-letter directory: `<id>.bin` (the request bytes,
exactly as they would be inserted) and `<id>.json` (kind, items, error, time). The JSON file is
written last, so a dead letter without it is incomplete and ignored. The id is derived from the
write-ahead log record (`letter_id`), so replaying a record after a crash does not create a
second dead letter for the same request.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Ids are `letter_id`'s `<log id>-<reader>-<lsn>[-<part>]`; anything else (a path separator, `..`) is not one of ours.
_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,127}")


class InvalidDeadLetter(ValueError):
    """A dead-letter entry whose id or fields are not what this store writes."""


def check_id(letter_id: object) -> str:
    """`letter_id` when it is a valid dead-letter id (so `<id>.bin` stays inside the directory)."""
    if not isinstance(letter_id, str) or not _ID.fullmatch(letter_id):
        raise InvalidDeadLetter(f"invalid dead-letter id {letter_id!r} (expected letters, digits, '-' and '_')")
    return letter_id


def _letter_from_json(meta: Path) -> DeadLetter:
    """Parse and check one metadata file: fields typed as written, id equal to the file's name."""
    doc = json.loads(meta.read_text())
    if not isinstance(doc, dict):
        raise InvalidDeadLetter("not a JSON object")
    letter = DeadLetter(**doc)
    check_id(letter.id)
    if letter.id != meta.stem:
        raise InvalidDeadLetter(f"id {letter.id!r} does not match the file name {meta.name!r}")
    if not isinstance(letter.kind, str) or not isinstance(letter.items, int) or not isinstance(letter.nbytes, int):
        raise InvalidDeadLetter("kind must be a string, items and nbytes integers")
    return letter


@dataclass(frozen=True)
class DeadLetter:
    """Metadata of one dead-lettered request."""

    id: str
    kind: str
    items: int
    nbytes: int
    error: str
    created: float  # unix seconds


class DeadLetterStore:
    """The dead-letter directory of one exporter."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def write(self, letter: DeadLetter, payload: bytes) -> Path:
        """Store `payload` with its metadata (both fsynced); returns the metadata file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        data_path = self._path(letter.id, ".bin")
        meta_path = self._path(letter.id, ".json")
        _write_durably(data_path, payload)
        _write_durably(meta_path, json.dumps(asdict(letter), indent=1).encode())
        return meta_path

    def list(self) -> list[DeadLetter]:
        """Every complete dead letter, oldest first."""
        if not self.directory.is_dir():
            return []
        out = []
        for meta in self.directory.glob("*.json"):
            if meta.is_symlink() or not meta.is_file():
                log.warning("dead letter %s is not a regular file; skipped", meta)
                continue
            try:
                out.append(_letter_from_json(meta))
            except (ValueError, TypeError, OSError) as exc:
                log.warning("dead letter %s is unreadable (%s); skipped", meta, exc)
        return sorted(out, key=lambda d: (d.created, d.id))

    def payload(self, letter: DeadLetter) -> bytes:
        """The request bytes of `letter`."""
        return self._path(letter.id, ".bin").read_bytes()

    def remove(self, letter: DeadLetter) -> None:
        """Delete a dead letter (after it was replayed successfully)."""
        self._path(letter.id, ".json").unlink(missing_ok=True)
        self._path(letter.id, ".bin").unlink(missing_ok=True)

    def _path(self, letter_id: str, suffix: str) -> Path:
        """`<directory>/<id><suffix>`, refusing ids that could name a file elsewhere."""
        path = self.directory / f"{check_id(letter_id)}{suffix}"
        if path.resolve().parent != self.directory.resolve():
            raise InvalidDeadLetter(f"dead letter {letter_id!r} resolves outside {self.directory}")
        return path


def letter_id(log_id: str, reader: str, lsn: int, part: int = 0) -> str:
    """The dead letter of record `lsn` of a log, as read by `reader` (`part`: one of the pieces a record
    was split into, e.g. per shard). Stable across restarts: a replayed record finds its letter."""
    return f"{log_id}-{reader}-{lsn}" + (f"-{part}" if part else "")


def new_letter(letter_id: str, kind: str, items: int, nbytes: int, error: str) -> DeadLetter:
    """A DeadLetter stamped with the current time."""
    return DeadLetter(letter_id, kind, items, nbytes, error, time.time())


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
