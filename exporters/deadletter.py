"""Dead letters: requests ClickHouse refused permanently, kept with the error for a later replay.

Each dead letter is two files in the dead-letter directory: `<id>.bin` (the request bytes,
exactly as they would be inserted) and `<id>.json` (kind, items, error, time). The JSON file is
written last, so a dead letter without it is incomplete and ignored. The id is derived from the
queued record and the request's position in it, so replaying a record after a crash does not
create a second dead letter for the same request.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)


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
        data_path = self.directory / f"{letter.id}.bin"
        meta_path = self.directory / f"{letter.id}.json"
        _write_durably(data_path, payload)
        _write_durably(meta_path, json.dumps(asdict(letter), indent=1).encode())
        return meta_path

    def list(self) -> list[DeadLetter]:
        """Every complete dead letter, oldest first."""
        if not self.directory.is_dir():
            return []
        out = []
        for meta in self.directory.glob("*.json"):
            try:
                out.append(DeadLetter(**json.loads(meta.read_text())))
            except (ValueError, TypeError) as exc:
                log.warning("dead letter %s is unreadable (%s); skipped", meta, exc)
        return sorted(out, key=lambda d: (d.created, d.id))

    def payload(self, letter: DeadLetter) -> bytes:
        """The request bytes of `letter`."""
        return (self.directory / f"{letter.id}.bin").read_bytes()

    def remove(self, letter: DeadLetter) -> None:
        """Delete a dead letter (after it was replayed successfully)."""
        (self.directory / f"{letter.id}.json").unlink(missing_ok=True)
        (self.directory / f"{letter.id}.bin").unlink(missing_ok=True)


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
