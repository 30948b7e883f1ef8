"""Stock OpenTelemetry SDK producers against Tailhouse and against a no-op receiver, in one run.

    python -m bench.sdk_producers [--producers 2] [--rate 2000|max] [--seconds 10]

Each producer is a process with the stock Python SDK: `BatchSpanProcessor` and
`BatchLogRecordProcessor` with their defaults and the OTLP/gRPC exporters, creating R items
per second (spans and log records in turn) for S seconds. That is how real services load a
collector: one export at a time per processor, waiting for the answer, dropping what does not
fit in the SDK's queue meanwhile. The same producers then run against a no-op OTLP receiver
that acknowledges at once (the reference).

The last line is `RESULT rate=… created=… stored=… ref_received=… export_p50_ms=…
export_p99_ms=… ref_export_p50_ms=… ref_export_p99_ms=…`.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import uuid
from concurrent import futures
from pathlib import Path
from typing import Any


def _timed(cls: type) -> type:
    """An SDK exporter class whose export calls are timed (as the application's export thread sees them)."""

    class Timed(cls):  # type: ignore[misc, valid-type]
        latencies: list[float] = []

        def export(self, batch: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return super().export(batch, *args, **kwargs)
            finally:
                Timed.latencies.append((time.perf_counter() - t0) * 1000)

    return Timed


def _producer(endpoint: str, run_id: str, index: int, rate: float, seconds: float, out: "mp.Queue[Any]") -> None:
    import logging

    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": f"producer-{index}", "bench.run": run_id})
    span_exporter = _timed(OTLPSpanExporter)(endpoint=endpoint, insecure=True)
    log_exporter = _timed(OTLPLogExporter)(endpoint=endpoint, insecure=True)
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))
    logger = logging.getLogger(f"producer-{index}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(LoggingHandler(logger_provider=logger_provider))
    logging.getLogger("opentelemetry").setLevel(logging.CRITICAL)  # "Queue is full" once per drop
    tracer = tracer_provider.get_tracer("bench.sdk_producers")

    created = 0
    t0 = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            break
        if rate and created >= elapsed * rate:
            time.sleep(min(0.002, (created + 1) / rate - elapsed))
            continue
        if created % 2 == 0:
            with tracer.start_as_current_span("GET /api/items", attributes={"http.request.method": "GET",
                                                                            "http.response.status_code": 200,
                                                                            "item": created}):
                pass
        else:
            logger.info("served item %d", created)
        created += 1
    tracer_provider.shutdown()
    logger_provider.shutdown()
    out.put((created, span_exporter.latencies + log_exporter.latencies))


def _run_producers(endpoint: str, run_id: str, producers: int, rate: float, seconds: float) -> tuple[int, list[float]]:
    ctx = mp.get_context("spawn")
    q: mp.Queue[Any] = ctx.Queue()
    procs = [ctx.Process(target=_producer, args=(endpoint, run_id, i, rate, seconds, q)) for i in range(producers)]
    for p in procs:
        p.start()
    results = [q.get(timeout=seconds + 600) for _ in procs]
    for p in procs:
        p.join()
    return sum(r[0] for r in results), [lat for r in results for lat in r[1]]


def _noop_receiver(port: int, counts: "mp.Queue[int]", stop: Any) -> None:
    """An OTLP/gRPC receiver that parses and acknowledges at once (what the producers can at best do)."""
    import grpc
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lsvc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc

    received = [0]

    def traces(request: bytes, context: Any) -> bytes:
        req = tsvc.ExportTraceServiceRequest.FromString(request)
        received[0] += sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
        return b""

    def logs(request: bytes, context: Any) -> bytes:
        req = lsvc.ExportLogsServiceRequest.FromString(request)
        received[0] += sum(len(sl.log_records) for rl in req.resource_logs for sl in rl.scope_logs)
        return b""

    handlers = {
        "opentelemetry.proto.collector.trace.v1.TraceService": {"Export": traces},
        "opentelemetry.proto.collector.logs.v1.LogsService": {"Export": logs},
    }
    server = grpc.server(futures.ThreadPoolExecutor(4))
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        service, {m: grpc.unary_unary_rpc_method_handler(fn) for m, fn in methods.items()})
        for service, methods in handlers.items()])
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    stop.wait()
    server.stop(5).wait()
    counts.put(received[0])


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--producers", type=int, default=2, help="producer processes")
    ap.add_argument("--rate", default="2000", help="items per second per producer, or 'max'")
    ap.add_argument("--seconds", type=float, default=10, help="how long each producer creates items")
    args = ap.parse_args()
    rate = 0.0 if args.rate == "max" else float(args.rate)

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from harness import free_port, start  # the same harness the tests use

    # The reference: a no-op receiver in its own process.
    ctx = mp.get_context("spawn")
    port = free_port()
    counts: mp.Queue[int] = ctx.Queue()
    stop = ctx.Event()
    ref = ctx.Process(target=_noop_receiver, args=(port, counts, stop))
    ref.start()
    time.sleep(1.0)
    ref_created, ref_lat = _run_producers(f"127.0.0.1:{port}", "reference", args.producers, rate, args.seconds)
    stop.set()
    ref_received = counts.get(timeout=60)
    ref.join()
    print(f"reference (no-op receiver): created {ref_created:,}, received {ref_received:,}, export p50 "
          f"{_percentile(ref_lat, 50):.1f} ms, p99 {_percentile(ref_lat, 99):.1f} ms ({len(ref_lat)} calls)", flush=True)

    run_id = uuid.uuid4().hex[:12]
    with tempfile.TemporaryDirectory() as d:
        svc = start(Path(d), "default", mode="subprocess", batch_size=8192, batch_timeout="1s")
        try:
            created, lat = _run_producers(svc.grpc_endpoint, run_id, args.producers, rate, args.seconds)
            stored = int(svc.scalar(f"SELECT count() FROM events WHERE resource_attributes['bench.run'] = '{run_id}'"))
        finally:
            svc.stop()
    print(f"tailhouse: created {created:,}, stored {stored:,}, export p50 {_percentile(lat, 50):.1f} ms, "
          f"p99 {_percentile(lat, 99):.1f} ms ({len(lat)} calls)", flush=True)
    print(f"RESULT rate={args.rate} created={created} stored={stored} ref_received={ref_received} "
          f"export_p50_ms={_percentile(lat, 50):.1f} export_p99_ms={_percentile(lat, 99):.1f} "
          f"ref_export_p50_ms={_percentile(ref_lat, 50):.1f} ref_export_p99_ms={_percentile(ref_lat, 99):.1f}")


if __name__ == "__main__":
    main()
