"""Counters the service keeps, shown on the admin endpoint (/stats as JSON, /metrics for Prometheus).

Two views of the same flow:

* per signal (`Stats.of(signal)`): what receivers took in and what became of it, summed over
  exporters;
* per exporter and signal (`Stats.exporter(name, signal)`): what one exporter was handed, wrote,
  retried, holds in its queue and dead-lettered.

Exporters report through `Stats.export_add` / `Stats.observe_export`, which keep both views in
step. Log figures: `pending_*` is what was accepted into an exporter's write-ahead log and is not
yet stored (read from the logs by `refresh()`), `queue_capacity_bytes` the log's limit, and
`dead_letter_items` what a destination refused permanently and was set aside.
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field, fields
from typing import Callable

from .signals import Signal

# Export latency buckets (seconds): an embedded insert takes milliseconds, a retried one minutes.
LATENCY_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass
class SignalStats:
    requests: int = 0            # export calls received
    refused_requests: int = 0    # calls answered with an error (bad input or store failure)
    accepted_items: int = 0      # spans / log records / data points accepted
    rejected_items: int = 0      # items refused inside otherwise good requests (partial_success)
    written_items: int = 0       # items stored in ClickHouse
    failed_items: int = 0        # items whose store failed (client told to retry)
    batches: int = 0             # inserts made
    retries: int = 0             # insert attempts repeated after a retryable error
    pending_items: int = 0       # accepted, not yet stored
    pending_bytes: int = 0       # request bytes accepted, not yet stored
    dead_letter_items: int = 0   # items set aside as undeliverable (a dead-letter queue)
    corrupt_records: int = 0     # records of a write-ahead log found damaged (skipped, counted, kept aside)

    @property
    def received_items(self) -> int:
        """Items that arrived in decodable requests (accepted + rejected)."""
        return self.accepted_items + self.rejected_items


@dataclass
class ExporterSignalStats:
    """One exporter's figures for one signal."""

    submitted_items: int = 0     # items handed to the exporter
    written_items: int = 0       # rows stored
    failed_items: int = 0        # items whose store failed (refused back to the client)
    batches: int = 0             # inserts made
    retries: int = 0             # insert attempts repeated after a retryable error
    pending_items: int = 0       # log depth: items waiting to be written
    pending_bytes: int = 0       # log size in request bytes not yet written
    dead_letter_items: int = 0   # items moved to a dead-letter store
    refused_items: int = 0       # items refused because the queue was full (backpressure)
    resent_items: int = 0        # items of byte-identical resends of queued requests, not stored twice
    replayed_items: int = 0      # items found in the log at start (left by the previous run)
    corrupt_records: int = 0     # damaged log records skipped (their segment is kept aside)


@dataclass
class Histogram:
    """Cumulative-bucket histogram (the shape Prometheus exposes), kept without prometheus-client."""

    bounds: tuple[float, ...] = LATENCY_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value
        self.count += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """(upper bound, observations ≤ bound) pairs ending with (+inf, count)."""
        out, running = [], 0
        for bound, n in zip((*self.bounds, float("inf")), self.counts):
            running += n
            out.append((bound, running))
        return out


@dataclass
class ExporterStats:
    """Everything one exporter reports."""

    signals: dict[str, ExporterSignalStats] = field(default_factory=dict)
    latency: dict[str, Histogram] = field(default_factory=dict)  # per signal, seconds per successful store
    queue_capacity_bytes: int = 0  # the exporter's write-ahead log limit (set when its logs open)
    # a copy of the exporter's own health (decided by its logs and senders), for /stats
    healthy: bool = True
    problem: str = ""

    def of(self, signal: Signal) -> ExporterSignalStats:
        return self.signals.setdefault(signal.value, ExporterSignalStats())

    def queue_bytes(self) -> int:
        return sum(s.pending_bytes for s in self.signals.values())



_SHARED = {f.name for f in fields(ExporterSignalStats)} & {f.name for f in fields(SignalStats)}


@dataclass
class Stats:
    signals: dict[str, SignalStats] = field(default_factory=lambda: {s.value: SignalStats() for s in Signal})
    exporters: dict[str, ExporterStats] = field(default_factory=dict)
    # gauges read at snapshot time (log depths): each sets its exporters' pending figures
    refreshers: list[Callable[[], None]] = field(default_factory=list)

    def refresh(self) -> None:
        """Update the gauges (pending items/bytes per exporter, and their sums per signal)."""
        if not self.refreshers:
            return
        for refresh in self.refreshers:
            refresh()
        for name, total in self.signals.items():
            total.pending_items = sum(e.signals[name].pending_items for e in self.exporters.values() if name in e.signals)
            total.pending_bytes = sum(e.signals[name].pending_bytes for e in self.exporters.values() if name in e.signals)

    def of(self, signal: Signal) -> SignalStats:
        return self.signals[signal.value]

    def exporter(self, name: str) -> ExporterStats:
        """The figures of exporter `name` (created on first use)."""
        return self.exporters.setdefault(name, ExporterStats())

    def export_add(self, exporter: str, signal: Signal, **deltas: int) -> None:
        """Add to an exporter's counters for `signal`; the shared ones also go to the signal totals.

        `submitted_items` has no per-signal twin (the signal's `accepted_items` counts requests once
        even when two exporters store them).
        """
        per_exporter = self.exporter(exporter).of(signal)
        total = self.of(signal)
        for name, delta in deltas.items():
            setattr(per_exporter, name, getattr(per_exporter, name) + delta)
            if name in _SHARED:
                setattr(total, name, getattr(total, name) + delta)

    def observe_export(self, exporter: str, signal: Signal, seconds: float) -> None:
        """Record how long storing one batch took (from hand-over to stored)."""
        self.exporter(exporter).latency.setdefault(signal.value, Histogram()).observe(seconds)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready snapshot: per signal, then per exporter and signal."""
        self.refresh()
        signals = {name: {**asdict(s), "received_items": s.received_items} for name, s in self.signals.items()}
        exporters: dict[str, object] = {}
        for name, e in self.exporters.items():
            exporters[name] = {
                "healthy": e.healthy,
                "problem": e.problem,
                "queue_capacity_bytes": e.queue_capacity_bytes,
                "queue_bytes": e.queue_bytes(),
                "signals": {
                    sig: {
                        **asdict(s),
                        "export_latency_seconds": _latency_summary(e.latency.get(sig)),
                    }
                    for sig, s in e.signals.items()
                },
            }
        return {"signals": signals, "exporters": exporters}


def _latency_summary(h: Histogram | None) -> dict[str, float | int]:
    if h is None or h.count == 0:
        return {"count": 0, "sum": 0.0}
    return {"count": h.count, "sum": round(h.total, 6), "mean": round(h.total / h.count, 6)}
