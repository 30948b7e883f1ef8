"""Running a command on a real pseudo-terminal, as a user at a terminal would, and talking to it."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from dataclasses import dataclass, field


# Colours and cursor control (ClickHouse colours Pretty output on a terminal; readline moves the cursor).
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")


@dataclass
class TerminalProcess:
    """A subprocess whose stdin, stdout and stderr are one pty; `output` is everything it printed."""

    proc: subprocess.Popen[bytes]
    master: int
    output: bytearray = field(default_factory=bytearray)

    @classmethod
    def start(cls, argv: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> "TerminalProcess":
        master, slave = pty.openpty()
        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, close_fds=True,
                                env={**os.environ, "TERM": "xterm", **(env or {})}, start_new_session=True)
        os.close(slave)
        return cls(proc, master)

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the other side closed
            return False
        self.output.extend(chunk)
        return bool(chunk)

    def expect(self, text: str, timeout: float = 60, since: int = 0) -> int:
        """Wait until `text` appears in the output after offset `since`; the offset just past it."""
        deadline = time.monotonic() + timeout
        while True:
            at = self.text().find(text, since)
            if at >= 0:
                return at + len(text)
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not shown within {timeout}s; terminal so far:\n"
                                     + self.output.decode(errors="replace"))
            if not self._read(0.2) and self.proc.poll() is not None:
                raise AssertionError(f"process exited ({self.proc.returncode}) before {text!r}; terminal:\n"
                                     + self.output.decode(errors="replace"))

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait(self, timeout: float = 60) -> int:
        """Exit status, reading what is left of the output meanwhile."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while select.select([self.master], [], [], 0.05)[0] and self._read(0):
            pass
        code = self.proc.wait(max(0.1, deadline - time.monotonic()))
        os.close(self.master)
        return code

    def text(self) -> str:
        """What the terminal shows, without colour and cursor escapes."""
        return _ESCAPES.sub("", self.output.decode(errors="replace"))
