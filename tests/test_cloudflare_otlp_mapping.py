"""Cloudflare Workers' native OTLP export (OTLP/JSON over HTTP): `cloudflare.*` attributes fill our columns.

The bodies are shaped like what Workers Observability sends: resource `cloud.provider=cloudflare`,
`cloud.platform=cloudflare.workers`, `faas.name`, and `cloudflare.*` attributes on the resource or
on the span / log record itself.
"""

from __future__ import annotations

import json
import time
from typing import Iterator

import pytest
from harness import RunningService, http_request, start


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    s = start(tmp_path_factory.mktemp("cf_otlp"), "otlp", mode="thread")
    yield s
    s.stop()


def _kv(key: str, value: str | int | float) -> dict:
    if isinstance(value, str):
        return {"key": key, "value": {"stringValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"doubleValue": value}}


def _resource(**extra: str) -> dict:
    attrs = {"cloud.provider": "cloudflare", "cloud.platform": "cloudflare.workers", "faas.name": "shop-api",
             "telemetry.sdk.name": "cloudflare", "telemetry.sdk.language": "javascript", **extra}
    return {"attributes": [_kv(k, v) for k, v in attrs.items()]}


def _post(svc: RunningService, path: str, doc: dict) -> None:
    status, _, body = http_request(svc.endpoint("otlp/http") + path, json.dumps(doc).encode(),
                                   {"Content-Type": "application/json"}, method="POST")
    assert status == 200, body


def _span(trace_id: str, name: str, start: int, end: int, attrs: dict[str, str | int | float]) -> dict:
    return {"traceId": trace_id, "spanId": trace_id[:16], "name": name, "kind": 2,
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(end),
            "attributes": [_kv(k, v) for k, v in attrs.items()], "status": {}}


def test_worker_spans_map_cloudflare_attributes(svc: RunningService) -> None:
    now = time.time_ns()
    root, other = "1f" * 16, "2e" * 16
    doc = {"resourceSpans": [
        {  # no service.name: the script name stands in for it
            "resource": _resource(**{"cloudflare.script_name": "shop-api"}),
            "scopeSpans": [{"scope": {"name": "cloudflare"}, "spans": [
                # Workers report 0 ms for spans without I/O: the wall time fills duration_ns
                _span(root, "fetch", now, now, {
                    "cloudflare.ray_id": "8f1e2d3c4b5a6978", "cloudflare.colo": "LHR",
                    "cloudflare.outcome": "exceededCpu", "cloudflare.cpu_time_ms": 51,
                    "cloudflare.wall_time_ms": 12.5, "http.request.method": "GET",
                    "url.full": "https://shop.example/cart", "http.response.status_code": 200}),
            ]}],
        },
        {  # service.name set (as Workers do in some setups): it wins; a real duration is kept
            "resource": _resource(**{"service.name": "named-svc", "cloudflare.script_name": "shop-api",
                                     "cloudflare.colo": "SFO"}),
            "scopeSpans": [{"scope": {"name": "cloudflare"}, "spans": [
                _span(other, "kv_get", now, now + 3_000_000, {"cloudflare.wall_time_ms": 99}),
            ]}],
        },
    ]}
    _post(svc, "/v1/traces", doc)
    rows = svc.store_rows(
        "SELECT trace_id, service_name, request_id, geo_colo, outcome, cpu_time_ms, duration_ns, http_method, "
        "attributes['cloudflare.ray_id'], resource_attributes['cloudflare.script_name'] "
        f"FROM events WHERE trace_id IN ('{root}', '{other}') ORDER BY trace_id")
    assert rows == [
        (root, "shop-api", "8f1e2d3c4b5a6978", "LHR", "exceededCpu", 51.0, 12_500_000, "GET",
         "8f1e2d3c4b5a6978", "shop-api"),
        # colo from the resource; no outcome attribute → the span status decides; real duration kept
        (other, "named-svc", "", "SFO", "ok", 0.0, 3_000_000, "", "", "shop-api"),
    ]


def test_worker_logs_map_cloudflare_resource_attributes(svc: RunningService) -> None:
    now = time.time_ns()
    trace_id = "3d" * 16
    doc = {"resourceLogs": [{
        "resource": _resource(**{"cloudflare.script_name": "cron-worker", "cloudflare.colo": "AMS",
                                 "cloudflare.ray_id": "77aa88bb99cc00dd"}),
        "scopeLogs": [{"scope": {"name": "cloudflare"}, "logRecords": [
            {"timeUnixNano": str(now), "severityNumber": 17, "severityText": "ERROR",
             "body": {"stringValue": "payment failed"}, "traceId": trace_id, "spanId": "ab" * 8,
             "attributes": [_kv("cloudflare.outcome", "exception"), _kv("cloudflare.cpu_time_ms", 3),
                            _kv("request_id", "own-request-id")]},
            {"timeUnixNano": str(now + 1), "severityNumber": 9, "severityText": "INFO",
             "body": {"stringValue": "retrying"}, "traceId": trace_id, "spanId": "ab" * 8,
             "attributes": [_kv("cloudflare.wall_time_ms", 7)]},
        ]}],
    }]}
    _post(svc, "/v1/logs", doc)
    rows = svc.store_rows(
        "SELECT body, service_name, request_id, geo_colo, outcome, cpu_time_ms, duration_ns "
        f"FROM events WHERE event_type = 'log' AND trace_id = '{trace_id}' ORDER BY timestamp")
    assert rows == [
        # a request id the record carries itself wins over the ray id
        ("payment failed", "cron-worker", "own-request-id", "AMS", "exception", 3.0, 0),
        ("retrying", "cron-worker", "77aa88bb99cc00dd", "AMS", "ok", 0.0, 7_000_000),
    ]
