"""Logging of the service itself: human-readable lines by default, JSON lines on request.

JSON lines carry `time`, `level`, `logger`, `message`, any structured fields a call attached with
`extra=` (e.g. the progress line's figures) and `exception` when there is one, so a log shipper
can index them without parsing text.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import TextIO

# Attributes every LogRecord has; anything else was passed with `extra=` and is structured data.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                doc[key] = value
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def level_number(level: str) -> int:
    """logging level for a config name (debug, info, warn/warning, error)."""
    name = level.upper()
    return {"WARN": logging.WARNING}.get(name, getattr(logging, name, logging.INFO))


def setup_logging(level: str, fmt: str, stream: TextIO | None = None) -> None:
    """Configure the root logger: `fmt` is `text` or `json`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level_number(level))
