"""The real OpenTelemetry SDK exporters send to a running service; rows are checked field by field."""

from __future__ import annotations

import json
import time
import uuid

import grpc
import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as msvc
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import MetricsServiceStub
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from tailhouse.exporters.clickhouse.value_codec import decode_attributes
from harness import RunningService


def _resource(service_name: str) -> Resource:
    return Resource.create(
        {
            "service.name": service_name,
            "service.namespace": "shop",
            "service.version": "1.2.3",
            "service.instance.id": "i-1",
            "host.name": "web-1",
            "cloud.provider": "aws",
            "deployment.environment.name": "prod",
            "team.size": 7,
        }
    )


def test_spans_from_sdk_are_stored_field_by_field(service: RunningService) -> None:
    name = f"checkout-{uuid.uuid4().hex[:8]}"
    provider = TracerProvider(resource=_resource(name))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=service.grpc_endpoint, insecure=True)))
    tracer = provider.get_tracer("shop.checkout", "0.9")
    with tracer.start_as_current_span("linked-target") as target:
        target_ctx = target.get_span_context()
    with tracer.start_as_current_span(
        "POST /cart",
        kind=SpanKind.SERVER,
        links=[Link(target_ctx, {"link.kind": "follows"})],
        attributes={
            "http.request.method": "POST",
            "url.full": "https://shop.example/cart?item=3",
            "http.response.status_code": 503,
            "user_agent.original": "curl/8",
            "zero": 0,
            "empty": "",
            "flag": False,
            "ratio": 0.25,
            "tags": ["a", "b"],
            "ints": [1, 2],
        },
    ) as parent:
        parent.add_event("cache.miss", {"key": "cart:3", "attempt": 2})
        with tracer.start_as_current_span("SELECT cart", kind=SpanKind.CLIENT) as child:
            child.set_attribute("db.system", "clickhouse")
        try:
            raise ValueError("cart is locked")
        except ValueError as exc:
            parent.record_exception(exc)
        parent.set_status(Status(StatusCode.ERROR, "upstream failed"))
    provider.shutdown()

    trace_id = format(parent.get_span_context().trace_id, "032x")
    rows = {r["event_name"]: r for r in service.query(f"SELECT * FROM events WHERE trace_id = '{trace_id}'")}
    assert set(rows) == {"POST /cart", "SELECT cart"}
    p, c = rows["POST /cart"], rows["SELECT cart"]

    assert p["event_type"] == "span" and p["source"] == "otlp"
    assert p["span_id"] == format(parent.get_span_context().span_id, "016x")
    assert c["parent_span_id"] == p["span_id"] and p["parent_span_id"] == ""
    assert p["event_id"] == trace_id + p["span_id"]
    assert p["span_kind"] == "Server" and c["span_kind"] == "Client"
    assert p["status_code"] == "Error" and p["status_message"] == "upstream failed"
    assert p["outcome"] == "error" and c["status_code"] == "Unset" and c["outcome"] == "ok"
    assert p["importance"] == 1
    assert p["trace_flags"] & 0x100  # the SDK sends the "is_remote known" bit; stored as sent
    assert p["duration_ns"] == parent.end_time - parent.start_time  # type: ignore[operator]
    # service/resource columns
    assert (p["service_name"], p["service_namespace"], p["service_version"]) == (name, "shop", "1.2.3")
    assert (p["service_instance_id"], p["host_name"], p["cloud_provider"]) == ("i-1", "web-1", "aws")
    assert p["deployment_environment"] == "prod" and p["ns"] == "shop"
    assert p["resource_attributes"]["team.size"] == "7" and p["resource_attribute_types"]["team.size"] == "int"
    assert p["scope_name"] == "shop.checkout" and p["scope_version"] == "0.9"
    # typed attributes: int 0, empty string, false, double, arrays all distinguishable and recoverable
    attrs = decode_attributes(p["attributes"], p["attribute_types"])
    assert attrs["zero"].WhichOneof("value") == "int_value" and attrs["zero"].int_value == 0
    assert attrs["empty"].WhichOneof("value") == "string_value" and attrs["empty"].string_value == ""
    assert attrs["flag"].WhichOneof("value") == "bool_value" and attrs["flag"].bool_value is False
    assert attrs["ratio"].double_value == 0.25
    assert [v.string_value for v in attrs["tags"].array_value.values] == ["a", "b"]
    assert [v.int_value for v in attrs["ints"].array_value.values] == [1, 2]
    assert "empty" not in p["attribute_types"]
    # HTTP columns from current semconv names
    assert (p["http_method"], p["http_status_code"], p["user_agent"]) == ("POST", 503, "curl/8")
    assert p["http_url"] == "https://shop.example/cart?item=3"
    assert p["http_host"] == "shop.example" and p["http_path"] == "/cart"
    # span events (incl. the recorded exception) and links
    assert p["events.name"] == ["cache.miss", "exception"]
    assert p["events.attributes"][0] == {"key": "cart:3", "attempt": "2"}
    assert p["events.attribute_types"][0] == {"attempt": "int"}
    assert p["exception_type"] == "ValueError" and p["exception_message"] == "cart is locked"
    assert "Traceback" in p["exception_stacktrace"]
    assert p["links.trace_id"] == [format(target_ctx.trace_id, "032x")]
    assert p["links.span_id"] == [format(target_ctx.span_id, "016x")]
    assert p["links.attributes"] == [{"link.kind": "follows"}]
    assert p["dropped_attributes_count"] == 0 and p["dropped_events_count"] == 0
    # the trace-id → time-range lookup is maintained
    # (one lookup row per insert; a trace spread over inserts has several, read with min/max)
    (lookup,) = service.query(f"SELECT min(start) AS s, max(end) AS e FROM trace_id_ts WHERE trace_id = '{trace_id}'")
    assert lookup["s"] == min(p["timestamp"], c["timestamp"]) and lookup["e"] == max(p["timestamp"], c["timestamp"])


def test_deprecated_http_attribute_names_fill_the_same_columns(service: RunningService) -> None:
    provider = TracerProvider(resource=_resource(f"legacy-{uuid.uuid4().hex[:8]}"))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=service.grpc_endpoint, insecure=True)))
    with provider.get_tracer("t").start_as_current_span(
        "legacy",
        attributes={"http.method": "GET", "http.url": "http://api.example:8080/v1/items?x=1",
                    "http.status_code": 404, "http.host": "api.example", "http.user_agent": "ua/1"},
    ) as span:
        pass
    provider.shutdown()
    trace_id = format(span.get_span_context().trace_id, "032x")
    (row,) = service.query(f"SELECT http_method, http_url, http_host, http_path, http_status_code, user_agent "
                           f"FROM events WHERE trace_id = '{trace_id}'")
    assert row == {"http_method": "GET", "http_url": "http://api.example:8080/v1/items?x=1", "http_host": "api.example",
                   "http_path": "/v1/items", "http_status_code": 404, "user_agent": "ua/1"}


def test_logs_from_sdk_are_stored_field_by_field(service: RunningService) -> None:
    name = f"billing-{uuid.uuid4().hex[:8]}"
    tracer_provider = TracerProvider(resource=_resource(name))
    provider = LoggerProvider(resource=_resource(name))
    provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=service.grpc_endpoint, insecure=True)))
    logger = provider.get_logger("billing.worker", "2.0")
    with tracer_provider.get_tracer("t").start_as_current_span("charge") as span:
        logger.emit(body="card declined", severity_number=SeverityNumber.ERROR, severity_text="ERROR",
                    attributes={"order.id": 42, "retry": True, "correlation_id": "corr-9"}, event_name="payment.failed")
        logger.emit(body={"user": "ann", "amount": 12.5, "items": [1, "two"], "nested": {"deep": {"x": 1}}},
                    severity_number=SeverityNumber.INFO)
        logger.emit(body=0, severity_number=SeverityNumber.FATAL)
    provider.shutdown()

    ctx = span.get_span_context()
    trace_id = format(ctx.trace_id, "032x")
    rows = service.query(f"SELECT * FROM events WHERE event_type = 'log' AND service_name = '{name}' ORDER BY severity_number")
    assert len(rows) == 3
    info, error, fatal = rows
    assert error["body"] == "card declined" and error["body_type"] == "string"
    assert error["severity_text"] == "ERROR" and error["severity_number"] == 17
    assert error["event_name"] == "payment.failed"
    assert error["trace_id"] == trace_id and error["span_id"] == format(ctx.span_id, "016x")
    assert error["correlation_id"] == "corr-9"
    assert error["attributes"] == {"order.id": "42", "retry": "true", "correlation_id": "corr-9"}
    assert error["attribute_types"] == {"order.id": "int", "retry": "bool"}
    assert error["importance"] == 1 and error["outcome"] == "error"
    assert error["scope_name"] == "billing.worker" and error["scope_version"] == "2.0"
    assert info["importance"] == 3 and info["body_type"] == "kvlist"
    assert json.loads(info["body"]) == {"user": "ann", "amount": 12.5, "items": [1, "two"], "nested": {"deep": {"x": 1}}}
    assert fatal["body"] == "0" and fatal["body_type"] == "int" and fatal["importance"] == 0
    assert info["observed_timestamp"] >= info["timestamp"] or info["timestamp"]


def _metric_rows(service: RunningService, name: str) -> dict[str, list[dict]]:
    rows = service.query(f"SELECT * FROM events WHERE event_type = 'metric' AND service_name = '{name}'")
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["event_name"], []).append(r)
    return out


def test_metrics_from_sdk_every_type(service: RunningService) -> None:
    name = f"api-{uuid.uuid4().hex[:8]}"
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=service.grpc_endpoint, insecure=True), export_interval_millis=3_600_000
    )
    provider = MeterProvider(
        resource=_resource(name), metric_readers=[reader],
        views=[View(instrument_name="payload.size", aggregation=ExponentialBucketHistogramAggregation(max_size=20))],
    )
    meter = provider.get_meter("api.meter", "1.0")
    meter.create_counter("requests", unit="1", description="served requests").add(5, {"route": "/a"})
    meter.create_up_down_counter("inflight").add(-2)
    hist = meter.create_histogram("latency", unit="ms")
    for v in (3.0, 7.0, 250.0):
        hist.record(v, {"route": "/a"})
    size = meter.create_histogram("payload.size", unit="By")
    for v in (1.0, 2.0, 4.0, 1000.0):
        size.record(v)
    meter.create_gauge("temperature").set(21.5, {"room": "lab"})
    provider.shutdown()  # one final collection and export

    m = _metric_rows(service, name)
    (req,) = m["requests"]
    assert req["metric_type"] == "sum" and req["value"] == 5 and req["is_monotonic"] is True
    assert req["aggregation_temporality"] == "cumulative" and req["metric_unit"] == "1"
    assert req["metric_description"] == "served requests" and req["attributes"] == {"route": "/a"}
    assert json.loads(req["data"])["as_int"] == 5
    assert req["scope_name"] == "api.meter" and req["timestamp"] >= req["start_timestamp"]
    (inflight,) = m["inflight"]
    assert inflight["value"] == -2 and inflight["is_monotonic"] is False
    (lat,) = m["latency"]
    assert lat["metric_type"] == "histogram" and lat["count"] == 3 and lat["sum"] == 260.0
    assert (lat["min"], lat["max"]) == (3.0, 250.0)
    assert sum(lat["bucket_counts"]) == 3 and len(lat["bucket_counts"]) == len(lat["explicit_bounds"]) + 1
    (ps,) = m["payload.size"]
    assert ps["metric_type"] == "exponential_histogram" and ps["count"] == 4 and ps["sum"] == 1007.0
    assert sum(ps["exp_positive_bucket_counts"]) + ps["exp_zero_count"] == 4
    assert ps["exp_scale"] <= 20 and (ps["min"], ps["max"]) == (1.0, 1000.0)
    (temp,) = m["temperature"]
    assert temp["metric_type"] == "gauge" and temp["value"] == 21.5 and temp["attributes"] == {"room": "lab"}
    assert "as_int" not in (json.loads(temp["data"]) if temp["data"] else {})


def test_summary_metric_built_by_hand(service: RunningService) -> None:
    name = f"legacy-metrics-{uuid.uuid4().hex[:8]}"
    req = msvc.ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.add(key="service.name").value.string_value = name
    m = rm.scope_metrics.add().metrics.add(name="rpc.duration", unit="s")
    now = time.time_ns()
    dp = m.summary.data_points.add(start_time_unix_nano=now - 10**9, time_unix_nano=now, count=10, sum=4.5, flags=1)
    dp.attributes.add(key="method").value.string_value = "Get"
    for q, v in ((0.5, 0.3), (0.99, 1.2)):
        dp.quantile_values.add(quantile=q, value=v)
    with grpc.insecure_channel(service.grpc_endpoint) as ch:
        resp = MetricsServiceStub(ch).Export(req, timeout=30)
    assert not resp.HasField("partial_success") or resp.partial_success.rejected_data_points == 0
    (row,) = service.query(f"SELECT * FROM events WHERE service_name = '{name}'")
    assert row["metric_type"] == "summary" and row["count"] == 10 and row["sum"] == 4.5
    assert row["quantiles.quantile"] == [0.5, 0.99] and row["quantiles.value"] == [0.3, 1.2]
    assert row["attributes"] == {"method": "Get"} and json.loads(row["data"])["flags"] == 1


@pytest.mark.parametrize("compression", [grpc.Compression.Gzip])
def test_gzip_requests_are_accepted(service: RunningService, compression: grpc.Compression) -> None:
    name = f"gz-{uuid.uuid4().hex[:8]}"
    req = msvc.ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.add(key="service.name").value.string_value = name
    rm.scope_metrics.add().metrics.add(name="g").gauge.data_points.add(as_double=1.5, time_unix_nano=time.time_ns())
    with grpc.insecure_channel(service.grpc_endpoint, compression=compression) as ch:
        MetricsServiceStub(ch).Export(req, timeout=30)
    assert service.scalar(f"SELECT value FROM events WHERE service_name = '{name}'") == 1.5
