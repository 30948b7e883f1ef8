"""The periodic progress line: what came in and went out since the last line, and what waits.

One info-level line every `service.telemetry.logs.progress_interval`, e.g.

    progress: traces in 1520/s out 1520/s, logs in 88/s out 88/s, metrics idle; queue 0 items (0 B); refused 0

With `--log-format json` the same figures are also attached as structured fields (`progress`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from tailhouse.pipeline.stats import Stats

log = logging.getLogger("tailhouse.progress")


@dataclass(frozen=True)
class _Snapshot:
    at: float
    accepted: dict[str, int]
    written: dict[str, int]
    refused: int


def _snapshot(stats: Stats) -> _Snapshot:
    return _Snapshot(
        at=time.monotonic(),
        accepted={k: s.accepted_items for k, s in stats.signals.items()},
        written={k: s.written_items for k, s in stats.signals.items()},
        refused=sum(s.refused_requests for s in stats.signals.values()),
    )


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def progress_fields(stats: Stats, prev: _Snapshot, now: _Snapshot) -> dict[str, object]:
    """Rates per signal since `prev`, queue depth and refusals: the content of one progress line."""
    elapsed = max(now.at - prev.at, 1e-9)
    signals = {
        sig: {
            "in_per_s": round((now.accepted[sig] - prev.accepted[sig]) / elapsed, 1),
            "out_per_s": round((now.written[sig] - prev.written[sig]) / elapsed, 1),
        }
        for sig in now.accepted
    }
    stats.refresh()
    return {
        "signals": signals,
        "queue_items": sum(s.pending_items for s in stats.signals.values()),
        "queue_bytes": sum(s.pending_bytes for s in stats.signals.values()),
        "refused_requests": now.refused - prev.refused,
    }


def format_progress(fields: dict[str, object]) -> str:
    """The human-readable progress line."""
    parts = []
    for sig, r in fields["signals"].items():  # type: ignore[union-attr]
        if r["in_per_s"] == 0 and r["out_per_s"] == 0:
            parts.append(f"{sig} idle")
        else:
            parts.append(f"{sig} in {r['in_per_s']:g}/s out {r['out_per_s']:g}/s")
    return (
        f"progress: {', '.join(parts)}; queue {fields['queue_items']} items ({_size(int(fields['queue_bytes']))}); "  # type: ignore[arg-type]
        f"refused {fields['refused_requests']}"
    )


class ProgressReporter:
    """Logs a progress line every `interval` seconds until stopped."""

    def __init__(self, stats: Stats, interval: float) -> None:
        self._stats = stats
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._interval > 0:
            self._task = asyncio.create_task(self._run(), name="progress")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        prev = _snapshot(self._stats)
        while True:
            await asyncio.sleep(self._interval)
            now = _snapshot(self._stats)
            fields = progress_fields(self._stats, prev, now)
            log.info(format_progress(fields), extra={"progress": fields})
            prev = now
