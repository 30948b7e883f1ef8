"""OTLP/JSON decoding benchmark: Tailhouse's decoder against protobuf's json_format, same bodies.

    python -m bench.otlp_json --seconds 5

The body is a 1,000-span trace request in the shape Workers Observability exports (20 attributes
per span, ids in hex, int64 as strings). Both decoders produce the protobuf request the pipeline
takes; the baseline converts ids to base64 first, as json_format needs. The last line is
`RESULT json_spans_per_s=… json_format_spans_per_s=… speedup=…`.
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from typing import Any, Callable

SPANS = 1000


def workers_body(spans: int = SPANS) -> bytes:
    """A Workers-shaped OTLP/JSON trace request with `spans` spans."""
    now = time.time_ns()
    attrs = [{"key": f"cloudflare.attr{i}", "value": v} for i, v in enumerate(
        [{"stringValue": "LHR"}, {"intValue": "42"}, {"doubleValue": 1.25}, {"boolValue": True}] * 5)]
    span_list = [{
        "traceId": f"{i:032x}", "spanId": f"{i + 1:016x}", "parentSpanId": "", "name": "fetch", "kind": 2,
        "startTimeUnixNano": str(now - 1000), "endTimeUnixNano": str(now), "attributes": attrs,
        "status": {"code": 0},
    } for i in range(spans)]
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}},
                               {"key": "cloud.platform", "value": {"stringValue": "cloudflare.workers"}}]}
    return json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": span_list}]}]}).encode()


def _rate(fn: Callable[[], Any], seconds: float) -> float:
    fn()  # warm up (descriptor tables, caches)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n * SPANS / (time.perf_counter() - start)


def _json_format_decode(body: bytes) -> bytes:
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc

    def ids(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: base64.b64encode(bytes.fromhex(v)).decode() if k in ("traceId", "spanId", "parentSpanId")
                    else ids(v) for k, v in node.items()}
        return [ids(v) for v in node] if isinstance(node, list) else node

    msg = tsvc.ExportTraceServiceRequest()
    json_format.ParseDict(ids(json.loads(body)), msg, ignore_unknown_fields=True)
    return msg.SerializeToString()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="time per decoder")
    args = ap.parse_args()
    from tailhouse.collector.otlp_json import request_from_json
    from tailhouse.pipeline.signals import Signal

    body = workers_body()
    assert request_from_json(Signal.TRACES, body) == _json_format_decode(body), "decoders disagree"
    ours = _rate(lambda: request_from_json(Signal.TRACES, body), args.seconds)
    baseline = _rate(lambda: _json_format_decode(body), args.seconds)
    print(f"body: {len(body) / 1e6:.2f} MB, {SPANS} spans")
    print(f"RESULT json_spans_per_s={ours:.0f} json_format_spans_per_s={baseline:.0f} speedup={ours / baseline:.1f}")


if __name__ == "__main__":
    main()
