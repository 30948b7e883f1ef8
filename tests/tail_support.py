"""Test support for the tail receivers: the tail service (testdata/configs/tail.yaml) and POSTs with its token.

chDB allows one engine (data directory) per process at a time, so a test module starts one
service and shares it; tests tell their rows apart by script name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import RunningService, post_json, start

TOKEN = "test-token-123"


def tail_service(workdir: Path, **values: Any) -> RunningService:
    """The tail service in thread mode: both tail transports on free loopback ports, TOKEN, storing under workdir."""
    return start(workdir, "tail", mode="thread", token=TOKEN, **values)


def post(url: str, body: bytes | str | Any, *, token: str | None = TOKEN,
         **kw: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    """POST to the tail receiver with the tail service's token (or `token`); returns (status, JSON answer, headers)."""
    return post_json(url, body, token=token, **kw)
