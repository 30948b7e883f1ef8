"""Signals and payload kinds: the vocabulary both sides of the pipeline speak."""

from __future__ import annotations

from enum import Enum


class Signal(str, Enum):
    """An OpenTelemetry signal; a pipeline carries one."""

    TRACES = "traces"
    LOGS = "logs"
    METRICS = "metrics"

    @property
    def request_message(self) -> str:
        """Protobuf message name of this signal's export request."""
        return _REQUEST_NAMES[self]


_REQUEST_NAMES = {
    Signal.TRACES: "ExportTraceServiceRequest",
    Signal.LOGS: "ExportLogsServiceRequest",
    Signal.METRICS: "ExportMetricsServiceRequest",
}

# Payload kind of mapped Cloudflare tail rows (JSONEachRow lines of finished `events` rows).
TAIL_KIND = "cloudflare_tail"


def otlp_kind(signal: Signal) -> str:
    """Payload kind (log and landing-table key) of OTLP protobuf requests of `signal`."""
    return f"otlp_{signal.value}"


# payload kind -> the signal whose pipelines and counters it belongs to
KIND_SIGNALS: dict[str, Signal] = {**{otlp_kind(s): s for s in Signal}, TAIL_KIND: Signal.LOGS}
