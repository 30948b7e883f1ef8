"""The official OpenTelemetry JS OTLP/HTTP exporters for tests, run by node (they send OTLP as JSON).

The packages pinned in tests/otel_js/package-lock.json are installed with `npm ci` once into a
cache directory keyed by the lock file (a file lock keeps parallel test workers from installing at
the same time). Only a missing node or npm skips the tests; a failing install fails them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

FIXTURE = Path(__file__).parent / "otel_js"
_FILES = ("package.json", "package-lock.json", "export.mjs")


class NodeMissing(RuntimeError):
    """node or npm is not installed (the only reason to skip the JS exporter tests)."""


def _cache_dir() -> Path:
    digest = hashlib.sha256(b"".join((FIXTURE / f).read_bytes() for f in _FILES)).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tailhouse-tests" / f"otel-js-{digest}"


def install_exporters() -> Path:
    """Directory holding export.mjs and its installed node_modules."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise NodeMissing("node and npm are needed to run the OpenTelemetry JS exporters")
    root = _cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / ".installed").exists():
            return root
        for name in _FILES:
            shutil.copy(FIXTURE / name, root / name)
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                              cwd=root, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"npm ci of the OpenTelemetry JS exporters failed:\n{proc.stdout}{proc.stderr}")
        (root / ".installed").write_text("ok\n")
        return root


def export_worker_invocation(base_url: str, token: str, run_id: str) -> dict[str, str]:
    """Run export.mjs: one Worker-like invocation (2 spans, 2 logs) sent to base_url; its ids."""
    root = install_exporters()
    proc = subprocess.run(["node", "export.mjs", base_url, token, run_id], cwd=root,
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"the JS exporters failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
