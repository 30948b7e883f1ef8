"""The real Workers runtime for tests: `workerd` from npm (pinned), started on pre-bound loopback sockets.

The binary ships inside the npm package for the platform (`@cloudflare/workerd-<os>-<arch>`).
It is installed once into a cache directory shared by test runs and processes (a file lock
keeps parallel test workers from installing at the same time). When npm itself can't be
reached the caller skips; any other failure is a test failure.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

WORKERD_VERSION = "1.20261117.1"
COMPATIBILITY_DATE = "2025-09-01"
_NETWORK_ERRORS = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "ENETUNREACH",
                   "EHOSTUNREACH", "network", "fetch failed")


class NpmUnreachable(RuntimeError):
    """npm is missing or its registry can't be reached (the only reason to skip the runtime tests)."""


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tailhouse-tests" / f"workerd-{WORKERD_VERSION}"


def _find_binary(root: Path) -> Path | None:
    for candidate in sorted((root / "node_modules" / "@cloudflare").glob("workerd-*/bin/workerd")):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def install_workerd() -> Path:
    """Path of the pinned workerd binary, installing it with npm on first use."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _find_binary(root)
        if found:
            return found
        npm = shutil.which("npm")
        if npm is None:
            raise NpmUnreachable("npm is not installed (needed to install the workerd runtime from npm)")
        (root / "package.json").write_text('{"name": "tailhouse-test-runtime", "private": true}\n')
        proc = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-save", "--ignore-scripts",
             f"workerd@{WORKERD_VERSION}"],
            cwd=root, capture_output=True, text=True, timeout=600,
        )
        if proc.returncode != 0:
            output = proc.stdout + proc.stderr
            if any(marker in output for marker in _NETWORK_ERRORS):
                raise NpmUnreachable(f"npm registry unreachable: {output.strip()[-500:]}")
            raise RuntimeError(f"npm install workerd@{WORKERD_VERSION} failed:\n{output}")
        found = _find_binary(root)
        if found is None:
            raise RuntimeError(f"workerd@{WORKERD_VERSION} installed but no binary under {root}/node_modules/@cloudflare")
        return found


def listening_socket() -> socket.socket:
    """A loopback socket already listening on a free port (handed to workerd: no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


@dataclass
class Workerd:
    """A running workerd process and the ports of its sockets."""

    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    log_path: Path
    _sockets: list[socket.socket] = field(default_factory=list)

    def url(self, socket_name: str, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.ports[socket_name]}{path}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            time.sleep(0.2)
        return False


@contextmanager
def run_workerd(binary: Path, config: Path, socket_names: list[str]) -> Iterator[Workerd]:
    """Serve `config` (a workerd .capnp) with its named sockets on free ports; stop it on exit."""
    sockets = {name: listening_socket() for name in socket_names}
    args = [str(binary), "serve", "--experimental", str(config)]
    for name, sock in sockets.items():
        args += ["--socket-fd", f"{name}={sock.fileno()}"]
    log_path = config.with_suffix(".log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=config.parent,
                                   pass_fds=[s.fileno() for s in sockets.values()])
    running = Workerd(process, {n: s.getsockname()[1] for n, s in sockets.items()}, log_path, list(sockets.values()))
    try:
        yield running
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        for sock in sockets.values():
            sock.close()
