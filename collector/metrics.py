"""Prometheus exposition of the service's own figures (`GET /metrics` on the admin endpoint).

A custom collector reads `Stats` at scrape time, so /metrics and /stats always show the same
numbers and nothing is counted twice. Each Service has its own CollectorRegistry: several
services in one process (tests) never share or clash over metrics.
"""

from __future__ import annotations

from typing import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from tailhouse.pipeline.stats import Stats

PREFIX = "tailhouse"

# (SignalStats field, metric name, help, is a counter)
_SIGNAL_METRICS: list[tuple[str, str, str, bool]] = [
    ("requests", "receiver_requests", "Export requests received.", True),
    ("refused_requests", "receiver_refused_requests", "Export requests answered with an error.", True),
    ("received_items", "receiver_received_items", "Items (spans, log records, data points) in decodable requests.", True),
    ("accepted_items", "receiver_accepted_items", "Items accepted.", True),
    ("rejected_items", "receiver_rejected_items", "Items refused within accepted requests (partial success).", True),
]
_EXPORTER_METRICS: list[tuple[str, str, str, bool]] = [
    ("submitted_items", "exporter_submitted_items", "Items handed to the exporter.", True),
    ("written_items", "exporter_written_rows", "Rows written to ClickHouse.", True),
    ("failed_items", "exporter_failed_items", "Items whose write failed (refused back to the client).", True),
    ("batches", "exporter_batches", "Inserts made.", True),
    ("retries", "exporter_retries", "Insert attempts repeated after a retryable error.", True),
    ("dead_letter_items", "exporter_dead_letter_items", "Items moved to the dead-letter store.", True),
    ("refused_items", "exporter_refused_items", "Items refused with backpressure because the queue was full.", True),
    ("resent_items", "exporter_resent_items", "Items of resent requests already queued (not stored twice).", True),
    ("replayed_items", "exporter_replayed_items", "Items replayed from the queue at start.", True),
    ("corrupt_records", "exporter_corrupt_records", "Damaged write-ahead log records skipped (kept aside).", True),
    ("pending_items", "exporter_queue_items", "Items waiting to be written (queue depth).", False),
    ("pending_bytes", "exporter_queue_bytes", "Request bytes waiting to be written.", False),
]


class StatsCollector(Collector):
    """Turns a Stats snapshot into Prometheus metric families."""

    def __init__(self, stats: Stats, health: Callable[[], tuple[bool, str]]) -> None:
        self._stats = stats
        self._health = health

    def collect(self) -> Iterator[Metric]:
        self._stats.refresh()
        for attr, name, doc, counter in _SIGNAL_METRICS:
            fam = _family(name, doc, counter, ["signal"])
            for signal, s in self._stats.signals.items():
                fam.add_metric([signal], getattr(s, attr))
            yield fam
        for attr, name, doc, counter in _EXPORTER_METRICS:
            fam = _family(name, doc, counter, ["exporter", "signal"])
            for exporter, e in self._stats.exporters.items():
                for signal, s in e.signals.items():
                    fam.add_metric([exporter, signal], getattr(s, attr))
            yield fam
        cap = GaugeMetricFamily(f"{PREFIX}_exporter_queue_capacity_bytes",
                                "Queue capacity in bytes (0 = unbounded).", labels=["exporter"])
        up = GaugeMetricFamily(f"{PREFIX}_exporter_healthy", "1 when the exporter can write.", labels=["exporter"])
        latency = HistogramMetricFamily(f"{PREFIX}_exporter_latency_seconds",
                                        "Time to store one insert, retries included.", labels=["exporter", "signal"])
        for exporter, e in self._stats.exporters.items():
            cap.add_metric([exporter], e.queue_capacity_bytes)
            up.add_metric([exporter], 1 if e.healthy else 0)
            for signal, h in e.latency.items():
                buckets = [(_le(bound), n) for bound, n in h.cumulative()]
                latency.add_metric([exporter, signal], buckets, h.total)
        yield cap
        yield up
        yield latency
        healthy, _ = self._health()
        ready = GaugeMetricFamily(f"{PREFIX}_ready", "1 when /health answers 200.")
        ready.add_metric([], 1 if healthy else 0)
        yield ready


def _family(name: str, doc: str, counter: bool, labels: list[str]) -> CounterMetricFamily | GaugeMetricFamily:
    cls = CounterMetricFamily if counter else GaugeMetricFamily
    return cls(f"{PREFIX}_{name}", doc, labels=labels)


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def make_registry(stats: Stats, health: Callable[[], tuple[bool, str]]) -> CollectorRegistry:
    """A registry of its own for one service."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatsCollector(stats, health))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """Prometheus text format of everything in `registry`."""
    return generate_latest(registry)
