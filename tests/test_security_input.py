"""Hostile bodies and slow clients against a running service: every one answered, nothing half-stored.

Multi-member gzip is decoded in full (within the size cap), deep JSON is a 400 with a message,
request bytes in flight are capped with a retryable answer, and slow or idle connections are
closed on the OTLP/HTTP, tail and admin ports.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from typing import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from harness import RunningService, http_request, wait_until
from security_support import (TAIL_TOKEN, TOKEN, closed_within, count_rows, gzip_members, hardened_service, port_of,
                              span_request, tail_item)

PROTOBUF = {"Content-Type": "application/x-protobuf"}
TAIL = {"Content-Type": "application/json", "Authorization": f"Bearer {TAIL_TOKEN}"}


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    service = hardened_service(tmp_path_factory.mktemp("input-attacks"))
    try:
        yield service
    finally:
        service.stop()


def _otlp(svc: RunningService) -> str:
    return svc.endpoint("otlp/http") + "/v1/traces"


def test_multi_member_gzip_is_decoded_in_full_on_otlp_http(svc: RunningService) -> None:
    body = gzip_members(span_request("gzip-members-otlp", "first", 7), span_request("gzip-members-otlp", "second", 8))
    status, _, answer = http_request(_otlp(svc), body, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert status == 200, answer
    wait_until(lambda: count_rows(svc, "service_name = 'gzip-members-otlp'") == 2, 30, "both spans")
    assert {r[0] for r in svc.store_rows("SELECT event_name FROM tailhouse.events "
                                         "WHERE service_name = 'gzip-members-otlp'")} == {"first", "second"}


def test_multi_member_gzip_is_decoded_in_full_on_tail(svc: RunningService) -> None:
    doc = json.dumps([tail_item("gzip-members-tail"), tail_item("gzip-members-tail")]).encode()
    half = len(doc) // 2
    status, _, answer = http_request(svc.endpoint("tail/http"), gzip_members(doc[:half], doc[half:]),
                                     {**TAIL, "Content-Encoding": "gzip"})
    assert status == 200, answer
    assert json.loads(answer)["accepted"] == 2


@pytest.mark.parametrize("target", ["otlp", "tail"])
def test_gzip_members_past_the_size_cap_are_refused(svc: RunningService, target: str) -> None:
    """Each member alone is under the cap; together they are not."""
    member = gzip.compress(b" " * (200 * 1024))
    url, headers = (_otlp(svc), PROTOBUF) if target == "otlp" else (svc.endpoint("tail/http"), TAIL)
    before = count_rows(svc)
    status, _, _ = http_request(url, member * 2, {**headers, "Content-Encoding": "gzip"})
    assert status == 413
    assert count_rows(svc) == before


def _nested_anyvalue(depth: int) -> dict:
    value: dict = {"stringValue": "leaf"}
    for _ in range(depth):
        value = {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
    return value


def test_deeply_nested_otlp_json_is_a_400_with_a_message(svc: RunningService) -> None:
    span = {"traceId": "01" * 16, "spanId": "02" * 8, "name": "deep", "startTimeUnixNano": "1", "endTimeUnixNano": "2",
            "attributes": [{"key": "deep", "value": _nested_anyvalue(200)}]}
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
    before = count_rows(svc)
    status, _, answer = http_request(_otlp(svc), json.dumps(doc).encode(), {"Content-Type": "application/json"})
    assert status == 400
    assert "nested too deeply" in json.loads(answer)["message"]
    assert count_rows(svc) == before


def test_deeply_nested_tail_log_is_a_400_with_a_message(svc: RunningService) -> None:
    message: object = "leaf"
    for _ in range(900):
        message = [message]
    before = count_rows(svc)
    status, _, answer = http_request(svc.endpoint("tail/http"), json.dumps([tail_item("deep", message)]).encode(), TAIL)
    assert status == 400
    assert "nested more than" in json.loads(answer)["error"]
    assert count_rows(svc) == before


def _hold_in_flight(port: int, path: str, announced: int, headers: str = "") -> socket.socket:
    """A request that announces `announced` body bytes and sends only a few: held in flight."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n{headers}"
                 f"Content-Length: {announced}\r\n\r\n".encode() + b"\x0a")
    return sock


def test_request_bytes_in_flight_are_capped_with_a_retryable_answer(svc: RunningService) -> None:
    """96 KiB cap: one slow 90 KiB upload is in flight, so the next requests get backpressure."""
    port = port_of(svc.endpoint("otlp/http"))
    holder = _hold_in_flight(port, "/v1/traces", 90 * 1024)
    try:
        time.sleep(0.3)
        before = count_rows(svc)
        body = span_request("over-the-cap") + b"\x12\x00" * 4096  # 8 KiB more: past the cap
        status, headers, answer = http_request(_otlp(svc), body, PROTOBUF)
        assert status == 503 and headers.get("Retry-After") == "1", answer
        status, headers, answer = http_request(svc.endpoint("tail/http"), json.dumps([tail_item("cap")] * 40).encode(),
                                               TAIL)
        assert status == 503 and headers.get("Retry-After") == "1", answer
        with grpc.insecure_channel(svc.endpoint("otlp/grpc")) as channel:
            call = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
            with pytest.raises(grpc.RpcError) as err:
                call(body, timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        details = dict(err.value.trailing_metadata() or ())["grpc-status-details-bin"]
        status_msg = status_pb2.Status.FromString(details)
        info = error_details_pb2.RetryInfo()
        assert status_msg.details[0].Unpack(info) and info.retry_delay.seconds == 1
        assert count_rows(svc) == before
    finally:
        holder.close()
    # Once the slow upload is gone, the same request is accepted.
    wait_until(lambda: http_request(_otlp(svc), span_request("after-the-cap"), PROTOBUF)[0] == 200, 10, "capacity")


def _ports(svc: RunningService) -> dict[str, tuple[int, str, dict[str, str]]]:
    return {"otlp/http": (port_of(svc.endpoint("otlp/http")), "/v1/traces", {}),
            "tail/http": (port_of(svc.endpoint("tail/http")), "/v1/tail", {"Authorization": f"Bearer {TAIL_TOKEN}"}),
            "admin": (port_of(svc.admin_url), "/query", {"Authorization": f"Bearer {TOKEN}"})}


@pytest.mark.parametrize("port_name", ["otlp/http", "tail/http", "admin"])
def test_silent_and_slow_header_connections_are_closed(svc: RunningService, port_name: str) -> None:
    """read_header_timeout is 1s: a silent client and one trickling its headers are both cut off."""
    port, path, _ = _ports(svc)[port_name]
    with socket.create_connection(("127.0.0.1", port)) as silent, \
            socket.create_connection(("127.0.0.1", port)) as trickle:
        closed, _ = closed_within(silent, 4)
        assert closed, "a connection that sends nothing is closed"
        trickle.sendall(f"POST {path} HTTP/1.1\r\n".encode())
        start = time.monotonic()
        closed = False
        while time.monotonic() - start < 5 and not closed:
            try:
                trickle.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed = True
                break
            closed, _ = closed_within(trickle, 0.3)
        assert closed, "a connection that trickles headers is closed"
        assert time.monotonic() - start < 4


@pytest.mark.parametrize("port_name", ["otlp/http", "tail/http", "admin"])
def test_slow_body_is_answered_408_and_idle_keepalive_closed(svc: RunningService, port_name: str) -> None:
    port, path, headers = _ports(svc)[port_name]
    before = count_rows(svc)
    with socket.create_connection(("127.0.0.1", port)) as slow:
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        slow.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}"
                     f"Content-Length: 1000\r\n\r\n[".encode())
        closed, got = closed_within(slow, 5)
        assert got.startswith(b"HTTP/1.1 408"), got[:200]
    with socket.create_connection(("127.0.0.1", port)) as idle:
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        closed, got = closed_within(idle, 4)
        assert got.startswith(b"HTTP/1.1 "), "one request answered"
        assert closed, "then the idle keep-alive connection is closed (idle_timeout 1s)"
    assert count_rows(svc) == before


def test_connection_cap_answers_503_beyond_max_connections(svc: RunningService) -> None:
    """The tail port allows 3 connections: a 4th is answered 503 with Retry-After and closed."""
    port = port_of(svc.endpoint("tail/http"))
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port)) as extra:
            closed, got = closed_within(extra, 2)
        assert closed and got.startswith(b"HTTP/1.1 503") and b"Retry-After: 1" in got
    finally:
        for s in held:
            s.close()
    time.sleep(0.2)
    status, _, _ = http_request(svc.endpoint("tail/http"), json.dumps([tail_item("after-cap")]).encode(), TAIL)
    assert status == 200


def _span(name: str, attributes: dict[str, str], trace_byte: int) -> trace_pb2.Span:
    return trace_pb2.Span(trace_id=bytes([trace_byte]) * 16, span_id=bytes([trace_byte]) * 8, name=name,
                          start_time_unix_nano=time.time_ns(), end_time_unix_nano=time.time_ns() + 1,
                          attributes=[common_pb2.KeyValue(key=k, value=common_pb2.AnyValue(string_value=v))
                                      for k, v in attributes.items()])


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_items_over_the_attribute_limits_are_refused_via_partial_success(svc: RunningService, transport: str) -> None:
    """max_attributes 64 and max_attribute_value_length 64 KiB: the two oversized spans are refused, one is stored."""
    service = f"item-limits-{transport}"
    spans = [_span("fine", {"a": "b"}, 21), _span("many", {f"k{i}": "v" for i in range(200)}, 22),
             _span("long", {"big": "x" * (80 * 1024)}, 23)]
    resource = resource_pb2.Resource(attributes=[common_pb2.KeyValue(
        key="service.name", value=common_pb2.AnyValue(string_value=service))])
    body = trace_pb.ExportTraceServiceRequest(resource_spans=[trace_pb2.ResourceSpans(
        resource=resource, scope_spans=[trace_pb2.ScopeSpans(spans=spans)])]).SerializeToString()
    if transport == "http":
        status, _, answer = http_request(_otlp(svc), body, PROTOBUF)
        assert status == 200
    else:
        with grpc.insecure_channel(svc.endpoint("otlp/grpc")) as channel:
            answer = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")(body, timeout=30)
    partial = trace_pb.ExportTraceServiceResponse.FromString(answer).partial_success
    assert partial.rejected_spans == 2
    assert "200 attributes, more than max_attributes 64" in partial.error_message
    assert "'big' is 81920 bytes, more than max_attribute_value_length 65536" in partial.error_message
    wait_until(lambda: count_rows(svc, f"service_name = '{service}'") == 1, 30, "the span within the limits")
    assert svc.store_rows(f"SELECT event_name FROM tailhouse.events WHERE service_name = '{service}'") == [("fine",)]


def test_grpc_port_closes_silent_connections_and_caps_connections(svc: RunningService) -> None:
    """OTLP/gRPC: read_header_timeout 1s bounds the handshake; max_connections 4 refuses a 5th connection."""
    target = svc.endpoint("otlp/grpc")
    with socket.create_connection(("127.0.0.1", port_of(target))) as silent:
        assert closed_within(silent, 5)[0], "a connection that never sends the HTTP/2 preface is closed"
    # A local subchannel pool per channel: each channel is its own TCP connection.
    channels = [grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) for _ in range(5)]
    try:
        codes = []
        for channel in channels:
            try:
                channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")(
                    span_request("grpc-cap"), timeout=10)
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as exc:
                codes.append(exc.code())
        assert codes[:4] == [grpc.StatusCode.OK] * 4 and codes[4] == grpc.StatusCode.UNAVAILABLE
    finally:
        for channel in channels:
            channel.close()
