"""OTLP/HTTP receiver: the OTel SDK's HTTP exporters, hand-made OTLP/JSON, encodings, errors, CORS."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Iterator

import pytest
import zstandard
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb
from harness import RunningService, config_text, http_request, start

LIMIT = 256 * 1024

# The OTLP receiver's protocols block, in the test because the test is about it.
PROTOCOLS = f"""\
http:
  endpoint: 127.0.0.1:0
  max_request_body_size: {LIMIT}
  cors:
    allowed_origins: ["https://app.example.com", "https://*.corp.example"]
    allowed_headers: ["X-Custom"]
    max_age: 600
"""

TRACE_ID = "5b8efff798038103d269b633813fc60c"
SPAN_ID = "eee19b7ec3c1b174"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    s = start(tmp_path_factory.mktemp("otlp_http"), "otlp_protocols", mode="thread", protocols=PROTOCOLS)
    yield s
    s.stop()


def _url(svc: RunningService, path: str) -> str:
    return svc.endpoint("otlp/http") + path


def _json_trace(trace_id: str = TRACE_ID, span_id: str = SPAN_ID, name: str = "GET /checkout") -> dict:
    now = time.time_ns()
    return {
        "resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
            "scopeSpans": [{
                "scope": {"name": "handmade", "version": "1.0"},
                "spans": [{
                    "traceId": trace_id,
                    "spanId": span_id,
                    "parentSpanId": "",
                    "name": name,
                    "kind": 2,
                    "startTimeUnixNano": str(now - 5_000_000),
                    "endTimeUnixNano": str(now),
                    "attributes": [
                        {"key": "http.request.method", "value": {"stringValue": "GET"}},
                        {"key": "http.response.status_code", "value": {"intValue": "503"}},
                        {"key": "retry", "value": {"boolValue": False}},
                    ],
                    "events": [{"timeUnixNano": str(now - 1000), "name": "cache-miss", "attributes": []}],
                    "status": {"code": 2, "message": "upstream down"},
                    "unknownFutureField": {"ignored": True},
                }],
            }],
        }]
    }


def _post(svc: RunningService, path: str, body: bytes, content_type: str, **headers: str) -> tuple[int, dict, bytes]:
    return http_request(_url(svc, path), body, {"Content-Type": content_type, **headers}, method="POST")


def test_sdk_http_exporters_protobuf_gzip(svc: RunningService) -> None:
    """The OTel SDK's OTLP/HTTP exporters (protobuf, gzip) deliver spans and logs."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.trace import SpanKind, StatusCode

    base = svc.endpoint("otlp/http")
    resource = Resource.create({"service.name": "sdk-http"})
    tp = TracerProvider(resource=resource)
    span_exporter = OTLPSpanExporter(endpoint=f"{base}/v1/traces", compression=Compression.Gzip)
    tp.add_span_processor(SimpleSpanProcessor(span_exporter))
    tracer = tp.get_tracer("test-http")
    with tracer.start_as_current_span("parent", kind=SpanKind.SERVER) as parent:
        parent.set_attribute("http.route", "/orders")
        with tracer.start_as_current_span("child") as child:
            child.set_status(StatusCode.ERROR, "boom")
    trace_id = format(parent.get_span_context().trace_id, "032x")
    tp.shutdown()

    lp = LoggerProvider(resource=resource)
    lp.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{base}/v1/logs",
                                                                         compression=Compression.Gzip)))
    from opentelemetry._logs import LogRecord, SeverityNumber
    lp.get_logger("test-http").emit(LogRecord(body="payment failed", severity_number=SeverityNumber.ERROR,
                                              severity_text="ERROR", attributes={"order": 7}))
    lp.shutdown()

    spans = svc.store_rows(
        f"SELECT event_name, span_kind, status_code, status_message FROM events "
        f"WHERE trace_id = '{trace_id}' ORDER BY event_name"
    )
    assert spans == [("child", "Internal", "Error", "boom"), ("parent", "Server", "Unset", "")]
    logs = svc.store_rows("SELECT body, severity_text, attributes['order'] FROM events WHERE event_type = 'log' "
                          "AND service_name = 'sdk-http'")
    assert logs == [("payment failed", "ERROR", "7")]
    # Metrics are left out: OTLP metric requests are refused by the foundation's landing schema
    # (ClickHouse error 570, oneof presence in NumberDataPoint); the metric views are tested on
    # rows written straight into `events` in test_otel_views.py.

def test_handmade_json_maps_hex_ids_and_enums(svc: RunningService) -> None:
    status, headers, body = _post(svc, "/v1/traces", json.dumps(_json_trace()).encode(), "application/json")
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {}
    rows = svc.store_rows(
        f"SELECT trace_id, span_id, span_kind, status_code, http_method, http_status_code, attributes['retry'], "
        f"`events.name` FROM events WHERE trace_id = '{TRACE_ID}'"
    )
    assert rows == [(TRACE_ID, SPAN_ID, "Server", "Error", "GET", 503, "false", ["cache-miss"])]


def test_json_gzip_and_zstd_bodies(svc: RunningService) -> None:
    for i, (encoding, compress) in enumerate([("gzip", gzip.compress),
                                              ("zstd", zstandard.ZstdCompressor().compress)]):
        trace_id = f"{i + 1:032x}"
        body = compress(json.dumps(_json_trace(trace_id=trace_id)).encode())
        status, _, resp = _post(svc, "/v1/traces", body, "application/json", **{"Content-Encoding": encoding})
        assert status == 200, resp
        assert svc.store_rows(f"SELECT count() FROM events WHERE trace_id = '{trace_id}'") == [(1,)]


def test_protobuf_response_and_partial_success(svc: RunningService) -> None:
    """A span with a malformed id is refused via partial_success; the good one is stored."""
    req = trace_pb.ExportTraceServiceRequest()
    spans = req.resource_spans.add().scope_spans.add().spans
    good = spans.add(trace_id=bytes.fromhex("ab" * 16), span_id=bytes.fromhex("cd" * 8), name="good",
                     start_time_unix_nano=time.time_ns(), end_time_unix_nano=time.time_ns())
    spans.add(trace_id=b"\x01\x02", span_id=bytes(8), name="bad")
    status, headers, body = _post(svc, "/v1/traces", req.SerializeToString(), "application/x-protobuf")
    assert status == 200
    assert headers["Content-Type"] == "application/x-protobuf"
    resp = trace_pb.ExportTraceServiceResponse.FromString(body)
    assert resp.partial_success.rejected_spans == 1
    assert "trace_id is 2 bytes, must be 16" in resp.partial_success.error_message
    assert svc.store_rows(f"SELECT event_name FROM events WHERE trace_id = '{good.trace_id.hex()}'") == [("good",)]

    bad_json = _json_trace(trace_id="abcd", span_id="00" * 8)
    status, _, body = _post(svc, "/v1/traces", json.dumps(bad_json).encode(), "application/json")
    assert status == 200
    assert json.loads(body)["partialSuccess"]["rejectedSpans"] in ("1", 1)


def test_bad_data_is_400_with_status_in_request_encoding(svc: RunningService) -> None:
    status, headers, body = _post(svc, "/v1/traces", b"\xff\xff\xff not protobuf", "application/x-protobuf")
    assert status == 400
    assert headers["Content-Type"] == "application/x-protobuf"
    st = status_pb2.Status.FromString(body)
    assert st.code == 3 and "ExportTraceServiceRequest" in st.message

    status, headers, body = _post(svc, "/v1/logs", b'{"resourceLogs": [', "application/json")
    assert status == 400
    assert "not valid JSON" in json.loads(body)["message"]

    doc = _json_trace(trace_id="zz" * 16)
    status, _, body = _post(svc, "/v1/traces", json.dumps(doc).encode(), "application/json")
    assert status == 400
    assert "traceId" in json.loads(body)["message"] and "hex" in json.loads(body)["message"]

    status, _, body = _post(svc, "/v1/traces", b"not gzip", "application/json", **{"Content-Encoding": "gzip"})
    assert status == 400 and "gzip" in json.loads(body)["message"]


def test_unsupported_content_type_and_encoding_are_415(svc: RunningService) -> None:
    status, _, body = _post(svc, "/v1/traces", b"{}", "text/plain")
    assert status == 415
    assert "application/x-protobuf" in json.loads(body)["message"]
    status, _, body = _post(svc, "/v1/traces", b"{}", "application/json", **{"Content-Encoding": "br"})
    assert status == 415 and "br" in json.loads(body)["message"]


def test_too_large_is_413_compressed_or_not(svc: RunningService) -> None:
    big = json.dumps({"resourceSpans": [], "pad": "x" * (LIMIT + 10)}).encode()
    status, _, body = _post(svc, "/v1/traces", big, "application/json")
    assert status == 413
    # Small on the wire, too large once decompressed: refused without inflating it all.
    bomb = gzip.compress(b" " * (LIMIT * 40))
    assert len(bomb) < LIMIT
    status, _, body = _post(svc, "/v1/traces", bomb, "application/json", **{"Content-Encoding": "gzip"})
    assert status == 413 and "limit" in json.loads(body)["message"]


def test_cors_preflight_and_response_headers(svc: RunningService) -> None:
    url = _url(svc, "/v1/traces")
    ok = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type, x-custom"}
    status, headers, _ = http_request(url, headers=ok, method="OPTIONS")
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Max-Age"] == "600"
    assert "x-custom" in headers["Access-Control-Allow-Headers"]

    wildcard = {**ok, "Origin": "https://team.corp.example"}
    assert http_request(url, headers=wildcard, method="OPTIONS")[0] == 204
    assert http_request(url, headers={**ok, "Origin": "https://evil.example"}, method="OPTIONS")[0] == 403
    bad_header = {**ok, "Access-Control-Request-Headers": "x-secret"}
    assert http_request(url, headers=bad_header, method="OPTIONS")[0] == 403

    status, headers, _ = _post(svc, "/v1/traces", b"{}", "application/json", Origin="https://app.example.com")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    status, headers, _ = _post(svc, "/v1/traces", b"{}", "application/json", Origin="https://evil.example")
    assert status == 200 and "Access-Control-Allow-Origin" not in headers


def test_unknown_path_and_method(svc: RunningService) -> None:
    assert http_request(_url(svc, "/v1/profiles"), b"{}", {"Content-Type": "application/json"}, method="POST")[0] == 404
    assert http_request(_url(svc, "/v1/traces"))[0] == 405


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    from tailhouse.collector.config import parse_config
    from tailhouse.pipeline.config_loader import ConfigError

    text = config_text("otlp_protocols", protocols="http:\n  endpoint: 127.0.0.1:0\n  cors:\n    allowed_origins: [example.com]\n")
    with pytest.raises(ConfigError) as err:
        parse_config(text, tmp_path)
    assert err.value.path == "receivers.otlp.protocols.http.cors.allowed_origins[0]"
