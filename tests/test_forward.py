"""Forwarding exporters (`otlp` gRPC, `otlphttp`) beside `clickhouse` in the same pipelines.

A real `tailhouse run` receives from the stock OpenTelemetry SDK and from a tail POST, and
forwards to a small OTLP receiver in the test (gRPC and HTTP); what arrives there is compared
with what the SDK sent, and with what ClickHouse stored.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tailhouse.exporters.otlp.transport import classify_grpc, classify_http, retry_after_seconds
from otlp_sink import Failure, OtlpSink
from harness import RunningService, free_port, post_json, start


class Forwarding:
    def __init__(self, svc: RunningService, grpc_sink: OtlpSink, http_sink: OtlpSink) -> None:
        self.svc, self.grpc_sink, self.http_sink = svc, grpc_sink, http_sink
        self.tail_url = svc.tail_url


@pytest.fixture(scope="module")
def fwd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forwarding]:
    grpc_sink, http_sink = OtlpSink(), OtlpSink()
    sink_grpc, sink_http = grpc_sink.start_grpc(), http_sink.start_http()
    svc = start(tmp_path_factory.mktemp("fwd"), "forward", mode="subprocess", sink_grpc_port=sink_grpc,
                sink_http_port=sink_http)
    try:
        yield Forwarding(svc, grpc_sink, http_sink)
    finally:
        code = svc.stop()
        grpc_sink.stop()
        http_sink.stop()
    assert code == 0, "".join(svc.stderr_lines[-40:])


def _attrs(kvs: Any) -> dict[str, Any]:
    out = {}
    for kv in kvs:
        which = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, which) if which else None
    return out


def _send_spans(endpoint: str, service: str, n: int) -> list[Any]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True)))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("fwd.test")
    for i in range(n):
        with tracer.start_as_current_span(f"op-{i}", attributes={"i": i, "ratio": i / 4, "tag": f"t{i}", "ok": i % 2 == 0}):
            pass
    provider.shutdown()
    return list(memory.get_finished_spans())


def _forwarded_spans(sink: OtlpSink, service: str) -> list[Any]:
    out = []
    for r in sink.requests("traces"):
        for rs in r.resource_spans:
            if _attrs(rs.resource.attributes).get("service.name") == service:
                out += [s for ss in rs.scope_spans for s in ss.spans]
    return out


def _same_spans(sent: list[Any], got: list[Any]) -> None:
    want = sorted((format(s.context.trace_id, "032x"), format(s.context.span_id, "016x"), s.name,
                   json.dumps(dict(s.attributes), sort_keys=True), s.start_time, s.end_time) for s in sent)
    have = sorted((s.trace_id.hex(), s.span_id.hex(), s.name, json.dumps(_attrs(s.attributes), sort_keys=True),
                   s.start_time_unix_nano, s.end_time_unix_nano) for s in got)
    assert have == want


def test_sdk_spans_reach_clickhouse_and_both_forward_targets_exactly_once(fwd: Forwarding) -> None:
    service = f"fwd-{uuid.uuid4().hex[:8]}"
    sent = _send_spans(fwd.svc.grpc_endpoint, service, 25)
    assert fwd.grpc_sink.wait(lambda: len(_forwarded_spans(fwd.grpc_sink, service)) >= 25)
    assert fwd.http_sink.wait(lambda: len(_forwarded_spans(fwd.http_sink, service)) >= 25)
    assert fwd.svc.flush()
    _same_spans(sent, _forwarded_spans(fwd.grpc_sink, service))
    _same_spans(sent, _forwarded_spans(fwd.http_sink, service))
    stored = fwd.svc.scalar(f"SELECT count() FROM events WHERE service_name = '{service}' AND event_type = 'span'")
    assert int(stored) == 25
    # the configured headers went along
    assert any(h.get("x-tenant") == "acme" for h in fwd.grpc_sink.headers)
    assert any(h.get("authorization") == "Bearer fwd-token" for h in fwd.http_sink.headers)


def test_sdk_logs_and_metrics_are_forwarded(fwd: Forwarding) -> None:
    service = f"fwd-{uuid.uuid4().hex[:8]}"
    resource = Resource.create({"service.name": service})
    lp = LoggerProvider(resource=resource)
    lp.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=fwd.svc.grpc_endpoint, insecure=True)))
    logger = lp.get_logger("fwd.logs")
    for i in range(5):
        logger.emit(body=f"hello {i}", severity_number=SeverityNumber.WARN, severity_text="WARN",
                    attributes={"n": i})
    lp.shutdown()
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=fwd.svc.grpc_endpoint, insecure=True),
                                           export_interval_millis=60_000)
    mp = MeterProvider(resource=resource, metric_readers=[reader])
    mp.get_meter("fwd.metrics").create_counter("orders").add(3, {"shop": "a"})
    mp.shutdown()

    def bodies(sink: OtlpSink) -> list[str]:
        return sorted(r.body.string_value for res, r in sink.log_records()
                      if _attrs(res.attributes).get("service.name") == service)

    want = [f"hello {i}" for i in range(5)]
    for sink in (fwd.grpc_sink, fwd.http_sink):
        assert sink.wait(lambda s=sink: bodies(s) == want), bodies(sink)
        assert sink.wait(lambda s=sink: any(_attrs(rm.resource.attributes).get("service.name") == service
                                            for r in s.requests("metrics") for rm in r.resource_metrics))


def test_tail_events_are_forwarded_as_otlp_logs_with_their_trace_id(fwd: Forwarding) -> None:
    name = f"worker-{uuid.uuid4().hex[:8]}"
    trace_id = uuid.uuid4().hex
    item = {
        "wallTime": 12, "cpuTime": 3, "truncated": False, "executionModel": "stateless", "outcome": "exception",
        "scriptName": name, "diagnosticsChannelEvents": [], "eventTimestamp": 1795347406596,
        "event": {"request": {"url": "https://shop.example.com/api/cart", "method": "POST",
                              "headers": {"cf-ray": "8f1a2b3c-AMS", "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
                              "cf": {"colo": "AMS"}},
                  "response": {"status": 500}},
        "logs": [{"level": "warn", "message": ["cart is slow"], "timestamp": 1795347406600}],
        "exceptions": [{"name": "TypeError", "message": "x is undefined", "stack": "at cart.js:1",
                        "timestamp": 1795347406601}],
    }
    status, answer, _ = post_json(fwd.tail_url, [item])
    assert status == 200, answer

    def records(sink: OtlpSink) -> list[Any]:
        return [r for res, r in sink.log_records() if _attrs(res.attributes).get("service.name") == name]

    for sink in (fwd.grpc_sink, fwd.http_sink):
        assert sink.wait(lambda s=sink: len(records(s)) == 3)
        invocation, console, exception = records(sink)
        assert {r.trace_id.hex() for r in (invocation, console, exception)} == {trace_id}
        assert invocation.event_name == "fetch" and invocation.body.string_value == "POST /api/cart 500 (exception)"
        a = _attrs(invocation.attributes)
        assert a["http.request.method"] == "POST" and a["http.response.status_code"] == 500
        assert a["cloudflare.ray_id"] == "8f1a2b3c-AMS" and a["cloudflare.outcome"] == "exception"
        assert console.body.string_value == "cart is slow" and console.severity_text == "WARN"
        assert exception.body.string_value == "TypeError: x is undefined"
        e = _attrs(exception.attributes)
        assert (e["exception.type"], e["exception.stacktrace"]) == ("TypeError", "at cart.js:1")
        assert exception.time_unix_nano == 1795347406601 * 1_000_000
    assert fwd.svc.scalar(f"SELECT count() FROM events WHERE service_name = '{name}'") == 3


def test_retryable_refusals_are_retried_and_delivered_once(fwd: Forwarding) -> None:
    fwd.grpc_sink.fail += [Failure("UNAVAILABLE"), Failure("RESOURCE_EXHAUSTED", retry_after=0.3),
                           Failure("DEADLINE_EXCEEDED")]
    fwd.http_sink.fail += [Failure(http_status=503, retry_after=1), Failure(http_status=429)]
    service = f"fwd-{uuid.uuid4().hex[:8]}"
    sent = _send_spans(fwd.svc.grpc_endpoint, service, 3)
    assert fwd.grpc_sink.wait(lambda: len(_forwarded_spans(fwd.grpc_sink, service)) >= 3)
    assert fwd.http_sink.wait(lambda: len(_forwarded_spans(fwd.http_sink, service)) >= 3)
    assert not fwd.grpc_sink.fail and not fwd.http_sink.fail
    assert fwd.svc.flush()
    _same_spans(sent, _forwarded_spans(fwd.grpc_sink, service))
    _same_spans(sent, _forwarded_spans(fwd.http_sink, service))


def test_a_permanent_refusal_is_dead_lettered_not_retried(fwd: Forwarding) -> None:
    before = fwd.grpc_sink.failed_calls
    fwd.grpc_sink.fail += [Failure("INVALID_ARGUMENT")]
    service = f"fwd-{uuid.uuid4().hex[:8]}"
    _send_spans(fwd.svc.grpc_endpoint, service, 1)
    assert fwd.svc.flush()
    assert fwd.grpc_sink.failed_calls == before + 1
    assert _forwarded_spans(fwd.grpc_sink, service) == []
    assert len(_forwarded_spans(fwd.http_sink, service)) == 1  # the other exporter is not affected
    letters = list((fwd.svc.workdir / "data" / "queue" / "otlp" / "deadletter").glob("*.json"))
    assert any("INVALID_ARGUMENT" in json.loads(p.read_text())["error"] for p in letters)
    _, stats = fwd.svc.get_json("/stats")
    assert stats["exporters"]["otlp"]["signals"]["traces"]["dead_letter_items"] >= 1


def test_a_down_forward_target_does_not_block_clickhouse_and_gets_the_data_once_back(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet
    svc = start(tmp_path, "forward_down", mode="subprocess", sink_grpc_port=port)
    sink = OtlpSink()
    try:
        service = f"fwd-{uuid.uuid4().hex[:8]}"
        sent = _send_spans(svc.grpc_endpoint, service, 40)  # acknowledged: in both exporters' logs
        deadline = time.monotonic() + 30
        stored = 0
        while time.monotonic() < deadline and stored < 40:
            stored = int(svc.scalar(f"SELECT count() FROM events WHERE service_name = '{service}'", flush=False))
            time.sleep(0.2)
        assert stored == 40  # ClickHouse got everything while the forward target is down
        status, health = svc.get_json("/health")
        assert status == 503 and "otlp/down" in health["reason"]
        _, stats = svc.get_json("/stats")
        assert stats["exporters"]["otlp/down"]["signals"]["traces"]["pending_items"] == 40
        assert stats["exporters"]["otlp/down"]["signals"]["traces"]["retries"] >= 1

        sink.start_grpc(port)  # the target comes back
        assert sink.wait(lambda: len(_forwarded_spans(sink, service)) >= 40, timeout=30)
        assert svc.flush(30)
        time.sleep(0.5)
        _same_spans(sent, _forwarded_spans(sink, service))  # exactly once
        assert svc.get_json("/health")[0] == 200
    finally:
        code = svc.stop()
        sink.stop()
    assert code == 0, "".join(svc.stderr_lines[-40:])


# -- retry classification, per the OTLP specification --------------------------------------------

def _status_with_retry_info(seconds: float) -> bytes:
    delay = Duration()
    delay.FromNanoseconds(int(seconds * 1e9))
    status = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message="slow down")
    status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=delay))
    return status.SerializeToString()


@pytest.mark.parametrize("code", ["CANCELLED", "DEADLINE_EXCEEDED", "ABORTED", "OUT_OF_RANGE", "UNAVAILABLE", "DATA_LOSS"])
def test_grpc_codes_the_spec_calls_retryable(code: str) -> None:
    assert classify_grpc(getattr(grpc.StatusCode, code), "x", None).retryable


@pytest.mark.parametrize("code", ["INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED", "UNIMPLEMENTED",
                                  "NOT_FOUND", "FAILED_PRECONDITION", "INTERNAL", "UNKNOWN"])
def test_other_grpc_codes_are_permanent(code: str) -> None:
    assert not classify_grpc(getattr(grpc.StatusCode, code), "x", None).retryable


def test_resource_exhausted_is_retryable_only_with_retry_info_and_its_delay_is_kept() -> None:
    assert not classify_grpc(grpc.StatusCode.RESOURCE_EXHAUSTED, "quota", None).retryable
    err = classify_grpc(grpc.StatusCode.RESOURCE_EXHAUSTED, "quota", _status_with_retry_info(2.5))
    assert err.retryable and err.hint == 2.5


@pytest.mark.parametrize("status,retryable", [(429, True), (502, True), (503, True), (504, True), (400, False),
                                              (401, False), (404, False), (413, False), (500, False)])
def test_http_statuses(status: int, retryable: bool) -> None:
    err = classify_http(status, b"nope", "7")
    assert err.retryable is retryable
    assert err.hint == (7.0 if retryable else None)
    assert "nope" in str(err)


def test_retry_after_as_seconds_or_http_date() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: retry now
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


# -- config ----------------------------------------------------------------------------------------

def _parse(exporters: str) -> Any:
    from tailhouse.collector.config import parse_config
    text = ("receivers: {otlp: {protocols: {grpc: {endpoint: '127.0.0.1:4317'}}}}\n"
            f"exporters: {exporters}\n"
            "service: {pipelines: {traces: {receivers: [otlp], exporters: [fwd]}}}\n")
    return parse_config(text.replace("fwd]", exporters.split(":", 1)[0].strip("{ ") + "]"), Path("."))


@pytest.mark.parametrize("block,path,fragment", [
    ("{otlp: {}}", "exporters.otlp.endpoint", "required"),
    ("{otlp: {endpoint: 'collector'}}", "exporters.otlp.endpoint", "host:port"),
    ("{otlp: {endpoint: '127.0.0.1:4317', compression: zstd}}", "exporters.otlp.compression", "gzip, none"),
    ("{otlphttp: {endpoint: '127.0.0.1:4318'}}", "exporters.otlphttp.endpoint", "http(s)://"),
    ("{otlphttp: {endpoint: 'http://127.0.0.1:4318', tls: {cert_file: c.pem}}}", "exporters.otlphttp.tls", "key_file"),
])
def test_bad_forward_config_is_refused_naming_the_key(block: str, path: str, fragment: str) -> None:
    from tailhouse.pipeline.config_loader import ConfigError
    with pytest.raises(ConfigError) as err:
        _parse(block)
    assert err.value.path == path and fragment in err.value.message


def test_forward_config_reads_collector_style_fields() -> None:
    cfg = _parse("{otlphttp/eu: {endpoint: 'https://127.0.0.1:4318/base', compression: none, timeout: 2s, "
                 "headers: {x-key: v}}}")
    e = cfg.exporters["otlphttp/eu"]
    assert e.url("logs") == "https://127.0.0.1:4318/base/v1/logs"
    assert (e.compression, float(e.timeout), e.headers) == ("none", 2.0, {"x-key": "v"})


# -- TLS -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_tls_destination_verified_against_ca_file(tmp_path: Path, transport: str) -> None:
    import asyncio

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from tailhouse.collector.config import parse_config
    from tailhouse.exporters.otlp.transport import ForwardError, GrpcTransport, HttpTransport
    from tailhouse.pipeline.signals import Signal
    from test_transport_security import _self_signed

    cert, key = _self_signed(tmp_path)
    sink = OtlpSink()
    port = sink.start_grpc(tls=(cert, key)) if transport == "grpc" else sink.start_http(tls=(cert, key))
    kind, endpoint = ("otlp", f"localhost:{port}") if transport == "grpc" else ("otlphttp", f"https://localhost:{port}")
    req = ExportTraceServiceRequest()
    req.resource_spans.add().scope_spans.add().spans.add(trace_id=b"\1" * 16, span_id=b"\2" * 8, name="tls")
    body = req.SerializeToString()

    async def send(ca: str) -> None:
        cfg = parse_config(f"receivers: {{otlp: {{protocols: {{grpc: {{endpoint: '127.0.0.1:4317'}}}}}}}}\n"
                           f"exporters: {{{kind}: {{endpoint: '{endpoint}', tls: {{ca_file: '{ca}'}}}}}}\n"
                           f"service: {{pipelines: {{traces: {{receivers: [otlp], exporters: [{kind}]}}}}}}\n",
                           tmp_path).exporters[kind]
        t = GrpcTransport(cfg) if transport == "grpc" else HttpTransport(cfg)
        await t.connect()
        try:
            await t.send(Signal.TRACES, body)
        finally:
            await t.close()
    try:
        asyncio.run(send(str(cert)))
        assert [s.name for s in sink.spans()] == ["tls"]
        other, _ = _self_signed(tmp_path / "other" if (tmp_path / "other").mkdir() is None else tmp_path)
        with pytest.raises(ForwardError):  # a server the CA does not vouch for is not sent to
            asyncio.run(send(str(other)))
        assert len(sink.spans()) == 1
    finally:
        sink.stop()


def test_clickhouse_unable_to_write_does_not_block_forwarding(tmp_path: Path) -> None:
    sink = OtlpSink()
    port = sink.start_grpc()
    svc = start(tmp_path, "forward_down", mode="subprocess", sink_grpc_port=port)
    try:
        # The events table goes away (UNKNOWN_TABLE is retryable): the clickhouse exporter retries.
        svc.query_raw("DETACH TABLE tailhouse.events", "TSV", write=True, flush=False)
        service = f"fwd-{uuid.uuid4().hex[:8]}"
        sent = _send_spans(svc.grpc_endpoint, service, 40)
        assert sink.wait(lambda: len(_forwarded_spans(sink, service)) >= 40)  # forwarded meanwhile
        _same_spans(sent, _forwarded_spans(sink, service))
        deadline = time.monotonic() + 20
        # /health may first name the detached table (schema check), then the failing inserts too
        while time.monotonic() < deadline and "exporter clickhouse" not in svc.get_json("/health")[1]["reason"]:
            time.sleep(0.1)
        status, health = svc.get_json("/health")
        assert status == 503 and "exporter clickhouse" in health["reason"], health
        svc.query_raw("ATTACH TABLE tailhouse.events", "TSV", write=True, flush=False)
        assert svc.flush(60)
        assert int(svc.scalar(f"SELECT count() FROM events WHERE service_name = '{service}'")) == 40
    finally:
        code = svc.stop()
        sink.stop()
    assert code == 0, "".join(svc.stderr_lines[-40:])
