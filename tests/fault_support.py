"""Fault-test helpers: a steady OTLP/gRPC client that retries like an OTLP exporter, and counting.

The client sends trace requests whose spans have unique names. A request is resent (the same
bytes) until it is acknowledged, honouring the server's RetryInfo delay, as OTLP exporters do.
"Sent" is every span of an acknowledged request; "stored" and "duplicated" come from the
`events` table, so a fault test can assert lost = 0 and duplicated = 0 exactly.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc

from harness import RunningService

TRACE_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED}
CHANNEL_OPTIONS = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 100),
                   ("grpc.max_reconnect_backoff_ms", 500)]


def trace_request(service_name: str, prefix: str, n: int, day_spread: int = 0, pad: int = 0) -> bytes:
    """A trace request of `n` spans named `prefix-i`; `day_spread` puts span i on day -i (a poison when > 100)."""
    req = tsvc.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = service_name
    ss = rs.scope_spans.add()
    now = time.time_ns()
    for i in range(n):
        start = now - (i % day_spread) * 86_400 * 10**9 if day_spread else now
        s = ss.spans.add(name=f"{prefix}-{i}", start_time_unix_nano=start, end_time_unix_nano=start + 1000,
                         trace_id=os.urandom(16), span_id=os.urandom(8))
        if pad:
            s.attributes.add(key="pad").value.string_value = "x" * pad
    return req.SerializeToString()


def retry_delay(err: grpc.RpcError) -> float | None:
    """The RetryInfo delay in a gRPC error's status details, if the server sent one."""
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.RetryInfo()
                if detail.Unpack(info):
                    return info.retry_delay.ToNanoseconds() / 1e9
    return None


class SpanLoad:
    """`threads` clients, each sending a request of `spans` spans every `interval` seconds."""

    def __init__(self, endpoint: str, service_name: str, spans: int = 20, interval: float = 0.02,
                 threads: int = 2, pad: int = 0) -> None:
        self.endpoint = endpoint
        self.service_name = service_name
        self._spans, self._interval, self._pad = spans, interval, pad
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.acked_spans = 0
        self.acked_requests = 0
        self.codes: Counter[str] = Counter()
        self.retry_infos: list[float] = []
        self.failures: list[str] = []
        self._threads = [threading.Thread(target=self._run, args=(t,), daemon=True) for t in range(threads)]

    def start(self) -> "SpanLoad":
        for t in self._threads:
            t.start()
        return self

    def acked(self) -> int:
        with self._lock:
            return self.acked_spans

    def stop(self, timeout: float = 120) -> None:
        """Stop generating; wait until each client's last request is acknowledged."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        assert not any(t.is_alive() for t in self._threads), "clients still retrying unacknowledged requests"
        assert not self.failures, self.failures[:5]

    def _run(self, thread: int) -> None:
        channel = grpc.insecure_channel(self.endpoint, options=CHANNEL_OPTIONS)
        call = channel.unary_unary(TRACE_METHOD, request_serializer=None, response_deserializer=None)
        seq = 0
        while not self._stop.is_set():
            body = trace_request(self.service_name, f"{self.service_name}-{thread}-{seq}", self._spans, pad=self._pad)
            seq += 1
            while True:  # resend the same bytes until acknowledged, as an OTLP exporter does
                try:
                    call(body, timeout=10)
                    with self._lock:
                        self.acked_spans += self._spans
                        self.acked_requests += 1
                        self.codes["OK"] += 1
                    break
                except grpc.RpcError as err:
                    with self._lock:
                        self.codes[err.code().name] += 1
                    if err.code() not in RETRYABLE:
                        self.failures.append(f"{err.code().name}: {err.details()}")
                        return
                    delay = retry_delay(err)
                    if delay is not None:
                        with self._lock:
                            self.retry_infos.append(delay)
                    time.sleep(min(delay if delay is not None else 0.2, 1.0))
            time.sleep(self._interval)
        channel.close()


@dataclass
class Figures:
    """Rows sent, stored, duplicated and lost for one fault scenario."""

    scenario: str
    sent: int
    stored: int
    distinct: int

    @property
    def duplicated(self) -> int:
        return self.stored - self.distinct

    @property
    def lost(self) -> int:
        return self.sent - self.distinct

    def report(self, **extra: Any) -> str:
        more = "".join(f" {k}={v}" for k, v in extra.items())
        line = (f"FAULT {self.scenario}: sent={self.sent} stored={self.stored} duplicated={self.duplicated} "
                f"lost={self.lost}{more}")
        print(line)
        return line


def span_figures(svc: RunningService, scenario: str, service_name: str, sent: int, timeout: float = 120) -> Figures:
    """Wait until the queue is empty and every sent span is stored (or timeout); then count."""
    deadline = time.monotonic() + timeout
    while True:
        row = svc.query(f"SELECT count() AS n, uniqExact(event_name) AS u FROM events "
                        f"WHERE service_name = '{service_name}' AND event_type = 'span'")[0]
        figures = Figures(scenario, sent, int(row["n"]), int(row["u"]))
        if (figures.distinct >= sent and queue_empty(svc)) or time.monotonic() > deadline:
            return figures
        time.sleep(0.5)


def queue_empty(svc: RunningService) -> bool:
    """True when no exporter holds unwritten data."""
    _, stats = svc.get_json("/stats")
    return all(e["queue_bytes"] == 0 for e in stats["exporters"].values())


def exporter_counter(svc: RunningService, name: str, signal: str = "traces") -> int:
    """One counter of the clickhouse exporter for `signal` from /stats."""
    _, stats = svc.get_json("/stats")
    return int(stats["exporters"]["clickhouse"]["signals"].get(signal, {}).get(name, 0))

