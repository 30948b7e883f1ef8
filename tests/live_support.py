"""A Server-Sent Events reader for live-tail tests: a thread collects what GET /tail streams."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from typing import Any


class Subscriber(threading.Thread):
    """Reads GET /tail (with `params`) and records (arrival time, event) pairs, notices and the cut message."""

    def __init__(self, admin_url: str, **params: Any) -> None:
        super().__init__(daemon=True)
        self.url = f"{admin_url}/tail?" + urllib.parse.urlencode(params, doseq=True)
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.cut = ""
        self.ended = threading.Event()
        self.subscribed = threading.Event()
        self.error: BaseException | None = None
        self._resp: Any = None
        self.start()
        assert self.subscribed.wait(30), f"no subscription: {self.error}"

    def run(self) -> None:
        try:
            self._resp = urllib.request.urlopen(self.url, timeout=120)
            kind = ""
            for raw in self._resp:
                line = raw.decode().rstrip("\n")
                if line == ": subscribed":
                    self.subscribed.set()
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                    if kind == "cut":
                        self.cut = data["message"]
                    elif kind != "notice":
                        self.events.append((time.monotonic(), data))
                elif not line:
                    kind = ""
        except BaseException as exc:  # reported through .error to the test
            self.error = exc
        finally:
            self.subscribed.set()
            self.ended.set()

    def wait_for(self, predicate: Any, timeout: float = 10) -> list[tuple[float, dict[str, Any]]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [(t, e) for t, e in list(self.events) if predicate(e)]
            if found:
                return found
            time.sleep(0.01)
        return []

    def close(self) -> None:
        if self._resp is not None:
            try:
                self._resp.fp.raw._sock.close()  # noqa: SLF001 - unblocks the reading thread
            except (AttributeError, OSError):
                self._resp.close()
