"""Bad OTLP input gets a clear error, and nothing already accepted is lost or duplicated."""

from __future__ import annotations

import os
import time
import uuid

import grpc
import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lsvc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as msvc
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import MetricsServiceStub
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub

from harness import RunningService

TRACE_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _raw_call(service: RunningService, method: str, body: bytes) -> grpc.RpcError | bytes:
    with grpc.insecure_channel(service.grpc_endpoint) as ch:
        call = ch.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            return call(body, timeout=30)
        except grpc.RpcError as exc:
            return exc


def _spans_request(service_name: str, n: int, bad: int = 0) -> tsvc.ExportTraceServiceRequest:
    req = tsvc.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = service_name
    ss = rs.scope_spans.add()
    now = time.time_ns()
    for i in range(n + bad):
        s = ss.spans.add(name=f"op{i}", start_time_unix_nano=now, end_time_unix_nano=now + 1000)
        s.trace_id = os.urandom(16)
        s.span_id = os.urandom(8) if i < n else os.urandom(5)  # the last `bad` spans have broken ids
    return req


@pytest.mark.parametrize(
    "body, fragment",
    [
        (b"\xff\xff\xff\xff", "not a valid opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"),
        (b"\x0a\x05\x0a\x03", "not a valid"),  # truncated nested message
        (b"\x0a" + b"\xff" * 10 + b"\x01", "not a valid"),  # length varint longer than 10 bytes
    ],
)
def test_undecodable_request_is_invalid_argument(service: RunningService, body: bytes, fragment: str) -> None:
    err = _raw_call(service, TRACE_METHOD, body)
    assert isinstance(err, grpc.RpcError)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in err.details()


def test_bad_utf8_in_a_string_field_is_invalid_argument(service: RunningService) -> None:
    req = _spans_request("utf8-check", 1)
    body = bytearray(req.SerializeToString())
    name = b"op0"
    at = body.index(name)
    body[at:at + 3] = b"o\xffp"  # same length, invalid UTF-8 in Span.name
    err = _raw_call(service, TRACE_METHOD, bytes(body))
    assert isinstance(err, grpc.RpcError) and err.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_spans_with_bad_ids_are_rejected_alone_with_partial_success(service: RunningService) -> None:
    name = f"partial-{uuid.uuid4().hex[:8]}"
    with grpc.insecure_channel(service.grpc_endpoint) as ch:
        resp = TraceServiceStub(ch).Export(_spans_request(name, 3, bad=2), timeout=30)
    assert resp.partial_success.rejected_spans == 2
    assert "span 'op3': span_id is 5 bytes, must be 8" in resp.partial_success.error_message
    assert service.scalar(f"SELECT count() FROM events WHERE service_name = '{name}'") == 3


def test_log_records_with_bad_trace_id_rejected_alone(service: RunningService) -> None:
    name = f"badlog-{uuid.uuid4().hex[:8]}"
    req = lsvc.ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = name
    sl = rl.scope_logs.add()
    sl.log_records.add(time_unix_nano=time.time_ns()).body.string_value = "good"
    sl.log_records.add(time_unix_nano=time.time_ns(), trace_id=b"\x01\x02").body.string_value = "bad"
    with grpc.insecure_channel(service.grpc_endpoint) as ch:
        resp = LogsServiceStub(ch).Export(req, timeout=30)
    assert resp.partial_success.rejected_log_records == 1
    assert service.query(f"SELECT body FROM events WHERE service_name = '{name}'") == [{"body": "good"}]


def test_metrics_without_name_are_rejected_alone(service: RunningService) -> None:
    name = f"badmetric-{uuid.uuid4().hex[:8]}"
    req = msvc.ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.add(key="service.name").value.string_value = name
    sm = rm.scope_metrics.add()
    sm.metrics.add(name="ok").gauge.data_points.add(as_int=1, time_unix_nano=time.time_ns())
    nameless = sm.metrics.add()
    nameless.gauge.data_points.add(as_int=2)
    nameless.gauge.data_points.add(as_int=3)
    with grpc.insecure_channel(service.grpc_endpoint) as ch:
        resp = MetricsServiceStub(ch).Export(req, timeout=30)
    assert resp.partial_success.rejected_data_points == 2
    assert "metric without a name" in resp.partial_success.error_message
    assert service.scalar(f"SELECT count() FROM events WHERE service_name = '{name}'") == 1


def test_empty_request_is_accepted_and_stores_nothing(service: RunningService) -> None:
    before = service.scalar("SELECT count() FROM events")
    result = _raw_call(service, TRACE_METHOD, b"")
    assert result == b""  # an empty ExportTraceServiceResponse: success, no partial_success
    assert service.scalar("SELECT count() FROM events") == before


def test_oversized_request_is_refused_by_size(service: RunningService) -> None:
    body = b"\x0a" + b"\xff\xff\xff\x0f" + b"\x00" * (17 * 2**20)  # larger than max_recv_msg_size_mib (16)
    err = _raw_call(service, TRACE_METHOD, body)
    assert isinstance(err, grpc.RpcError) and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_unknown_fields_are_ignored_and_data_kept(service: RunningService) -> None:
    name = f"unknown-{uuid.uuid4().hex[:8]}"
    body = _spans_request(name, 1).SerializeToString() + b"\xa2\x06\x03abc"  # field 100, length-delimited
    result = _raw_call(service, TRACE_METHOD, body)
    assert isinstance(result, bytes)
    assert service.scalar(f"SELECT count() FROM events WHERE service_name = '{name}'") == 1


def test_good_data_after_bad_is_stored_once(service: RunningService) -> None:
    name = f"after-bad-{uuid.uuid4().hex[:8]}"
    for body in (b"\x00garbage", b"\x0a\x01"):
        assert isinstance(_raw_call(service, TRACE_METHOD, body), grpc.RpcError)
    with grpc.insecure_channel(service.grpc_endpoint) as ch:
        TraceServiceStub(ch).Export(_spans_request(name, 5), timeout=30)
    assert service.scalar(f"SELECT count() FROM events WHERE service_name = '{name}'") == 5
    status, stats = service.get_json("/stats")
    assert status == 200 and stats["signals"]["traces"]["refused_requests"] >= 2
