"""Cost of the optional per-item limits, and what JSON parsing off the event loop buys /health.

1. Per-item limits: spans/s of the intake's own parse (`parse_request`) alone and of the limits
   check (`ItemLimiter.apply`, a second parse plus a walk of every attribute) on 1,000-span
   trace requests with 10 attributes per span.
2. OTLP/JSON: a large JSON export is posted to a running OTLP/HTTP receiver while /health on the
   admin port is polled; the slowest /health answer during the upload is reported.

The last line is `RESULT parse_spans_per_s=… limits_spans_per_s=… json_mib=… health_max_ms=…`.
Run from the repository root: `python -m bench.security_limits`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from tailhouse.collector.receivers.otlp.config import ItemLimitsConfig
from tailhouse.collector.receivers.otlp.item_limits import ItemLimiter
from tailhouse.collector.otlp_requests import parse_request
from tailhouse.pipeline.signals import Signal


def _request(spans: int) -> bytes:
    attrs = [common_pb2.KeyValue(key=f"attr.{i}", value=common_pb2.AnyValue(string_value="value-" * 4))
             for i in range(10)]
    items = [trace_pb2.Span(trace_id=i.to_bytes(16, "big"), span_id=(i + 1).to_bytes(8, "big"), name="op",
                            start_time_unix_nano=1, end_time_unix_nano=2, attributes=attrs) for i in range(spans)]
    return trace_pb.ExportTraceServiceRequest(resource_spans=[trace_pb2.ResourceSpans(
        scope_spans=[trace_pb2.ScopeSpans(spans=items)])]).SerializeToString()


def _rate(fn, data: bytes, spans: int, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn(data)
        n += 1
    return n * spans / (time.perf_counter() - start)


def _json_body(mib: float) -> bytes:
    span = {"traceId": "01" * 16, "spanId": "02" * 8, "name": "bulk", "startTimeUnixNano": "1",
            "endTimeUnixNano": "2", "attributes": [{"key": f"k{i}", "value": {"stringValue": "v" * 40}} for i in range(8)]}
    one = len(json.dumps(span)) + 1
    spans = [dict(span, spanId=f"{i:016x}") for i in range(int(mib * 2**20 / one))]
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()


def _health_during_json(mib: float) -> tuple[float, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from harness import start  # tests/ helper: a service on free loopback ports

    svc = start(Path(tempfile.mkdtemp()), "otlp_protocols", mode="thread",
                protocols="http: {endpoint: 127.0.0.1:0, max_request_body_size: 64MiB}")
    try:
        body = _json_body(mib)
        done = threading.Event()

        def post() -> None:
            req = urllib.request.Request(svc.endpoint("otlp/http") + "/v1/traces", data=body,
                                         headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(req, timeout=300) as resp:
                resp.read()
            done.set()

        threading.Thread(target=post, daemon=True).start()
        worst = 0.0
        while not done.is_set():
            start = time.perf_counter()
            with urllib.request.urlopen(svc.admin_url + "/health", timeout=60) as resp:
                resp.read()
            worst = max(worst, time.perf_counter() - start)
            time.sleep(0.02)
        return len(body) / 2**20, worst * 1000
    finally:
        svc.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="time per throughput measurement")
    ap.add_argument("--json-mib", type=float, default=12.0, help="size of the OTLP/JSON request")
    args = ap.parse_args()
    data = _request(1000)
    limiter = ItemLimiter(ItemLimitsConfig(max_attributes=128, max_attribute_value_length=4096))
    parse = _rate(lambda d: parse_request(Signal.TRACES, d), data, 1000, args.seconds)
    limits = _rate(lambda d: limiter.apply(Signal.TRACES, d), data, 1000, args.seconds)
    print(f"parse_request: {parse:,.0f} spans/s; item limits check: {limits:,.0f} spans/s")
    mib, worst = _health_during_json(args.json_mib)
    print(f"/health slowest answer while a {mib:.1f} MiB OTLP/JSON request was handled: {worst:.0f} ms")
    print(f"RESULT parse_spans_per_s={parse:.0f} limits_spans_per_s={limits:.0f} json_mib={mib:.1f} health_max_ms={worst:.0f}")


if __name__ == "__main__":
    main()
