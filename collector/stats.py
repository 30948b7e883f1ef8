"""The service's counters; they live in `tailhouse.pipeline.stats` (exporters report into them too)."""

from tailhouse.pipeline.stats import LATENCY_BUCKETS, ExporterSignalStats, ExporterStats, Histogram, SignalStats, Stats

__all__ = ["LATENCY_BUCKETS", "ExporterSignalStats", "ExporterStats", "Histogram", "SignalStats", "Stats"]
