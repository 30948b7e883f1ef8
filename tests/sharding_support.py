"""Building OTLP requests and Workers TraceItems for the sharding tests, and sending them."""

from __future__ import annotations

import random
import time
from typing import Any

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lsvc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as msvc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from harness import post_json

NOW_NS = int(time.time() * 1e9)


def trace_ids(n: int, seed: int) -> list[bytes]:
    """`n` distinct random 16-byte trace ids."""
    rng = random.Random(seed)
    return [rng.randbytes(16) for _ in range(n)]


def spans_request(service: str, spans: list[tuple[bytes, int]]) -> tsvc.ExportTraceServiceRequest:
    """One request with a span per (trace id, span number), in two scopes."""
    req = tsvc.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value=service)))
    scopes = [rs.scope_spans.add(), rs.scope_spans.add()]
    scopes[0].scope.name, scopes[1].scope.name = "a", "b"
    for i, (tid, n) in enumerate(spans):
        s = scopes[i % 2].spans.add()
        s.trace_id, s.span_id = tid, n.to_bytes(8, "big")
        s.name = f"op{n % 7}"
        s.start_time_unix_nano = NOW_NS + n
        s.end_time_unix_nano = NOW_NS + n + 1000
    return req


def logs_request(service: str, records: list[tuple[bytes, int]]) -> lsvc.ExportLogsServiceRequest:
    """One request with a log record per (trace id or b'', number)."""
    req = lsvc.ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value=service)))
    sl = rl.scope_logs.add()
    for tid, n in records:
        r = sl.log_records.add()
        r.trace_id = tid
        r.time_unix_nano = NOW_NS + n
        r.body.string_value = f"log line {n}"
    return req


def metrics_request(service: str, series: range) -> msvc.ExportMetricsServiceRequest:
    """One gauge and one sum, with a data point per series number."""
    req = msvc.ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value=service)))
    sm = rm.scope_metrics.add()
    gauge, total = sm.metrics.add(), sm.metrics.add()
    gauge.name, total.name = "temperature", "requests"
    total.sum.is_monotonic = True
    for n in series:
        for points in (gauge.gauge.data_points, total.sum.data_points):
            p = points.add()
            p.time_unix_nano = NOW_NS + n
            p.as_double = float(n)
            p.attributes.append(KeyValue(key="series", value=AnyValue(int_value=n)))
    return req


def trace_item(trace_id: str | None, n: int) -> dict[str, Any]:
    """A fetch TraceItem with one console log; `traceparent` carries `trace_id` when given."""
    headers = {"cf-ray": f"{n:016x}-SJC"}
    if trace_id:
        headers["traceparent"] = f"00-{trace_id}-{n + 1:016x}-01"  # an all-zero parent id is invalid
    ms = NOW_NS // 1_000_000 + n
    return {"scriptName": "shard-worker", "outcome": "ok", "eventTimestamp": ms, "wallTime": 3, "cpuTime": 1,
            "truncated": False, "executionModel": "stateless",
            "event": {"request": {"url": f"https://example.com/p{n % 5}", "method": "GET", "headers": headers},
                      "response": {"status": 200}},
            "logs": [{"level": "log", "message": [f"hello {n}"], "timestamp": ms}], "exceptions": []}


def export_spans(endpoint: str, req: tsvc.ExportTraceServiceRequest, timeout: float = 120) -> None:
    with grpc.insecure_channel(endpoint) as ch:
        TraceServiceStub(ch).Export(req, timeout=timeout)


def export_logs(endpoint: str, req: lsvc.ExportLogsServiceRequest, timeout: float = 120) -> None:
    with grpc.insecure_channel(endpoint) as ch:
        LogsServiceStub(ch).Export(req, timeout=timeout)


def post_tail(url: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """POST TraceItems to the tail receiver; its JSON answer (which must be a 200)."""
    status, answer, _ = post_json(url, items, timeout=120)
    assert status == 200, answer
    return answer
