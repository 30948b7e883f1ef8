"""Live tail: GET /tail (Server-Sent Events) and `tailhouse tail`, with the real OTel SDK and tail POSTs."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from tailhouse.collector.live.client import pretty, since_sql
from tailhouse.collector.live.events import decode
from tailhouse.collector.live.filters import FilterError, TailFilter, split_topic
from tailhouse.collector.live.where import WhereError, compile_where
from live_support import Subscriber
from harness import RunningService, post_json, start


class Live:
    def __init__(self, svc: RunningService) -> None:
        self.svc = svc
        self.tail_url = svc.tail_url


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    svc = start(tmp_path_factory.mktemp("live"), "live_tail", mode="subprocess")
    yield Live(svc)
    code = svc.stop()
    assert code == 0, "".join(svc.stderr_lines[-40:])


def _spans(endpoint: str, service: str, names: list[str], error: bool = False) -> tuple[float, str]:
    """Send one span per name with the SDK; (time the last one was acknowledged, trace id)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True)))
    tracer = provider.get_tracer("live.test")
    with tracer.start_as_current_span("root") as root:
        for name in names:
            with tracer.start_as_current_span(name, attributes={"http.route": f"/api/{name}"}) as span:
                if error:
                    span.set_status(Status(StatusCode.ERROR, "boom"))
    acked = time.monotonic()
    provider.shutdown()
    return acked, format(root.get_span_context().trace_id, "032x")


def _tail_item(script: str, trace_id: str) -> dict[str, Any]:
    return {
        "wallTime": 12, "cpuTime": 3, "truncated": False, "executionModel": "stateless", "outcome": "exception",
        "scriptName": script, "diagnosticsChannelEvents": [], "eventTimestamp": int(time.time() * 1000),
        "event": {"request": {"url": "https://shop.example.com/api/cart", "method": "POST",
                              "headers": {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}},
                  "response": {"status": 500}},
        "logs": [{"level": "warn", "message": ["cart is slow"], "timestamp": int(time.time() * 1000)}],
        "exceptions": [{"name": "TypeError", "message": "x is undefined", "stack": "at cart.js:1",
                        "timestamp": int(time.time() * 1000)}],
    }


def _wait_subscriptions(svc: RunningService, n: int, timeout: float = 30) -> None:
    # Subscriptions only grow: earlier tests' subscribers leaving cannot hide a new one.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if svc.get_json("/stats")[1]["live_tail"]["subscriptions"] >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} live-tail subscriptions after {timeout}s")


def _lines(proc: subprocess.Popen[str], n: int, timeout: float = 30) -> list[str]:
    """The next `n` stdout lines of `proc` (fails instead of hanging when they do not come)."""
    out: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout

    def read() -> None:
        for _ in range(n):
            out.put(stdout.readline())
    threading.Thread(target=read, daemon=True).start()
    try:
        return [out.get(timeout=timeout) for _ in range(n)]
    except queue.Empty:
        proc.kill()
        raise AssertionError(f"tailhouse tail printed fewer than {n} lines: {proc.stderr.read() if proc.stderr else ''}")


# -- end to end --------------------------------------------------------------------------------------

def test_sdk_spans_reach_a_subscriber_within_a_second(live: Live) -> None:
    service = f"live-{uuid.uuid4().hex[:8]}"
    sub = Subscriber(live.svc.admin_url, service=service)
    try:
        sent_at, trace_id = _spans(live.svc.grpc_endpoint, service, ["a"])
        got = sub.wait_for(lambda e: e["event_name"] == "root")
        assert got, sub.error
        arrived, ev = got[0]
        assert arrived - sent_at < 1.0
        assert (ev["event_type"], ev["service_name"], ev["trace_id"]) == ("span", service, trace_id)
        assert {e["event_name"] for _, e in sub.events} == {"a", "root"}  # nothing of other services
    finally:
        sub.close()


def test_a_tail_post_reaches_a_topic_subscriber_within_a_second(live: Live) -> None:
    script = f"worker-{uuid.uuid4().hex[:8]}"
    trace_id = uuid.uuid4().hex
    exceptions = Subscriber(live.svc.admin_url, topic=f"tail.{script}.exception")
    everything = Subscriber(live.svc.admin_url, type="tail", service=script)
    try:
        status, answer, _ = post_json(live.tail_url, [_tail_item(script, trace_id)])
        acked = time.monotonic()
        assert status == 200, answer
        got = exceptions.wait_for(lambda e: True)
        assert got and got[0][0] - acked < 1.0
        ev = got[0][1]
        assert (ev["event_name"], ev["exception_type"], ev["trace_id"]) == ("exception", "TypeError", trace_id)
        assert everything.wait_for(lambda e: e["event_name"] == "exception")
        assert sorted(e["event_name"] for _, e in everything.events) == ["console.warn", "exception", "fetch"]
        assert len(exceptions.events) == 1
    finally:
        exceptions.close()
        everything.close()


def test_filters_are_evaluated_before_sending(live: Live) -> None:
    service = f"live-{uuid.uuid4().hex[:8]}"
    errors = Subscriber(live.svc.admin_url, service=service, level="error", where="attributes['http.route'] = '/api/b'")
    try:
        _spans(live.svc.grpc_endpoint, service, ["a", "b"], error=True)
        _spans(live.svc.grpc_endpoint, service, ["b"], error=False)
        assert errors.wait_for(lambda e: e["event_name"] == "b")
        time.sleep(0.5)
        assert [(e["event_name"], e["status_code"]) for _, e in errors.events] == [("b", "Error")]
    finally:
        errors.close()


def test_a_bad_filter_is_refused_with_400_naming_it(live: Live) -> None:
    import urllib.error
    import urllib.request
    for query, fragment in (("level=loud", "level"), ("where=sleep(3)", "sleep()"), ("type=trace", "type"),
                            ("trace=xyz", "32 hex")):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{live.svc.admin_url}/tail?{query}", timeout=10)
        assert err.value.code == 400 and fragment in json.loads(err.value.read())["error"]


def test_a_stalled_subscriber_is_cut_loose_and_ingestion_goes_on(live: Live) -> None:
    service = f"live-{uuid.uuid4().hex[:8]}"
    # A client that asks for everything and never reads (a tiny receive buffer fills at once).
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", live.svc.admin_port))
    stalled.sendall(b"GET /tail HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    reader = Subscriber(live.svc.admin_url, service=service, type="span", where="event_name = 'marker'")
    try:
        channel = grpc.insecure_channel(live.svc.grpc_endpoint)
        export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                                     request_serializer=None, response_deserializer=None)
        for r in range(30):  # 30,000 events: more than a subscriber may fall behind
            req = tsvc.ExportTraceServiceRequest()
            rs = req.resource_spans.add()
            rs.resource.attributes.add(key="service.name").value.string_value = service
            spans = rs.scope_spans.add().spans
            for i in range(1000):
                spans.add(trace_id=uuid.uuid4().bytes, span_id=(r * 1000 + i + 1).to_bytes(8, "big"),
                          name=f"op-{i % 7}", start_time_unix_nano=time.time_ns(),
                          end_time_unix_nano=time.time_ns() + 1000)
            export(req.SerializeToString(), timeout=30)
        # The hub skips requests it has no time for (ingestion comes first), so on a busy machine a
        # marker may be skipped: send one every half second until the reading subscriber sees one.
        markers = 0
        seen: list[Any] = []
        while not seen and markers < 20:
            marker = tsvc.ExportTraceServiceRequest()
            mrs = marker.resource_spans.add()
            mrs.resource.attributes.add(key="service.name").value.string_value = service
            mrs.scope_spans.add().spans.add(trace_id=uuid.uuid4().bytes, span_id=bytes([1, markers]) * 4,
                                            name="marker")
            export(marker.SerializeToString(), timeout=30)
            markers += 1
            seen = reader.wait_for(lambda e: e["event_name"] == "marker", timeout=0.5)
        channel.close()
        # every request was acknowledged, the reading subscriber got its filtered event, the stalled one was cut
        assert seen, "the reading subscriber saw no marker"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and live.svc.get_json("/stats")[1]["live_tail"]["cut_subscribers"] < 1:
            time.sleep(0.1)
        stats = live.svc.get_json("/stats")[1]
        assert stats["live_tail"]["cut_subscribers"] >= 1
        assert int(live.svc.scalar(f"SELECT count() FROM events WHERE service_name = '{service}'")) == 30_000 + markers
        assert not reader.cut
    finally:
        stalled.close()
        reader.close()


def test_tailhouse_tail_since_prints_stored_events_then_follows(live: Live) -> None:
    service = f"live-{uuid.uuid4().hex[:8]}"
    _spans(live.svc.grpc_endpoint, service, ["stored"])
    assert live.svc.flush()
    proc = subprocess.Popen([sys.executable, "-m", "tailhouse", "tail", "--admin", live.svc.admin_url,
                             "--service", service, "--since", "5m", "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [json.loads(line) for line in _lines(proc, 2)]  # the stored span and its root
        assert {e["event_name"] for e in lines} == {"stored", "root"}
        _spans(live.svc.grpc_endpoint, service, ["live"])  # the stream was open before the query: now live
        # The stored events may come once more from the stream (documented: nothing is missed, an
        # event may show twice); the live one must follow.
        names: set[str] = set()
        for _ in range(6):
            names |= {json.loads(line)["event_name"] for line in _lines(proc, 1)}
            if "live" in names:
                break
        assert "live" in names and names <= {"stored", "live", "root"}
    finally:
        proc.terminate()
        proc.wait(10)


def test_pretty_output_is_one_line_per_event_without_colour_when_piped(live: Live) -> None:
    service = f"live-{uuid.uuid4().hex[:8]}"
    before = live.svc.get_json("/stats")[1]["live_tail"]["subscriptions"]
    proc = subprocess.Popen([sys.executable, "-m", "tailhouse", "tail", "--admin", live.svc.admin_url,
                             "--service", service, "--level", "error"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_subscriptions(live.svc, before + 1)
        _spans(live.svc.grpc_endpoint, service, ["pay"], error=True)
        (line,) = _lines(proc, 1)
        assert "\033[" not in line and line.count("\n") == 1
        assert " ERROR span   " in line and f"{service} pay: " in line and "Error boom" in line
    finally:
        proc.terminate()
        proc.wait(10)


# -- units -------------------------------------------------------------------------------------------

def test_topic_grammar() -> None:
    assert split_topic("tail.*.exception") == ("tail", "*", "exception")
    assert split_topic("span.checkout") == ("span", "checkout", "*")
    assert split_topic("log.api.console.*") == ("log", "api", "console.*")
    assert split_topic("span.shop[.]eu.*") == ("span", "shop[.]eu", "*")
    with pytest.raises(FilterError):
        split_topic("span..x")
    f = TailFilter.parse({}, lambda name, d: {"topic": ["span.checkout.*", "tail.*.exception"]}.get(name, d))
    ev = {"event_type": "span", "source": "otlp", "service_name": "checkout", "event_name": "POST /cart"}
    assert f.matches(ev)
    assert not f.matches({**ev, "service_name": "cart"})
    assert f.matches({"event_type": "log", "source": "tail", "service_name": "w", "event_name": "exception"})
    assert not f.matches({"event_type": "log", "source": "tail", "service_name": "w", "event_name": "console.log"})


def test_where_evaluator_is_sql_like_and_safe() -> None:
    ev = {"severity_number": 17, "duration_ns": 2_000_000, "body": "Payment Failed", "service_name": "pay",
          "attributes": {"http.response.status_code": "503"}}
    assert compile_where("severity_number >= 17 AND duration_ns > 1000000")(ev)
    assert compile_where("body ILIKE '%failed%' AND NOT body LIKE '%failed%'")(ev)
    assert compile_where("attributes['http.response.status_code'] >= 500")(ev)  # text compared as a number
    assert compile_where("service_name IN ('a', 'pay') OR 0")(ev)
    assert not compile_where("service_name NOT IN ('pay')")(ev)
    assert compile_where("body = 'it''s'")({"body": "it's"})
    for bad, fragment in (("sleep(1)", "functions"), ("password = 1", "unknown column"), ("body =", "expected"),
                          ("body = 'x' ; DROP TABLE events", "cannot read"), ("", "empty")):
        with pytest.raises(WhereError) as err:
            compile_where(bad)
        assert fragment in str(err.value)


def test_since_sql_carries_every_filter() -> None:
    f = TailFilter.parse({"type": "tail", "service": "shop-*", "level": "warn", "grep": "it's",
                          "where": "outcome = 'exception'"})
    sql = since_sql(f, 300, 100)
    assert "toIntervalMillisecond(300000)" in sql and "severity_number >= 13" in sql
    assert "match(service_name, '^shop\\\\-.*$')" in sql and "position(body, 'it\\'s')" in sql
    assert "(outcome = 'exception')" in sql and "LIMIT 100" in sql


def test_decoded_span_and_pretty_line() -> None:
    req = tsvc.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = "checkout"
    s = rs.scope_spans.add().spans.add(trace_id=b"\1" * 16, span_id=b"\2" * 8, name="POST /cart",
                                       start_time_unix_nano=1_700_000_000_123_000_000,
                                       end_time_unix_nano=1_700_000_000_135_500_000)
    s.status.code = 2
    s.status.message = "card declined"
    (ev,) = decode("otlp_traces", req.SerializeToString())
    assert ev["severity_text"] == "ERROR" and ev["duration_ns"] == 12_500_000
    line = pretty(ev, colour=False)
    assert line == "22:13:20.123 ERROR span   checkout POST /cart: 12.5ms Error card declined  trace=0101010101010101"
    assert pretty(ev, colour=True).startswith("\033[31m")
