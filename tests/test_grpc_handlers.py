"""Handler-level tests of the gRPC receivers: status codes, partial_success, RetryInfo and auth.

No sockets and no ClickHouse. Each receiver is built over a real intake whose fan-out appends to
a real write-ahead log in a temporary directory (read by nobody, so records stay counted as
unexported and `max_bytes` bites as it does in service); calls run in-process.

How the calls reach the handlers:

- grpc_testing drives the services by their descriptors (OTLP from opentelemetry-proto,
  TailService from tailhouse.tail.v1): `server_from_dictionary` maps each descriptor to an
  `AioBridge`, the servicer grpc_testing calls. The termination it returns (response message,
  trailing metadata, code, details) is what the assertions read.
- The receivers are grpc.aio servers whose handlers are coroutines over raw request bytes, and
  grpc_testing runs only synchronous servicers over message objects. So `AioBridge` serialises the
  request (raw `bytes` pass as they are, to send undecodable input) and runs the receiver's own
  dispatch on an event loop thread: the server interceptors and generic handlers that
  `receiver.start()` gives grpc.aio.server (a `CapturingServer` takes its place and binds
  nothing), the interceptors in their order, then the method handler for the method's full
  name. `AioContext` stands in for grpc.aio.ServicerContext: `abort` records code,
  details and trailing metadata and raises grpc.aio.AbortError, as the real one does.
- Bearer-token auth and the memory limiter are grpc.aio server interceptors, which grpc_testing
  cannot run; the dispatch runs their `intercept_service` as grpc.aio does (the first interceptor
  outermost), so they are tested where they live. The end-to-end tests over loopback
  (test_tail_receivers, test_security_servers, test_otlp_sdk) stay beside these.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, Sequence

import grpc
import grpc_testing
import pytest
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import Gauge, Metric, NumberDataPoint
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tailhouse.collector.server.auth import BearerAuth
from tailhouse.collector.receivers.cloudflare_tail.config import TailGrpcConfig
from tailhouse.collector.receivers.otlp.config import GrpcProtocolConfig, ItemLimitsConfig
from tailhouse.collector.server.settings import AuthConfig
from tailhouse.collector.intake import Intake
from tailhouse.collector.receivers.otlp.item_limits import ItemLimiter
from tailhouse.collector.memory_limiter import MemoryLimiter
from tailhouse.pipeline.signals import Signal
from tailhouse.collector.server.grpc import GrpcReceiver
from tailhouse.collector.receivers.otlp.grpc import OtlpGrpcReceiver
from tailhouse.collector.server.retry_hints import STATUS_DETAILS_KEY, abort_export_error
from tailhouse.collector.receivers.cloudflare_tail.grpc import TailGrpcReceiver
from tailhouse.collector.tail.intake import TailIntake
from tailhouse.collector.tail.mapping import MappingOptions, TailMapper
from tailhouse.pipeline.errors import ExportError
from tailhouse.pipeline.fanout import Fanout, LogTarget
from tailhouse.pipeline.stats import Stats
from tailhouse.pipeline.wal import LogOptions, WriteAheadLog
from tailhouse.tail.v1 import tail_pb2

TOKEN = "s3cret-token"
EXPORTER = "clickhouse"
GARBAGE = b"\x0a\xff\xff\xff"  # field 1, length-delimited, with a length that runs past the end

OTLP_SERVICES: dict[Signal, ServiceDescriptor] = {
    Signal.TRACES: trace_pb.DESCRIPTOR.services_by_name["TraceService"],
    Signal.LOGS: logs_pb.DESCRIPTOR.services_by_name["LogsService"],
    Signal.METRICS: metrics_pb.DESCRIPTOR.services_by_name["MetricsService"],
}
TAIL_SERVICE = tail_pb2.DESCRIPTOR.services_by_name["TailService"]
REJECTED_FIELD = {Signal.TRACES: "rejected_spans", Signal.LOGS: "rejected_log_records",
                  Signal.METRICS: "rejected_data_points"}


# ---- the in-process grpc.aio dispatch ------------------------------------------------------------

@dataclass(frozen=True)
class CallDetails:
    """grpc.HandlerCallDetails as grpc.aio hands it to interceptors."""

    method: str
    invocation_metadata: tuple[tuple[str, Any], ...]


class AioContext:
    """Stands in for grpc.aio.ServicerContext: records how the handler ended the call."""

    def __init__(self, metadata: tuple[tuple[str, Any], ...]) -> None:
        self._metadata = metadata
        self.code: grpc.StatusCode | None = None
        self.details = ""
        self.trailing: tuple[tuple[str, Any], ...] = ()

    def invocation_metadata(self) -> tuple[tuple[str, Any], ...]:
        return self._metadata

    async def abort(self, code: grpc.StatusCode, details: str = "",
                    trailing_metadata: Sequence[tuple[str, Any]] = ()) -> None:
        if self.code is not None:
            raise grpc.aio.UsageError("Abort already called!")
        self.code, self.details, self.trailing = code, details, tuple(trailing_metadata)
        raise grpc.aio.AbortError("Locally aborted.")


class CapturingServer:
    """Takes grpc.aio.server's place in `start_grpc_server`: keeps the interceptors and handlers, binds nothing."""

    def __init__(self, options: Sequence[tuple[str, Any]] = (),
                 interceptors: Sequence[grpc.aio.ServerInterceptor] = ()) -> None:
        self.interceptors = list(interceptors)
        self.handlers: list[grpc.GenericRpcHandler] = []

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self.handlers.extend(handlers)

    def add_insecure_port(self, endpoint: str) -> int:
        return 1

    def add_secure_port(self, endpoint: str, credentials: grpc.ServerCredentials) -> int:
        return 1

    async def start(self) -> None:
        return None

    async def stop(self, grace: float | None) -> None:
        return None


async def find_handler(interceptors: Sequence[grpc.aio.ServerInterceptor], handlers: Sequence[grpc.GenericRpcHandler],
                       details: CallDetails) -> grpc.RpcMethodHandler | None:
    """The method handler grpc.aio would run: interceptors first (first outermost), then the generic handlers."""
    def query(d: CallDetails) -> grpc.RpcMethodHandler | None:
        return next((h for g in handlers if (h := g.service(d)) is not None), None)

    async def run(rest: Iterator[grpc.aio.ServerInterceptor], d: CallDetails) -> grpc.RpcMethodHandler | None:
        interceptor = next(rest, None)
        if interceptor is None:
            return query(d)
        return await interceptor.intercept_service(lambda nd: run(rest, nd), d)

    return await run(iter(interceptors), details)


async def dispatch(interceptors: Sequence[grpc.aio.ServerInterceptor], handlers: Sequence[grpc.GenericRpcHandler],
                   method: str, raw: bytes, context: AioContext) -> bytes | None:
    """Run one unary call as grpc.aio does; None when the handler aborted (see `context`)."""
    handler = await find_handler(interceptors, handlers, CallDetails(method, context.invocation_metadata()))
    if handler is None:
        context.code, context.details = grpc.StatusCode.UNIMPLEMENTED, "Method not found!"
        return None
    request = handler.request_deserializer(raw) if handler.request_deserializer else raw
    try:
        response = await handler.unary_unary(request, context)
    except grpc.aio.AbortError:
        return None
    return handler.response_serializer(response) if handler.response_serializer else response


class AioBridge:
    """The synchronous servicer grpc_testing calls; runs a receiver's aio dispatch on the loop thread."""

    def __init__(self, service: ServiceDescriptor, run: Callable[[Awaitable[Any]], Any],
                 interceptors: list[grpc.aio.ServerInterceptor], handlers: list[grpc.GenericRpcHandler]) -> None:
        self._method = service.methods_by_name["Export"]
        self._output = GetMessageClass(self._method.output_type)
        self._run = run
        self._interceptors = interceptors
        self._handlers = handlers

    def Export(self, request: Message | bytes, context: grpc.ServicerContext) -> Message | None:  # noqa: N802
        raw = request if isinstance(request, bytes) else request.SerializeToString()
        aio_context = AioContext(tuple(context.invocation_metadata()))
        path = f"/{self._method.containing_service.full_name}/{self._method.name}"
        response = self._run(dispatch(self._interceptors, self._handlers, path, raw, aio_context))
        if aio_context.code is not None:
            # grpc_testing's own abort drops trailing metadata; set the status parts instead.
            context.set_trailing_metadata(aio_context.trailing)
            context.set_code(aio_context.code)
            context.set_details(aio_context.details)
            return None
        return self._output.FromString(response)


@dataclass
class Outcome:
    """How a call ended, as a client sees it."""

    response: Any
    trailing: dict[str, Any]
    code: grpc.StatusCode
    details: str

    def retry_delay(self) -> float:
        """Seconds of the RetryInfo in the google.rpc.Status of the trailing metadata."""
        status = status_pb2.Status.FromString(self.trailing[STATUS_DETAILS_KEY])
        assert status.code == code_pb2.UNAVAILABLE and status.message == self.details
        info = error_details_pb2.RetryInfo()
        assert len(status.details) == 1 and status.details[0].Unpack(info)
        return info.retry_delay.ToNanoseconds() / 1e9


def call(server: grpc_testing.Server, service: ServiceDescriptor, request: Message | bytes,
         token: str | None = None, authorization: str | None = None) -> Outcome:
    """One Export call through grpc_testing, with `Authorization: Bearer <token>` when given."""
    header = authorization if authorization is not None else (f"Bearer {token}" if token is not None else None)
    metadata = (("authorization", header),) if header is not None else ()
    rpc = server.invoke_unary_unary(service.methods_by_name["Export"], metadata, request, None)
    response, trailing, code, details = rpc.termination()
    return Outcome(response, dict(trailing), code, details)


# ---- receivers over real write-ahead logs --------------------------------------------------------

@dataclass
class Harness:
    """An event loop thread, write-ahead logs in `directory`, and receivers served by grpc_testing."""

    directory: Path
    monkeypatch: pytest.MonkeyPatch
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    stats: Stats = field(default_factory=Stats)
    logs: list[WriteAheadLog] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self.loop.run_forever, name="grpc-handlers-loop", daemon=True)
        self._thread.start()

    def run(self, awaitable: Awaitable[Any]) -> Any:
        async def wrapped() -> Any:
            return await awaitable
        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout=30)

    def log(self, kind: str, max_bytes: int = 2**20, retry_after: float = 2.0) -> WriteAheadLog:
        """A write-ahead log with one reader (the exporter's) that never reads: appends stay unexported."""
        wal = WriteAheadLog(self.directory / kind, LogOptions(max_bytes=max_bytes, retry_after=retry_after),
                            name=f"{EXPORTER}/{kind}")
        wal.open([EXPORTER])
        self.logs.append(wal)
        return wal

    def stored(self, wal: WriteAheadLog) -> list[bytes]:
        """Payloads of every record appended to `wal`, once the appends it has queued are written."""
        async def settle() -> None:
            # An append submitted but not yet flushed would make "nothing was appended" pass too early.
            if wal._flusher is not None:
                await asyncio.gather(wal._flusher, return_exceptions=True)
        self.run(settle())
        entries, _ = wal.read_disk(list(range(1, wal.end + 1)))
        return [e.payload for e in entries]

    def serve(self, receiver: GrpcReceiver, services: list[ServiceDescriptor]) -> grpc_testing.Server:
        """grpc_testing serving `services` through what `receiver.start()` installs on its server."""
        servers: list[CapturingServer] = []

        def server(**kwargs: Any) -> CapturingServer:
            servers.append(CapturingServer(**kwargs))
            return servers[-1]

        self.monkeypatch.setattr(grpc.aio, "server", server)
        self.run(receiver.start())
        self.monkeypatch.undo()
        [built] = servers
        servicers = {s: AioBridge(s, self.run, built.interceptors, built.handlers) for s in services}
        return grpc_testing.server_from_dictionary(servicers, grpc_testing.strict_real_time())

    def close(self) -> None:
        self.monkeypatch.undo()
        for wal in self.logs:
            if not wal._closed:
                self.run(wal.close())
        self.run(self.loop.shutdown_default_executor())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path, pytest.MonkeyPatch())
    yield h
    h.close()


@dataclass
class Otlp:
    """An OTLP receiver serving all three signals, each into its own log."""

    server: grpc_testing.Server
    logs: dict[Signal, WriteAheadLog]


def otlp_receiver(h: Harness, auth: AuthConfig | None = None, limiter: MemoryLimiter | None = None,
                  item_limits: ItemLimitsConfig | None = None, max_bytes: int = 2**20,
                  signals: Sequence[Signal] = tuple(Signal)) -> Otlp:
    logs = {s: h.log(s.value, max_bytes) for s in signals}
    feeds = {s: Fanout([LogTarget(EXPORTER, logs[s])]) for s in signals}
    config = GrpcProtocolConfig(endpoint="127.0.0.1:0", auth=auth)
    receiver = OtlpGrpcReceiver("otlp", config, Intake("otlp", feeds, h.stats), limiter=limiter,
                                item_limiter=ItemLimiter(item_limits) if item_limits else None)
    return Otlp(h.serve(receiver, list(OTLP_SERVICES.values())), logs)


@dataclass
class Tail:
    server: grpc_testing.Server
    log: WriteAheadLog


def tail_receiver(h: Harness, auth: AuthConfig | None = None, limiter: MemoryLimiter | None = None,
                  max_bytes: int = 2**20) -> Tail:
    wal = h.log("tail", max_bytes)
    intake = TailIntake("cloudflare_tail", Fanout([LogTarget(EXPORTER, wal)]), h.stats,
                        TailMapper(MappingOptions.build("worker", ["authorization"], ["token"])))
    receiver = TailGrpcReceiver("cloudflare_tail", TailGrpcConfig(endpoint="127.0.0.1:0"), auth, intake,
                                limiter=limiter)
    return Tail(h.serve(receiver, [TAIL_SERVICE]), wal)


# ---- requests ------------------------------------------------------------------------------------

def span(name: str, span_id: bytes = b"\x02" * 8) -> Span:
    return Span(trace_id=b"\x01" * 16, span_id=span_id, name=name, start_time_unix_nano=1, end_time_unix_nano=2,
                attributes=[KeyValue(key="k", value=AnyValue(string_value="v"))])


def log_record(body: str, trace_id: bytes = b"") -> LogRecord:
    return LogRecord(time_unix_nano=1, body=AnyValue(string_value=body), trace_id=trace_id)


def gauge(name: str, points: int = 1) -> Metric:
    return Metric(name=name, gauge=Gauge(data_points=[NumberDataPoint(as_int=i, time_unix_nano=1)
                                                      for i in range(points)]))


def otlp_request(signal: Signal, good: int = 1, bad: int = 0) -> Message:
    """A request of `good` valid items and `bad` invalid ones (a wrong-length id, a metric without a name)."""
    if signal is Signal.TRACES:
        spans = [span(f"ok-{i}") for i in range(good)] + [span(f"bad-{i}", span_id=b"\x03" * 5) for i in range(bad)]
        req = trace_pb.ExportTraceServiceRequest()
        req.resource_spans.add().scope_spans.add().spans.extend(spans)
        return req
    if signal is Signal.LOGS:
        records = [log_record(f"ok-{i}") for i in range(good)] + [log_record(f"bad-{i}", b"\x04" * 3)
                                                                   for i in range(bad)]
        req = logs_pb.ExportLogsServiceRequest()
        req.resource_logs.add().scope_logs.add().log_records.extend(records)
        return req
    metrics = [gauge(f"ok.{i}") for i in range(good)] + [gauge("", points=1) for _ in range(bad)]
    req = metrics_pb.ExportMetricsServiceRequest()
    req.resource_metrics.add().scope_metrics.add().metrics.extend(metrics)
    return req


def count_items(signal: Signal, payload: bytes) -> list[str]:
    """Names (spans, metrics) or bodies (log records) of the items in a stored OTLP payload."""
    if signal is Signal.TRACES:
        req = trace_pb.ExportTraceServiceRequest.FromString(payload)
        return [s.name for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans]
    if signal is Signal.LOGS:
        req = logs_pb.ExportLogsServiceRequest.FromString(payload)
        return [r.body.string_value for rl in req.resource_logs for sl in rl.scope_logs for r in sl.log_records]
    req = metrics_pb.ExportMetricsServiceRequest.FromString(payload)
    return [m.name for rm in req.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]


def tail_item(name: str) -> tail_pb2.TraceItem:
    msg = tail_pb2.TraceItem(script_name=name, outcome="ok", execution_model="stateless", wall_time=7, cpu_time=1,
                             event_timestamp=1795347406596)
    msg.rpc.rpc_method = "add"
    msg.logs.add(level="log", timestamp=1795347406597).message.extend(["rpc add", 2, 3])
    return msg


def bad_tail_item(name: str) -> tail_pb2.TraceItem:
    msg = tail_item(name)
    msg.cpu_time = float("nan")
    return msg


# ---- OTLP: answers -------------------------------------------------------------------------------

@pytest.mark.parametrize("signal", list(Signal))
def test_otlp_valid_request_is_ok_and_stored_as_sent(harness: Harness, signal: Signal) -> None:
    otlp = otlp_receiver(harness)
    req = otlp_request(signal, good=2)
    out = call(otlp.server, OTLP_SERVICES[signal], req)
    assert out.code is grpc.StatusCode.OK, out.details
    assert out.response == GetMessageClass(OTLP_SERVICES[signal].methods_by_name["Export"].output_type)()
    assert not out.response.HasField("partial_success")
    assert harness.stored(otlp.logs[signal]) == [req.SerializeToString()], "the original bytes go to the log untouched"
    assert all(len(harness.stored(otlp.logs[s])) == 0 for s in Signal if s is not signal)
    assert harness.stats.of(signal).accepted_items == 2


@pytest.mark.parametrize("signal", list(Signal))
def test_otlp_invalid_items_give_partial_success_and_the_rest_is_stored(harness: Harness, signal: Signal) -> None:
    otlp = otlp_receiver(harness)
    out = call(otlp.server, OTLP_SERVICES[signal], otlp_request(signal, good=2, bad=1))
    assert out.code is grpc.StatusCode.OK, out.details
    partial = out.response.partial_success
    assert getattr(partial, REJECTED_FIELD[signal]) == 1
    expected = {Signal.TRACES: "span 'bad-0': span_id is 5 bytes, must be 8",
                Signal.LOGS: "log record 2: trace_id is 3 bytes, must be 0 or 16",
                Signal.METRICS: "metric without a name"}[signal]
    assert partial.error_message == expected
    [payload] = harness.stored(otlp.logs[signal])
    assert count_items(signal, payload) == (["ok.0", "ok.1"] if signal is Signal.METRICS else ["ok-0", "ok-1"])
    assert harness.stats.of(signal).rejected_items == 1


@pytest.mark.parametrize("signal", list(Signal))
def test_otlp_all_items_invalid_is_ok_with_all_rejected_and_nothing_stored(harness: Harness, signal: Signal) -> None:
    otlp = otlp_receiver(harness)
    out = call(otlp.server, OTLP_SERVICES[signal], otlp_request(signal, good=0, bad=3))
    assert out.code is grpc.StatusCode.OK, out.details
    assert getattr(out.response.partial_success, REJECTED_FIELD[signal]) == 3
    assert len(harness.stored(otlp.logs[signal])) == 0


@pytest.mark.parametrize("signal", list(Signal))
def test_otlp_undecodable_request_is_invalid_argument(harness: Harness, signal: Signal) -> None:
    otlp = otlp_receiver(harness)
    out = call(otlp.server, OTLP_SERVICES[signal], GARBAGE)
    assert out.code is grpc.StatusCode.INVALID_ARGUMENT
    request_type = OTLP_SERVICES[signal].methods_by_name["Export"].input_type.full_name
    assert out.details.startswith(f"request body is not a valid {request_type}: ")
    assert STATUS_DETAILS_KEY not in out.trailing, "a request that can never succeed must not ask for a retry"
    assert len(harness.stored(otlp.logs[signal])) == 0
    assert harness.stats.of(signal).refused_requests == 1


def test_otlp_item_limits_refuse_items_via_partial_success(harness: Harness) -> None:
    otlp = otlp_receiver(harness, item_limits=ItemLimitsConfig(max_attributes=1))
    req = otlp_request(Signal.TRACES, good=2)
    req.resource_spans[0].scope_spans[0].spans[1].attributes.add(key="second", value=AnyValue(int_value=2))
    out = call(otlp.server, OTLP_SERVICES[Signal.TRACES], req)
    assert out.code is grpc.StatusCode.OK, out.details
    assert out.response.partial_success.rejected_spans == 1
    assert out.response.partial_success.error_message == "span 1: 2 attributes, more than max_attributes 1"
    [payload] = harness.stored(otlp.logs[Signal.TRACES])
    assert count_items(Signal.TRACES, payload) == ["ok-0"]


def test_otlp_receiver_serves_only_the_signals_of_its_pipelines(harness: Harness) -> None:
    otlp = otlp_receiver(harness, signals=[Signal.TRACES])
    assert call(otlp.server, OTLP_SERVICES[Signal.TRACES], otlp_request(Signal.TRACES)).code is grpc.StatusCode.OK
    out = call(otlp.server, OTLP_SERVICES[Signal.LOGS], otlp_request(Signal.LOGS))
    assert out.code is grpc.StatusCode.UNIMPLEMENTED


# ---- OTLP: backpressure --------------------------------------------------------------------------

@pytest.mark.parametrize("signal", list(Signal))
def test_otlp_full_log_is_unavailable_with_retry_info(harness: Harness, signal: Signal) -> None:
    first, second = otlp_request(signal, good=1), otlp_request(signal, good=2)
    otlp = otlp_receiver(harness, max_bytes=first.ByteSize() + second.ByteSize() - 1)
    assert call(otlp.server, OTLP_SERVICES[signal], first).code is grpc.StatusCode.OK
    out = call(otlp.server, OTLP_SERVICES[signal], second)
    assert out.code is grpc.StatusCode.UNAVAILABLE
    assert f"write-ahead log {EXPORTER}/{signal.value} is full" in out.details
    assert out.retry_delay() == 2.0, "the delay is the log's retry_after"
    assert harness.stored(otlp.logs[signal]) == [first.SerializeToString()], "a refused request must not be appended"
    assert harness.stats.of(signal).refused_requests == 1
    assert harness.stats.exporter(EXPORTER).of(signal).refused_items == 2


def test_otlp_closed_log_is_unavailable_with_retry_info(harness: Harness) -> None:
    otlp = otlp_receiver(harness)
    harness.run(otlp.logs[Signal.LOGS].close())
    out = call(otlp.server, OTLP_SERVICES[Signal.LOGS], otlp_request(Signal.LOGS))
    assert out.code is grpc.StatusCode.UNAVAILABLE
    assert out.details == f"write-ahead log {EXPORTER}/logs is closed"
    assert out.retry_delay() == 1.0
    assert len(harness.stored(otlp.logs[Signal.LOGS])) == 0


@pytest.mark.parametrize("signal", list(Signal))
def test_otlp_memory_limiter_refuses_with_retry_info_and_stores_nothing(harness: Harness, signal: Signal) -> None:
    limiter = MemoryLimiter(limit_bytes=1000)
    otlp = otlp_receiver(harness, limiter=limiter)
    req = otlp_request(signal, good=3)
    assert limiter.try_acquire(1000 - req.ByteSize() + 1)  # another request in flight holds nearly all of it
    held = limiter.in_flight
    out = call(otlp.server, OTLP_SERVICES[signal], req)
    assert out.code is grpc.StatusCode.UNAVAILABLE
    assert out.details == f"over the memory limit ({held} request bytes in flight, cap 1000); retry later"
    assert out.retry_delay() == 1.0
    assert harness.stats.of(signal).requests == 0, "the intake never saw it"
    assert len(harness.stored(otlp.logs[signal])) == 0
    assert (limiter.in_flight, limiter.refused) == (held, 1)
    limiter.release(held)  # the other request is answered: now it fits, and its bytes are released after
    assert call(otlp.server, OTLP_SERVICES[signal], req).code is grpc.StatusCode.OK
    assert limiter.in_flight == 0 and len(harness.stored(otlp.logs[signal])) == 1


def test_memory_limiter_releases_the_bytes_of_a_call_that_failed(harness: Harness) -> None:
    limiter = MemoryLimiter(limit_bytes=1000)
    otlp = otlp_receiver(harness, limiter=limiter)
    assert call(otlp.server, OTLP_SERVICES[Signal.TRACES], GARBAGE).code is grpc.StatusCode.INVALID_ARGUMENT
    assert limiter.in_flight == 0


# ---- OTLP: auth ----------------------------------------------------------------------------------

@pytest.mark.parametrize("signal", list(Signal))
@pytest.mark.parametrize(("token", "authorization", "problem"), [
    (None, None, "missing Authorization header (expected `Bearer <token>`)"),
    ("wrong", None, "invalid bearer token"),
    (None, f"Basic {TOKEN}", "Authorization header must be `Bearer <token>`"),
    (None, "Bearer ", "Authorization header must be `Bearer <token>`"),
])
def test_otlp_without_the_token_is_unauthenticated_and_stores_nothing(
        harness: Harness, signal: Signal, token: str | None, authorization: str | None, problem: str) -> None:
    otlp = otlp_receiver(harness, auth=AuthConfig(bearer_token=TOKEN))
    out = call(otlp.server, OTLP_SERVICES[signal], otlp_request(signal), token=token, authorization=authorization)
    assert (out.code, out.details) == (grpc.StatusCode.UNAUTHENTICATED, problem)
    assert len(harness.stored(otlp.logs[signal])) == 0 and harness.stats.of(signal).requests == 0


def test_otlp_auth_is_checked_before_the_body_is_read(harness: Harness) -> None:
    limiter = MemoryLimiter(limit_bytes=1000)
    otlp = otlp_receiver(harness, auth=AuthConfig(bearer_token=TOKEN), limiter=limiter)
    assert limiter.try_acquire(999)
    out = call(otlp.server, OTLP_SERVICES[Signal.TRACES], GARBAGE, token="wrong")
    assert out.code is grpc.StatusCode.UNAUTHENTICATED, "neither the parser nor the memory limiter may answer first"
    assert limiter.refused == 0


@pytest.mark.parametrize("signal", list(Signal))
def test_otlp_with_the_token_is_accepted(harness: Harness, signal: Signal) -> None:
    otlp = otlp_receiver(harness, auth=AuthConfig(bearer_token=TOKEN))
    assert call(otlp.server, OTLP_SERVICES[signal], otlp_request(signal), token=TOKEN).code is grpc.StatusCode.OK
    assert call(otlp.server, OTLP_SERVICES[signal], otlp_request(signal, good=2),
                authorization=f"bearer  {TOKEN} ").code is grpc.StatusCode.OK, "scheme case and spaces do not matter"
    assert len(harness.stored(otlp.logs[signal])) == 2


def test_otlp_without_auth_configured_accepts_any_caller(harness: Harness) -> None:
    otlp = otlp_receiver(harness)
    out = call(otlp.server, OTLP_SERVICES[Signal.TRACES], otlp_request(Signal.TRACES), token="anything")
    assert out.code is grpc.StatusCode.OK


# ---- tail: answers -------------------------------------------------------------------------------

def test_tail_valid_request_is_ok_and_stored(harness: Harness) -> None:
    tail = tail_receiver(harness)
    out = call(tail.server, TAIL_SERVICE, tail_pb2.ExportTailRequest(items=[tail_item("w1"), tail_item("w2")]))
    assert out.code is grpc.StatusCode.OK, out.details
    assert (out.response.accepted, out.response.rejected, out.response.rows) == (2, 0, 4)
    assert not out.response.errors
    [payload] = harness.stored(tail.log)
    assert len(payload.decode().splitlines()) == 4, "one JSONEachRow line per row, in one record"
    assert harness.stats.of(Signal.LOGS).accepted_items == 4


def test_tail_empty_request_is_ok_and_stores_nothing(harness: Harness) -> None:
    tail = tail_receiver(harness)
    out = call(tail.server, TAIL_SERVICE, tail_pb2.ExportTailRequest())
    assert out.code is grpc.StatusCode.OK
    assert (out.response.accepted, out.response.rejected, out.response.rows) == (0, 0, 0)
    assert len(harness.stored(tail.log)) == 0


def test_tail_bad_items_are_listed_and_the_rest_is_stored(harness: Harness) -> None:
    tail = tail_receiver(harness)
    req = tail_pb2.ExportTailRequest(items=[tail_item("w1"), bad_tail_item("w2"), tail_item("w3")])
    out = call(tail.server, TAIL_SERVICE, req)
    assert out.code is grpc.StatusCode.OK, out.details
    assert (out.response.accepted, out.response.rejected, out.response.rows) == (2, 1, 4)
    assert [(e.index, e.message) for e in out.response.errors] == [
        (1, "cpuTime: expected a finite number, got string")]
    [payload] = harness.stored(tail.log)
    assert "w2" not in payload.decode() and "w3" in payload.decode()


def test_tail_all_items_bad_is_invalid_argument(harness: Harness) -> None:
    tail = tail_receiver(harness)
    out = call(tail.server, TAIL_SERVICE, tail_pb2.ExportTailRequest(items=[bad_tail_item("a"), bad_tail_item("b")]))
    assert out.code is grpc.StatusCode.INVALID_ARGUMENT
    assert out.details == ("no TraceItem could be stored: item 0: cpuTime: expected a finite number, got string "
                           "(and 1 more)")
    assert STATUS_DETAILS_KEY not in out.trailing
    assert len(harness.stored(tail.log)) == 0


def test_tail_undecodable_request_is_invalid_argument(harness: Harness) -> None:
    tail = tail_receiver(harness)
    out = call(tail.server, TAIL_SERVICE, GARBAGE)
    assert out.code is grpc.StatusCode.INVALID_ARGUMENT
    assert out.details.startswith("request is not a valid tailhouse.tail.v1.ExportTailRequest: ")
    assert len(harness.stored(tail.log)) == 0


# ---- tail: backpressure and auth -----------------------------------------------------------------

def test_tail_full_log_is_unavailable_with_retry_info(harness: Harness) -> None:
    tail = tail_receiver(harness, max_bytes=10)
    out = call(tail.server, TAIL_SERVICE, tail_pb2.ExportTailRequest(items=[tail_item("w")]))
    assert out.code is grpc.StatusCode.UNAVAILABLE
    assert out.details.startswith(f"write-ahead log {EXPORTER}/tail is full (0 of 10 bytes not yet exported)")
    assert out.retry_delay() == 2.0
    assert len(harness.stored(tail.log)) == 0
    assert harness.stats.of(Signal.LOGS).refused_requests == 1


def test_tail_memory_limiter_refuses_with_retry_info(harness: Harness) -> None:
    limiter = MemoryLimiter(limit_bytes=100)
    tail = tail_receiver(harness, limiter=limiter)
    assert limiter.try_acquire(90)
    out = call(tail.server, TAIL_SERVICE, tail_pb2.ExportTailRequest(items=[tail_item("w")]))
    assert out.code is grpc.StatusCode.UNAVAILABLE
    assert out.details.startswith("over the memory limit (90 request bytes in flight, cap 100)")
    assert out.retry_delay() == 1.0
    assert len(harness.stored(tail.log)) == 0 and limiter.in_flight == 90


@pytest.mark.parametrize(("token", "problem"), [
    (None, "missing Authorization header (expected `Bearer <token>`)"),
    ("wrong", "invalid bearer token"),
])
def test_tail_without_the_token_is_unauthenticated(harness: Harness, token: str | None, problem: str) -> None:
    tail = tail_receiver(harness, auth=AuthConfig(bearer_token=TOKEN))
    out = call(tail.server, TAIL_SERVICE, tail_pb2.ExportTailRequest(items=[tail_item("w")]), token=token)
    assert (out.code, out.details) == (grpc.StatusCode.UNAUTHENTICATED, problem)
    assert len(harness.stored(tail.log)) == 0
    out = call(tail.server, TAIL_SERVICE, GARBAGE, token=token)
    assert out.code is grpc.StatusCode.UNAUTHENTICATED, "the body of an unauthenticated call is never parsed"


def test_tail_with_the_token_is_accepted(harness: Harness) -> None:
    tail = tail_receiver(harness, auth=AuthConfig(bearer_token=TOKEN))
    out = call(tail.server, TAIL_SERVICE, tail_pb2.ExportTailRequest(items=[tail_item("w")]), token=TOKEN)
    assert out.code is grpc.StatusCode.OK and out.response.accepted == 1
    assert len(harness.stored(tail.log)) == 1


# ---- the pieces on their own ---------------------------------------------------------------------

def test_a_permanent_store_failure_is_invalid_argument_without_retry_info() -> None:
    context = AioContext(())
    with pytest.raises(grpc.aio.AbortError):
        asyncio.run(abort_export_error(context, ExportError("row too large for the table", retryable=False)))
    assert (context.code, context.details, context.trailing) == (
        grpc.StatusCode.INVALID_ARGUMENT, "row too large for the table", ())


def test_bearer_check_decisions() -> None:
    auth = BearerAuth(TOKEN)
    assert auth.check(f"Bearer {TOKEN}") == ""
    assert auth.check(f"BEARER {TOKEN}") == ""
    assert auth.check(None) == "missing Authorization header (expected `Bearer <token>`)"
    assert auth.check(f"Bearer {TOKEN}x") == "invalid bearer token"
    assert auth.check(TOKEN) == "Authorization header must be `Bearer <token>`"
