"""OTLP/gRPC ingest benchmark: the service end to end against baselines, in one run.

    python -m bench.otlp_grpc --seconds 30                    # traces
    python -m bench.otlp_grpc --signal logs --seconds 30      # or metrics

Sends pre-serialized 1,000-item OTLP requests (spans, log records or metric data points) from
separate sender processes to a running `tailhouse run`, waits until every acknowledged item is
queryable, and measures the same bytes in three baselines: (b) upb parse in Python, (c) ClickHouse
alone inserting the bytes from a file through the same landing table and views, (d) a naive Python
path (decode, build rows, insert; traces only, 0 for the other signals). Then the senders run
again paced at half the end-to-end rate, where the acknowledgement latency is measured.
The last line is `RESULT signal=… items_per_s=… spans_per_s=… parse_per_s=… clickhouse_per_s=…
naive_per_s=… ratio_clickhouse=… ratio_naive=… peak_rss_mib=… ack_p50_ms=… ack_p99_ms=…`
(`spans_per_s` is `items_per_s`, kept under its old name).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import tempfile
import time
from pathlib import Path

SPANS_PER_REQUEST = 1000
DISTINCT_REQUESTS = 16
TRACE_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
METHODS = {
    "traces": TRACE_METHOD,
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
}


def requests_for(signal: str, n: int) -> list[bytes]:
    """`n` distinct 1,000-item requests of `signal`."""
    if signal == "traces":
        return make_requests(n)
    from bench.mapping import REQUESTS

    return REQUESTS[signal](n)


def make_requests(n: int, seed: int = 1) -> list[bytes]:
    """`n` distinct 1,000-span requests shaped like an HTTP service's traces."""
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc

    rnd = random.Random(seed)
    out = []
    for r in range(n):
        req = tsvc.ExportTraceServiceRequest()
        rs = req.resource_spans.add()
        for k, v in (("service.name", f"svc-{r % 4}"), ("service.version", "1.4.2"), ("host.name", f"web-{r}"),
                     ("deployment.environment.name", "prod"), ("telemetry.sdk.language", "python")):
            rs.resource.attributes.add(key=k).value.string_value = v
        ss = rs.scope_spans.add()
        ss.scope.name, ss.scope.version = "opentelemetry.instrumentation.flask", "0.48b0"
        now = time.time_ns()
        trace_id = rnd.randbytes(16)
        for i in range(SPANS_PER_REQUEST):
            if i % 10 == 0:
                trace_id = rnd.randbytes(16)
            s = ss.spans.add(trace_id=trace_id, span_id=rnd.randbytes(8), name=f"GET /api/items/{i % 25}",
                             kind=2, start_time_unix_nano=now + i * 1000, end_time_unix_nano=now + i * 1000 + 250_000)
            if i % 10:
                s.parent_span_id = rnd.randbytes(8)
            a = s.attributes
            a.add(key="http.request.method").value.string_value = "GET"
            a.add(key="url.full").value.string_value = f"https://shop.example/api/items/{i % 25}?page={i % 3}"
            a.add(key="http.route").value.string_value = "/api/items/{id}"
            a.add(key="http.response.status_code").value.int_value = 200 if i % 50 else 500
            a.add(key="server.address").value.string_value = "shop.example"
            a.add(key="user_agent.original").value.string_value = "Mozilla/5.0 (X11; Linux x86_64)"
            a.add(key="net.peer.port").value.int_value = 40000 + i
            a.add(key="cache.hit").value.bool_value = bool(i % 2)
            if i % 50 == 0:
                s.status.code, s.status.message = 2, "internal error"
        out.append(req.SerializeToString())
    return out


# ---- (b) parse ---------------------------------------------------------------------------

def bench_parse(requests: list[bytes], seconds: float, signal: str = "traces") -> float:
    from tailhouse.collector.otlp_requests import parse_request
    from tailhouse.pipeline.signals import Signal

    spans, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for r in requests:
            spans += parse_request(Signal(signal), r).accepted
    return spans / (time.perf_counter() - t0)


# ---- (c) ClickHouse alone, (d) naive Python: each in a child process (one chDB engine each) --------

def _clickhouse_alone(requests: list[bytes], repeat: int, workdir: str, signal: str = "traces") -> float:
    import clickhouse_connect

    from tailhouse.pipeline.signals import Signal, otlp_kind
    from tailhouse.exporters.clickhouse.events_table import TableOptions
    from tailhouse.exporters.clickhouse.exporter import LANDING_TARGETS, insert_settings_for
    from tailhouse.exporters.clickhouse.landing_schema import with_schema_file
    from tailhouse.exporters.clickhouse.migrations import migrate

    client = clickhouse_connect.get_client(dsn=f"chdb://{workdir}/ch")
    migrate(client, "bench", TableOptions())
    target = LANDING_TARGETS[otlp_kind(Signal(signal))]
    body = target.frame(requests * repeat)
    path = Path(workdir) / "batch.bin"
    path.write_bytes(body)
    settings = with_schema_file(insert_settings_for(target, body), Path(workdir) / "ch" / "format_schemas")
    settings_sql = ", ".join(f"{k} = '{v.replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}'"
                             for k, v in settings.items())
    t0 = time.perf_counter()
    client.command(f"INSERT INTO bench.{target.table} FROM INFILE '{path}' SETTINGS {settings_sql} FORMAT Protobuf")
    elapsed = time.perf_counter() - t0
    stored = client.query("SELECT count() FROM bench.events").result_rows[0][0]
    assert stored == len(requests) * repeat * SPANS_PER_REQUEST, stored
    return stored / elapsed


def _naive(requests: list[bytes], repeat: int, workdir: str) -> float:
    """Decode with protobuf, build a row per span in Python, insert with clickhouse-connect."""
    import clickhouse_connect
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc

    from tailhouse.exporters.clickhouse.events_table import TableOptions
    from tailhouse.exporters.clickhouse.migrations import migrate

    client = clickhouse_connect.get_client(dsn=f"chdb://{workdir}/ch")
    migrate(client, "bench", TableOptions())
    cols = ["event_id", "event_type", "event_name", "source", "timestamp", "duration_ns", "trace_id", "span_id",
            "parent_span_id", "service_name", "attributes", "resource_attributes", "scope_name", "status_code",
            "span_kind", "http_method", "http_status_code"]
    kinds = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"]

    def text(v):  # type: ignore[no-untyped-def]
        which = v.WhichOneof("value")
        return str(getattr(v, which)) if which else ""

    from datetime import datetime, timezone

    t0 = time.perf_counter()
    stored = 0
    for _ in range(repeat):
        for raw in requests:
            req = tsvc.ExportTraceServiceRequest.FromString(raw)
            rows = []
            for rs in req.resource_spans:
                res = {kv.key: text(kv.value) for kv in rs.resource.attributes}
                for ss in rs.scope_spans:
                    for s in ss.spans:
                        attrs = {kv.key: text(kv.value) for kv in s.attributes}
                        tid, sid = s.trace_id.hex(), s.span_id.hex()
                        rows.append([tid + sid, "span", s.name, "otlp",
                                     datetime.fromtimestamp(s.start_time_unix_nano / 1e9, timezone.utc),
                                     max(s.end_time_unix_nano - s.start_time_unix_nano, 0), tid, sid,
                                     s.parent_span_id.hex(), res.get("service.name", ""), attrs, res, ss.scope.name,
                                     ["Unset", "Ok", "Error"][s.status.code], kinds[s.kind],
                                     attrs.get("http.request.method", ""),
                                     int(attrs.get("http.response.status_code", 0) or 0)])
            client.insert("bench.events", rows, column_names=cols)
            stored += len(rows)
    return stored / (time.perf_counter() - t0)


def _child(kind: str, requests: list[bytes], repeat: int, queue: "mp.Queue[float]", signal: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        if kind == "clickhouse":
            queue.put(_clickhouse_alone(requests, repeat, d, signal))
        else:
            queue.put(_naive(requests, repeat, d))


def in_child(kind: str, requests: list[bytes], repeat: int, signal: str = "traces") -> float:
    ctx = mp.get_context("spawn")
    q: mp.Queue[float] = ctx.Queue()
    p = ctx.Process(target=_child, args=(kind, requests, repeat, q, signal))
    p.start()
    result = q.get(timeout=1800)
    p.join()
    return result


# ---- (a) the service end to end ------------------------------------------------------------

def _marker(sender_id: int, seq: int) -> bytes:
    """A span-less ResourceSpans appended to a request (protobuf concatenation merges it in).

    Its bytes are also a valid item-less ResourceLogs / ResourceMetrics: the three requests share
    field numbers down to the resource's attributes.

    It makes every sent request's bytes unique, as real traffic is, so content-derived
    deduplication does not collapse the re-sent pre-serialized requests.
    """
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc

    req = tsvc.ExportTraceServiceRequest()
    req.resource_spans.add().resource.attributes.add(key="bench.seq").value.string_value = f"{sender_id}-{seq}"
    return req.SerializeToString()


def _sender(endpoint: str, requests: list[bytes], seconds: float, concurrency: int, queue: "mp.Queue[int]",
            sender_id: int, method: str = TRACE_METHOD, rate: float = 0.0) -> None:
    """Send for `seconds` with up to `concurrency` calls in flight; `rate` > 0 paces calls (requests/s)."""
    import grpc

    with grpc.insecure_channel(endpoint, options=[("grpc.max_send_message_length", 64 * 2**20)]) as ch:
        export = ch.unary_unary(method, request_serializer=None, response_deserializer=None)
        sent = errors = 0
        done: list[float] = []

        def finished(started: float) -> "object":
            return lambda fut: done.append(time.perf_counter() - started)

        inflight: list = []
        t0 = time.monotonic()
        deadline = t0 + seconds
        i = 0
        while time.monotonic() < deadline or inflight:
            while time.monotonic() < deadline and len(inflight) < concurrency:
                if rate and time.monotonic() < t0 + i / rate:
                    if inflight:
                        break
                    time.sleep(max(0.0, t0 + i / rate - time.monotonic()))
                fut = export.future(requests[i % len(requests)] + _marker(sender_id, i + 10**6 * int(rate > 0)),
                                    timeout=300)
                fut.add_done_callback(finished(time.perf_counter()))
                inflight.append(fut)
                i += 1
            if not inflight:
                continue
            fut = inflight.pop(0)
            try:
                fut.result()
                sent += SPANS_PER_REQUEST
            except grpc.RpcError:
                errors += 1
        queue.put((sent, errors, [d * 1000 for d in done]))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] if ordered else float("nan")


def _send_all(endpoint: str, requests: list[bytes], seconds: float, senders: int, concurrency: int, method: str,
              rate: float = 0.0) -> tuple[int, int, list[float]]:
    """(items acknowledged, failed calls, ack latencies in ms) of `senders` sender processes."""
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_sender, args=(endpoint, requests, seconds, concurrency, q, n, method, rate / senders))
             for n in range(senders)]
    for p in procs:
        p.start()
    results = [q.get(timeout=seconds + 900) for _ in procs]
    for p in procs:
        p.join()
    return sum(r[0] for r in results), sum(r[1] for r in results), [x for r in results for x in r[2]]


def bench_service(requests: list[bytes], seconds: float, senders: int, concurrency: int,
                  consumers: int, signal: str = "traces") -> tuple[float, float, int, list[float]]:
    """(items/s end to end, peak RSS MiB of the service, items acknowledged, ack ms at half that rate)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from harness import start  # the same harness the tests use

    with tempfile.TemporaryDirectory() as d:
        svc = start(Path(d), "consumers", mode="subprocess", num_consumers=consumers, batch_size=8192,
                    batch_timeout="1s")
        try:
            t0 = time.perf_counter()
            acked, errors, saturated = _send_all(svc.grpc_endpoint, requests, seconds, senders, concurrency,
                                                 METHODS[signal])
            # Acks come from the write-ahead log: the clock stops when every acknowledged item is stored.
            svc.flush(timeout=1800)
            stored = int(svc.scalar("SELECT count() FROM events", flush=False))
            elapsed = time.perf_counter() - t0
            if stored != acked or errors:
                print(f"WARNING: acked {acked} items, stored {stored}, {errors} failed calls", file=sys.stderr)
            rss = _peak_rss_mib(svc.proc.pid)
            _, stats = svc.get_json("/stats")
            st = stats["signals"][signal]
            print(f"service: {st['batches']} inserts, {st['written_items'] / max(st['batches'], 1):,.0f} "
                  f"items per insert on average, {st['retries']} retries", flush=True)
            # Acknowledgement latency where it means something: at half the rate the service sustains
            # (at saturation it measures the senders' own backlog).
            half = acked / elapsed / 2 / SPANS_PER_REQUEST  # requests/s
            _, _, paced = _send_all(svc.grpc_endpoint, requests, max(5.0, seconds / 2), senders, concurrency,
                                    METHODS[signal], half)
            svc.flush(timeout=1800)
            print(f"acks at saturation: p50 {_percentile(saturated, 50):.1f} ms, p99 {_percentile(saturated, 99):.1f} "
                  f"ms; at half that rate ({half * SPANS_PER_REQUEST:,.0f} items/s): p50 {_percentile(paced, 50):.1f} "
                  f"ms, p99 {_percentile(paced, 99):.1f} ms", flush=True)
        finally:
            svc.stop()
    return acked / elapsed, rss, acked, paced


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30, help="how long the senders send")
    ap.add_argument("--senders", type=int, default=2, help="sender processes")
    ap.add_argument("--concurrency", type=int, default=64,
                    help="in-flight requests per sender (each stands for one producer)")
    ap.add_argument("--consumers", type=int, default=2, help="the exporter's parallel inserts (sending.num_consumers)")
    ap.add_argument("--signal", choices=tuple(METHODS), default="traces", help="what the senders export")
    ap.add_argument("--baseline-spans", type=int, default=200_000, help="spans in the ClickHouse-alone insert")
    args = ap.parse_args()

    signal = args.signal
    requests = requests_for(signal, DISTINCT_REQUESTS)
    print(f"requests: {len(requests)} distinct x {SPANS_PER_REQUEST} {signal} items, "
          f"{sum(map(len, requests)) / len(requests) / 1024:.0f} KiB each", flush=True)
    items_per_s, rss, acked, paced = bench_service(requests, args.seconds, args.senders, args.concurrency,
                                                   args.consumers, signal)
    print(f"(a) service end to end: {items_per_s:,.0f} items/s ({acked:,} items), peak RSS {rss:.0f} MiB", flush=True)
    parse_per_s = bench_parse(requests, max(2.0, args.seconds / 10), signal)
    print(f"(b) upb parse + validation: {parse_per_s:,.0f} items/s", flush=True)
    repeat = max(1, args.baseline_spans // (len(requests) * SPANS_PER_REQUEST))
    clickhouse_per_s = in_child("clickhouse", requests, repeat, signal)
    print(f"(c) ClickHouse alone, one INSERT from a file: {clickhouse_per_s:,.0f} items/s", flush=True)
    naive_per_s = in_child("naive", requests[:4], 1) if signal == "traces" else 0.0
    if signal == "traces":
        print(f"(d) naive Python decode + rows + insert: {naive_per_s:,.0f} items/s", flush=True)
    ratio_naive = items_per_s / naive_per_s if naive_per_s else 0.0
    print(
        f"RESULT signal={signal} items_per_s={items_per_s:.0f} spans_per_s={items_per_s:.0f} "
        f"parse_per_s={parse_per_s:.0f} clickhouse_per_s={clickhouse_per_s:.0f} naive_per_s={naive_per_s:.0f} "
        f"ratio_clickhouse={items_per_s / clickhouse_per_s:.2f} ratio_naive={ratio_naive:.2f} peak_rss_mib={rss:.0f} "
        f"ack_p50_ms={_percentile(paced, 50):.1f} ack_p99_ms={_percentile(paced, 99):.1f}"
    )


if __name__ == "__main__":
    main()
