"""Cloudflare Workers Observability's native OTLP export lands intact on the OTLP/HTTP receiver.

Workers export traces and logs as OTLP/HTTP JSON only, to <url>/v1/traces and <url>/v1/logs, with
headers the user sets (here `Authorization: Bearer …`, checked by the receiver's `auth`). The bodies
below have the shape and the attributes the Workers Observability documentation lists, written with
everything the OTLP JSON encoding allows (int64 as strings and numbers, enums as names and numbers,
NaN/Infinity doubles, unknown fields, upper-case hex ids, proto field names). The official
OpenTelemetry JS exporters, run by node, are the second client.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import uuid
from typing import Any, Iterator

import pytest

from harness import RunningService, http_request, start
from otel_js_runtime import NodeMissing, export_worker_invocation

TOKEN = "workers-observability-token"
PROTOCOLS = f"""\
http:
  endpoint: 127.0.0.1:0
  auth:
    bearer_token: {TOKEN}
"""
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    s = start(tmp_path_factory.mktemp("workers_otlp"), "otlp_protocols", mode="thread", protocols=PROTOCOLS)
    yield s
    s.stop()


def _post(svc: RunningService, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    status, _, resp = http_request(svc.endpoint("otlp/http") + path, body,
                                   {"Content-Type": "application/json", **(AUTH if headers is None else headers)},
                                   method="POST")
    return status, resp


def _rows(svc: RunningService, sql: str, expected: int, timeout: float = 30) -> list[tuple[Any, ...]]:
    """Rows of `sql` once there are `expected` of them (the ack means durable, not yet queryable)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = svc.store_rows(sql)
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def _attrs(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    return {p["key"]: p["value"] for p in pairs}


def _kv(key: str, value: Any) -> dict[str, Any]:
    return {"key": key, "value": value}


def _resource(script: str) -> dict[str, Any]:
    """The attributes Workers put on everything (documented as present on all spans and logs)."""
    return {
        "attributes": [
            _kv("cloud.provider", {"stringValue": "cloudflare"}),
            _kv("cloud.platform", {"stringValue": "cloudflare.workers"}),
            _kv("service.name", {"stringValue": script}),
            _kv("faas.name", {"stringValue": script}),
            _kv("faas.version", {"stringValue": "v42"}),
            _kv("faas.invoked_region", {"stringValue": "weur"}),
            _kv("cloudflare.script_name", {"stringValue": script}),
            _kv("cloudflare.script_tags", {"arrayValue": {"values": [{"stringValue": "team:checkout"},
                                                                      {"stringValue": "canary"}]}}),
            _kv("cloudflare.script_version.id", {"stringValue": "6f0e4b1c-9a8d-4e3f-b2a1-0c9d8e7f6a5b"}),
            _kv("telemetry.sdk.language", {"stringValue": "javascript"}),
            _kv("telemetry.sdk.name", {"stringValue": "cloudflare"}),
        ],
        "droppedAttributesCount": 0,
        "entityRefs": [{"type": "service", "idKeys": ["service.name"]}],  # a newer OTLP field: ignored if unknown
    }


def workers_traces(script: str, trace_id: str, now_ns: int) -> dict[str, Any]:
    """An invocation as Workers tracing exports it: the handler's root span and its platform spans."""
    root_id, kv_id, fetch_id = "A1B2C3D4E5F60718", "0102030405060708", "1112131415161718"
    common = [_kv("cloudflare.colo", {"stringValue": "LHR"}),
              _kv("faas.invocation_id", {"stringValue": "b7c1d0e2-invocation"})]
    return {
        "resourceSpans": [{
            "resource": _resource(script),
            "scopeSpans": [{
                "scope": {"name": "cloudflare", "version": "1.0", "unknownScopeField": 1},
                "spans": [
                    {
                        "traceId": trace_id.upper(), "spanId": root_id, "parentSpanId": "",
                        "name": "fetch", "kind": "SPAN_KIND_SERVER", "flags": 1,
                        "startTimeUnixNano": str(now_ns - 40_000_000), "endTimeUnixNano": now_ns,
                        "attributes": [
                            *common,
                            _kv("faas.trigger", {"stringValue": "http"}),
                            _kv("cloudflare.ray_id", {"stringValue": "8f3b2a1c0d9e8f7a"}),
                            _kv("cloudflare.invocation.sequence.number", {"intValue": "1"}),
                            _kv("http.request.method", {"stringValue": "POST"}),
                            _kv("url.full", {"stringValue": "https://shop.example.com/checkout?step=2"}),
                            _kv("http.response.status_code", {"intValue": 500}),
                            _kv("user_agent.original", {"stringValue": "Mozilla/5.0"}),
                            _kv("cloudflare.cpu_time_ms", {"doubleValue": 3.5}),
                            _kv("cloudflare.wall_time_ms", {"doubleValue": "40"}),
                            _kv("cloudflare.outcome", {"stringValue": "exception"}),
                            _kv("cache.hit_ratio", {"doubleValue": "NaN"}),
                            _kv("budget.max", {"doubleValue": "Infinity"}),
                            _kv("budget.min", {"doubleValue": "-Infinity"}),
                            _kv("cloudflare.request.cf", {"kvlistValue": {"values": [
                                _kv("country", {"stringValue": "GB"}), _kv("asn", {"intValue": "13335"})]}}),
                            _kv("request.body_sample", {"bytesValue": "aGVsbG8="}),
                            _kv("cloudflare.retried", {"boolValue": False}),
                        ],
                        "droppedAttributesCount": 0,
                        "events": [{
                            "timeUnixNano": str(now_ns - 1_000_000), "name": "exception",
                            "attributes": [_kv("exception.type", {"stringValue": "TypeError"}),
                                           _kv("exception.message", {"stringValue": "x is undefined"}),
                                           _kv("exception.stacktrace", {"stringValue": "at handler (index.js:3)"})],
                        }],
                        "status": {"code": "STATUS_CODE_ERROR", "message": "x is undefined"},
                        "cloudflareInternal": {"sampled": True},  # unknown field: ignored
                    },
                    {
                        "traceId": trace_id.upper(), "spanId": kv_id, "parentSpanId": root_id,
                        "name": "kv_get", "kind": 3,
                        "startTimeUnixNano": now_ns - 30_000_000, "endTimeUnixNano": str(now_ns - 29_000_000),
                        "attributes": [*common, _kv("cloudflare.invocation.sequence.number", {"intValue": 2}),
                                       _kv("cloudflare.binding.type", {"stringValue": "KV"}),
                                       _kv("cloudflare.binding.name", {"stringValue": "CART"}),
                                       _kv("cloudflare.kv.query.keys", {"stringValue": "cart:42"})],
                        "status": {"code": 0},
                    },
                    {
                        "trace_id": trace_id, "span_id": fetch_id, "parent_span_id": root_id,  # proto names
                        "name": "fetch", "kind": "SPAN_KIND_CLIENT",
                        "start_time_unix_nano": str(now_ns - 20_000_000), "end_time_unix_nano": float(now_ns - 5_000_000),  # a JSON number with an exponent
                        "attributes": [*common, _kv("cloudflare.invocation.sequence.number", {"int_value": "3"}),
                                       _kv("http.request.method", {"string_value": "GET"}),
                                       _kv("server.address", {"stringValue": "payments.example.com"}),
                                       _kv("http.response.status_code", {"intValue": "502"})],
                    },
                ],
            }],
            "schemaUrl": "https://opentelemetry.io/schemas/1.26.0",
        }],
    }


def workers_logs(script: str, trace_id: str, now_ns: int) -> dict[str, Any]:
    """console.log output and an uncaught exception, as Workers Logs exports them."""
    common = [_kv("cloudflare.colo", {"stringValue": "LHR"}), _kv("cloudflare.ray_id", {"stringValue": "8f3b2a1c0d9e8f7a"})]
    return {
        "resourceLogs": [{
            "resource": _resource(script),
            "scopeLogs": [{
                "scope": {"name": "cloudflare"},
                "logRecords": [
                    {
                        "timeUnixNano": str(now_ns - 10_000_000), "observedTimeUnixNano": now_ns,
                        "severityNumber": "SEVERITY_NUMBER_INFO", "severityText": "log",
                        "body": {"stringValue": "cart loaded"},
                        "attributes": [*common, _kv("cloudflare.invocation.sequence.number", {"intValue": "4"})],
                        "traceId": trace_id.upper(), "spanId": "A1B2C3D4E5F60718", "flags": 1,
                    },
                    {
                        "timeUnixNano": now_ns - 2_000_000, "severityNumber": 17, "severityText": "error",
                        "body": {"kvlistValue": {"values": [_kv("msg", {"stringValue": "payment declined"}),
                                                            _kv("user_id", {"intValue": "123"}),
                                                            _kv("score", {"doubleValue": "NaN"})]}},
                        "attributes": [*common, _kv("exception.type", {"stringValue": "TypeError"}),
                                       _kv("cloudflare.invocation.sequence.number", {"intValue": 5})],
                        "traceId": trace_id, "spanId": "a1b2c3d4e5f60718",
                        "eventName": "console.error",
                        "futureLogField": [1, 2, 3],
                    },
                ],
            }],
        }],
    }


def _attribute_keys(doc: dict[str, Any], outer: str, middle: str, inner: str) -> list[tuple[set[str], set[str]]]:
    """(resource keys, record keys) per record of an export request, in order."""
    out = []
    for rs in doc[outer]:
        resource_keys = set(_attrs(rs["resource"]["attributes"]))
        for ss in rs[middle]:
            for rec in ss[inner]:
                out.append((resource_keys, set(_attrs(rec.get("attributes", [])))))
    return out


def test_workers_traces_land_with_every_attribute(svc: RunningService) -> None:
    script = f"shop-{uuid.uuid4().hex[:6]}"
    trace_id = uuid.uuid4().hex
    doc = workers_traces(script, trace_id, time.time_ns())
    status, body = _post(svc, "/v1/traces", json.dumps(doc).encode())
    assert status == 200, body
    assert json.loads(body) == {}
    rows = _rows(svc, "SELECT span_id, parent_span_id, event_name, span_kind, status_code, status_message, "
                      "mapKeys(attributes), mapKeys(resource_attributes), attributes, http_method, http_status_code, "
                      f"`events.name`, service_name FROM events WHERE trace_id = '{trace_id}' ORDER BY timestamp", 3)
    assert len(rows) == 3
    expected = _attribute_keys(doc, "resourceSpans", "scopeSpans", "spans")
    for row, (resource_keys, span_keys) in zip(rows, expected):
        assert set(row[6]) >= span_keys, f"span attributes lost: {span_keys - set(row[6])}"
        assert set(row[7]) >= resource_keys, f"resource attributes lost: {resource_keys - set(row[7])}"
        assert row[12] == script
    root, kv, fetch = rows
    assert root[:6] == ("a1b2c3d4e5f60718", "", "fetch", "Server", "Error", "x is undefined")
    assert kv[:4] == ("0102030405060708", "a1b2c3d4e5f60718", "kv_get", "Client")
    assert fetch[:4] == ("1112131415161718", "a1b2c3d4e5f60718", "fetch", "Client")
    attrs = root[8]
    assert attrs["cloudflare.ray_id"] == "8f3b2a1c0d9e8f7a" and attrs["cloudflare.colo"] == "LHR"
    assert attrs["cloudflare.invocation.sequence.number"] == "1" and attrs["http.response.status_code"] == "500"
    assert float(attrs["cloudflare.cpu_time_ms"]) == 3.5 and float(attrs["cloudflare.wall_time_ms"]) == 40
    assert attrs["cache.hit_ratio"].lower() == "nan"
    assert attrs["budget.max"].lower() in ("inf", "+inf", "infinity")
    assert attrs["budget.min"].lower() in ("-inf", "-infinity")
    assert attrs["cloudflare.retried"] == "false"
    assert "GB" in attrs["cloudflare.request.cf"] and "13335" in attrs["cloudflare.request.cf"]
    assert (root[9], root[10], root[11]) == ("POST", 500, ["exception"])
    assert (fetch[9], fetch[10]) == ("GET", 502)


def test_workers_logs_land_with_every_attribute(svc: RunningService) -> None:
    script = f"shop-{uuid.uuid4().hex[:6]}"
    trace_id = uuid.uuid4().hex
    doc = workers_logs(script, trace_id, time.time_ns())
    status, body = _post(svc, "/v1/logs", gzip.compress(json.dumps(doc).encode()),
                         {**AUTH, "Content-Encoding": "gzip"})
    assert status == 200, body
    rows = _rows(svc, "SELECT span_id, severity_number, severity_text, body, mapKeys(attributes), "
                      "mapKeys(resource_attributes), service_name "
                      f"FROM events WHERE trace_id = '{trace_id}' AND event_type = 'log' ORDER BY timestamp", 2)
    assert len(rows) == 2
    for row, (resource_keys, record_keys) in zip(rows, _attribute_keys(doc, "resourceLogs", "scopeLogs", "logRecords")):
        assert set(row[4]) >= record_keys and set(row[5]) >= resource_keys
        assert row[0] == "a1b2c3d4e5f60718" and row[6] == script
    assert rows[0][1:4] == (9, "log", "cart loaded")
    assert rows[1][1:3] == (17, "error")
    body_json = json.loads(rows[1][3])
    assert body_json["msg"] == "payment declined" and str(body_json["user_id"]) == "123"


def test_proto3_json_edge_cases(svc: RunningService) -> None:
    """Bare NaN tokens, null values, probe requests (empty body and `{}`) are accepted."""
    trace_id = uuid.uuid4().hex
    raw = json.dumps(workers_traces("edge", trace_id, time.time_ns()))
    raw = raw.replace('{"doubleValue": "NaN"}', '{"doubleValue": NaN}').replace('"Infinity"', "Infinity")
    raw = raw.replace('{"boolValue": false}', '{"boolValue": null}')
    assert re.search(r":\s*NaN\b", raw) and re.search(r":\s*-?Infinity\b", raw)
    status, body = _post(svc, "/v1/traces", raw.encode())
    assert status == 200, body
    rows = _rows(svc, f"SELECT attributes FROM events WHERE trace_id = '{trace_id}' AND event_name = 'fetch' "
                      "AND span_kind = 'Server'", 1)
    assert rows and rows[0][0]["cache.hit_ratio"].lower() == "nan" and "cloudflare.retried" in rows[0][0]
    for probe in (b"", b"{}", b"  \n"):
        for path in ("/v1/traces", "/v1/logs"):
            status, body = _post(svc, path, probe)
            assert status == 200, (probe, path, body)


def test_destination_header_is_required(svc: RunningService) -> None:
    doc = json.dumps(workers_logs("auth", uuid.uuid4().hex, time.time_ns())).encode()
    status, body = _post(svc, "/v1/logs", doc, headers={})
    assert status == 401 and "Authorization" in json.loads(body)["message"]
    status, body = _post(svc, "/v1/logs", doc, headers={"Authorization": "Bearer wrong"})
    assert status == 401 and "invalid bearer token" in json.loads(body)["message"]


def test_opentelemetry_js_exporters(svc: RunningService) -> None:
    """@opentelemetry/exporter-{trace,logs}-otlp-http, run by node, send JSON that lands intact."""
    run = uuid.uuid4().hex[:8]
    try:
        ids = export_worker_invocation(svc.endpoint("otlp/http"), TOKEN, run)
    except NodeMissing as exc:
        pytest.skip(str(exc))
    trace_id = ids["traceId"]
    rows = _rows(svc, "SELECT event_type, event_name, span_kind, status_code, span_id, severity_number, body, "
                      "attributes, resource_attributes, service_name, http_method, http_status_code "
                      f"FROM events WHERE trace_id = '{trace_id}' ORDER BY event_type, event_name, severity_number", 4)
    assert [r[:4] for r in rows] == [("log", "", "", ""), ("log", "", "", ""),
                                     ("span", "fetch", "Server", "Error"), ("span", "kv_get", "Client", "Unset")]
    info, error, root, kv = rows
    assert (info[5], info[6]) == (9, "cart loaded") and info[4] == ids["spanId"]
    assert error[5] == 17 and json.loads(error[6]) == {"msg": "payment declined", "user_id": 123}
    assert root[4] == ids["spanId"] and (root[10], root[11]) == ("POST", 500)
    assert root[7]["cloudflare.ray_id"] == "8f1a2b3c4d5e6f70-LHR" and root[7]["cloudflare.colo"] == "LHR"
    assert root[7]["cloudflare.cpu_time_ms"] == "1.25" and root[7]["cloudflare.retried"] == "false"
    assert "ratio.nan" in root[7]  # JSON has no NaN: the JS exporter sends null, kept as an empty value
    assert kv[7] == {"cloudflare.binding.name": "CART", "db.operation.name": "get"}
    for row in rows:
        assert row[8]["cloudflare.script_name"] == f"js-worker-{run}" and row[9] == f"js-worker-{run}"
        assert json.loads(row[8]["cloudflare.script_tags"]) == ["team:checkout", "canary"]
