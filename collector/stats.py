"""Counters the service keeps per signal, shown on the admin endpoint's /stats."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .otlp_requests import Signal


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


@dataclass
class Stats:
    signals: dict[str, SignalStats] = field(default_factory=lambda: {s.value: SignalStats() for s in Signal})

    def of(self, signal: Signal) -> SignalStats:
        return self.signals[signal.value]

    def as_dict(self) -> dict[str, dict[str, int]]:
        """JSON-ready snapshot."""
        return {name: asdict(s) for name, s in self.signals.items()}
