"""Mapping benchmark: what one ClickHouse insert of OTLP bytes costs, fixed and per row, per signal.

    python -m bench.mapping                     # traces, logs and metrics
    python -m bench.mapping --signal traces --profile

For each signal the same pre-serialized 1,000-item OTLP requests are inserted (`FORMAT Protobuf`
from a file, one insert per measurement, a fresh deduplication token each time) into three
databases of one embedded ClickHouse engine:

* (m1) `events`: our landing table and the mapping views into `events` (and what hangs off it);
* (m0) the same with the mapping views before schema migration 4 (`--before`: a same-run before/after);
* (m2) `exporter`: a minimal view into a table with the OpenTelemetry Collector exporter's
  `otel_traces` / `otel_logs` / `otel_metrics_sum` columns (a narrower row: attributes as
  Map(String, String) of scalar values, no type maps, no `data`);
* (m3) `parse`: the landing table with no view (Protobuf parsing only).

Fixed cost = the median time of a 1-request insert; marginal rows/s = the extra rows of a
`--requests`-request insert over the extra time (fastest large insert minus fastest single one). The machine may be shared, so compare figures of
the same run: `*_vs_exporter_schema` is m2's marginal rows/s over m1's (1.0 = as cheap). The same
figures are also given in CPU time of the process (the embedded engine's threads), which a noisy
neighbour disturbs much less than wall time. Background merges are stopped while it runs.
With `--profile` the 1-request and the large insert of m1 print the ProfileEvents they added
(`system.events`; embedded ClickHouse keeps no `system.query_log`). The last line is
`RESULT traces_fixed_ms=… traces_rows_per_s=… traces_vs_exporter_schema=… traces_fixed_cpu_ms=…
traces_rows_per_cpu_s=… traces_cpu_vs_exporter_schema=… logs_… metrics_…`.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ITEMS_PER_REQUEST = 1000
DISTINCT_REQUESTS = 10
SIGNALS = ("traces", "logs", "metrics")


# ---- requests ---------------------------------------------------------------------------------

def _resource(attrs, r: int) -> None:  # type: ignore[no-untyped-def]
    for k, v in (("service.name", f"svc-{r % 4}"), ("service.version", "1.4.2"), ("host.name", f"web-{r}"),
                 ("deployment.environment.name", "prod"), ("telemetry.sdk.language", "python")):
        attrs.add(key=k).value.string_value = v


def trace_requests(n: int) -> list[bytes]:
    """`n` 1,000-span requests shaped like an HTTP service's traces (as bench.otlp_grpc sends)."""
    from bench.otlp_grpc import make_requests

    return make_requests(n)


def log_requests(n: int, seed: int = 2) -> list[bytes]:
    """`n` 1,000-record log requests: string bodies, a few attributes, trace context on most."""
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lsvc

    rnd = random.Random(seed)
    out = []
    for r in range(n):
        req = lsvc.ExportLogsServiceRequest()
        rl = req.resource_logs.add()
        _resource(rl.resource.attributes, r)
        sl = rl.scope_logs.add()
        sl.scope.name = "app.logger"
        now = time.time_ns()
        for i in range(ITEMS_PER_REQUEST):
            rec = sl.log_records.add(time_unix_nano=now + i * 1000, observed_time_unix_nano=now + i * 1000 + 50,
                                     severity_number=9 if i % 20 else 17, severity_text="INFO" if i % 20 else "ERROR")
            rec.body.string_value = f"handled request {i} for user {rnd.randrange(10_000)} in {rnd.random():.3f}s"
            if i % 4:
                rec.trace_id, rec.span_id = rnd.randbytes(16), rnd.randbytes(8)
            a = rec.attributes
            a.add(key="http.request.method").value.string_value = "GET"
            a.add(key="url.path").value.string_value = f"/api/items/{i % 25}"
            a.add(key="http.response.status_code").value.int_value = 200 if i % 20 else 500
            a.add(key="code.function").value.string_value = "handle"
            a.add(key="thread.id").value.int_value = i % 8
        out.append(req.SerializeToString())
    return out


def metric_requests(n: int, seed: int = 3) -> list[bytes]:
    """`n` requests of 1,000 data points: gauges and monotonic sums, 100 metrics x 10 points."""
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as msvc

    rnd = random.Random(seed)
    out = []
    for r in range(n):
        req = msvc.ExportMetricsServiceRequest()
        rm = req.resource_metrics.add()
        _resource(rm.resource.attributes, r)
        sm = rm.scope_metrics.add()
        sm.scope.name = "app.meter"
        now = time.time_ns()
        for m in range(ITEMS_PER_REQUEST // 10):
            metric = sm.metrics.add(name=f"app.metric.{m}", unit="ms", description="a metric")
            points = metric.gauge.data_points if m % 2 else metric.sum.data_points
            if not m % 2:
                metric.sum.aggregation_temporality, metric.sum.is_monotonic = 2, True
            for p in range(10):
                dp = points.add(start_time_unix_nano=now - 10**9, time_unix_nano=now + p)
                if p % 2:
                    dp.as_double = rnd.random() * 100
                else:
                    dp.as_int = rnd.randrange(1000)
                dp.attributes.add(key="http.route").value.string_value = f"/api/{p}"
                dp.attributes.add(key="status").value.int_value = 200
        out.append(req.SerializeToString())
    return out


REQUESTS = {"traces": trace_requests, "logs": log_requests, "metrics": metric_requests}
MESSAGES = {"traces": "ExportTraceServiceRequest", "logs": "ExportLogsServiceRequest",
            "metrics": "ExportMetricsServiceRequest"}


# ---- (m2) the exporter-schema baseline --------------------------------------------------------

_SCALAR = ("multiIf(kv.value.value = 'string_value', kv.value.string_value, kv.value.value = 'int_value', "
           "toString(kv.value.int_value), kv.value.value = 'double_value', toString(kv.value.double_value), "
           "kv.value.value = 'bool_value', toString(kv.value.bool_value), '')")


def _attrs(kvs: str) -> str:
    return f"mapFromArrays({kvs}.key, arrayMap(kv -> {_SCALAR}, {kvs}))"


def exporter_schema(db: str, signal: str, landing: str) -> list[str]:
    """The exporter's table for `signal` and the smallest view that fills it from the landing table."""
    lc, mp_ = "LowCardinality(String)", "Map(LowCardinality(String), String)"
    svc = "rs.resource.attributes.value.string_value[indexOf(rs.resource.attributes.key, 'service.name')]"
    if signal == "traces":
        table = f"""CREATE TABLE {db}.otel_traces (Timestamp DateTime64(9), TraceId String, SpanId String,
  ParentSpanId String, TraceState String, SpanName {lc}, SpanKind {lc}, ServiceName {lc},
  ResourceAttributes {mp_}, ScopeName String, ScopeVersion String, SpanAttributes {mp_}, Duration UInt64,
  StatusCode {lc}, StatusMessage String, `Events.Timestamp` Array(DateTime64(9)), `Events.Name` Array({lc}),
  `Events.Attributes` Array({mp_}), `Links.TraceId` Array(String), `Links.SpanId` Array(String),
  `Links.TraceState` Array(String), `Links.Attributes` Array({mp_}))
ENGINE = MergeTree PARTITION BY toDate(Timestamp) ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))"""
        view = f"""CREATE MATERIALIZED VIEW {db}.otel_traces_mv TO {db}.otel_traces AS SELECT
  fromUnixTimestamp64Nano(toInt64(s.start_time_unix_nano)) AS Timestamp, lower(hex(s.trace_id)) AS TraceId,
  lower(hex(s.span_id)) AS SpanId, lower(hex(s.parent_span_id)) AS ParentSpanId, s.trace_state AS TraceState,
  s.name AS SpanName, toString(s.kind) AS SpanKind, ServiceName, ResourceAttributes,
  ss.scope.name AS ScopeName, ss.scope.version AS ScopeVersion, {_attrs('s.attributes')} AS SpanAttributes,
  s.end_time_unix_nano - s.start_time_unix_nano AS Duration, toString(s.status.code) AS StatusCode,
  s.status.message AS StatusMessage,
  arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano)), s.events) AS `Events.Timestamp`,
  arrayMap(e -> e.name, s.events) AS `Events.Name`, arrayMap(e -> {_attrs('e.attributes')}, s.events) AS `Events.Attributes`,
  arrayMap(l -> lower(hex(l.trace_id)), s.links) AS `Links.TraceId`, arrayMap(l -> lower(hex(l.span_id)), s.links) AS `Links.SpanId`,
  arrayMap(l -> l.trace_state, s.links) AS `Links.TraceState`, arrayMap(l -> {_attrs('l.attributes')}, s.links) AS `Links.Attributes`
FROM (SELECT {svc} AS ServiceName, {_attrs('rs.resource.attributes')} AS ResourceAttributes, rs.scope_spans AS scopes
      FROM {db}.{landing} ARRAY JOIN resource_spans AS rs)
ARRAY JOIN scopes AS ss ARRAY JOIN ss.spans AS s"""
    elif signal == "logs":
        table = f"""CREATE TABLE {db}.otel_logs (Timestamp DateTime64(9), TimestampTime DateTime, TraceId String,
  SpanId String, TraceFlags UInt8, SeverityText {lc}, SeverityNumber UInt8, ServiceName {lc}, Body String,
  ResourceSchemaUrl {lc}, ResourceAttributes {mp_}, ScopeSchemaUrl {lc}, ScopeName String, ScopeVersion {lc},
  ScopeAttributes {mp_}, LogAttributes {mp_}, EventName String)
ENGINE = MergeTree PARTITION BY toDate(TimestampTime) ORDER BY (ServiceName, TimestampTime, Timestamp)"""
        body = _SCALAR.replace("kv.value", "r.body")
        view = f"""CREATE MATERIALIZED VIEW {db}.otel_logs_mv TO {db}.otel_logs AS SELECT
  fromUnixTimestamp64Nano(toInt64(r.time_unix_nano)) AS Timestamp, toDateTime(Timestamp) AS TimestampTime,
  lower(hex(r.trace_id)) AS TraceId, lower(hex(r.span_id)) AS SpanId, toUInt8(bitAnd(r.flags, 255)) AS TraceFlags,
  r.severity_text AS SeverityText, toUInt8(r.severity_number) AS SeverityNumber, ServiceName, {body} AS Body,
  ResourceSchemaUrl, ResourceAttributes, ss.schema_url AS ScopeSchemaUrl, ss.scope.name AS ScopeName,
  ss.scope.version AS ScopeVersion, {_attrs('ss.scope.attributes')} AS ScopeAttributes,
  {_attrs('r.attributes')} AS LogAttributes, r.event_name AS EventName
FROM (SELECT {svc} AS ServiceName, rs.schema_url AS ResourceSchemaUrl,
             {_attrs('rs.resource.attributes')} AS ResourceAttributes, rs.scope_logs AS scopes
      FROM {db}.{landing} ARRAY JOIN resource_logs AS rs)
ARRAY JOIN scopes AS ss ARRAY JOIN ss.log_records AS r"""
    else:
        svc = svc.replace("rs.", "rm.")
        table = f"""CREATE TABLE {db}.otel_metrics_sum (ResourceAttributes {mp_}, ResourceSchemaUrl String,
  ScopeName String, ScopeVersion String, ScopeAttributes {mp_}, ScopeSchemaUrl String, ServiceName {lc},
  MetricName String, MetricDescription String, MetricUnit String, Attributes {mp_},
  StartTimeUnix DateTime64(9), TimeUnix DateTime64(9), Value Float64, Flags UInt32,
  AggregationTemporality Int32, IsMonotonic Bool)
ENGINE = MergeTree PARTITION BY toDate(TimeUnix) ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))"""
        # gauges and sums in one table (the exporter has one per type; one view keeps m2 minimal)
        view = f"""CREATE MATERIALIZED VIEW {db}.otel_metrics_mv TO {db}.otel_metrics_sum AS SELECT
  ResourceAttributes, ResourceSchemaUrl, ss.scope.name AS ScopeName, ss.scope.version AS ScopeVersion,
  {_attrs('ss.scope.attributes')} AS ScopeAttributes, ss.schema_url AS ScopeSchemaUrl, ServiceName,
  m.name AS MetricName, m.description AS MetricDescription, m.unit AS MetricUnit, {_attrs('p.attributes')} AS Attributes,
  fromUnixTimestamp64Nano(toInt64(p.start_time_unix_nano)) AS StartTimeUnix,
  fromUnixTimestamp64Nano(toInt64(p.time_unix_nano)) AS TimeUnix,
  if(p.number_value = 'as_int', toFloat64(p.as_int), p.as_double) AS Value, p.flags AS Flags,
  m.sum.aggregation_temporality AS AggregationTemporality, m.sum.is_monotonic AS IsMonotonic
FROM (SELECT {svc} AS ServiceName, rm.schema_url AS ResourceSchemaUrl,
             {_attrs('rm.resource.attributes')} AS ResourceAttributes, rm.scope_metrics AS scopes
      FROM {db}.{landing} ARRAY JOIN resource_metrics AS rm)
ARRAY JOIN scopes AS ss ARRAY JOIN ss.metrics AS m ARRAY JOIN arrayConcat(m.gauge.data_points, m.sum.data_points) AS p"""
    return [table, view]


# ---- measuring --------------------------------------------------------------------------------

@dataclass
class ModeResult:
    fixed_ms: float
    rows_per_s: float
    big_ms: float
    fixed_cpu_ms: float  # CPU time of the process (the embedded engine's threads included)
    rows_per_cpu_s: float


def _setup(client, signal: str, mode: str) -> str:  # type: ignore[no-untyped-def]
    """Create the database of `mode`; return the table inserts go to."""
    from tailhouse.exporters.clickhouse.events_table import TableOptions
    from tailhouse.exporters.clickhouse.landing_schema import LANDING_TABLES, landing_columns
    from tailhouse.exporters.clickhouse.migrations import migrate

    message = MESSAGES[signal]
    landing = LANDING_TABLES[message]
    if mode == "m1":
        migrate(client, mode, TableOptions())
        return f"{mode}.{landing}"
    if mode == "m0":  # the schema before migration 4: the first mapping views, for a same-run before/after
        from tailhouse.exporters.clickhouse import migrations

        for stmt in migrations.schema_statements(mode, TableOptions(), up_to=3):
            client.command(stmt)
        return f"{mode}.{landing}"
    client.command(f"CREATE DATABASE IF NOT EXISTS {mode}")
    client.command(f"CREATE TABLE {mode}.{landing} (\n  {landing_columns(message)}\n) ENGINE = Null")
    if mode == "m2":
        for stmt in exporter_schema(mode, signal, landing):
            client.command(stmt)
    return f"{mode}.{landing}"


def _target_table(signal: str, mode: str) -> str | None:
    if mode in ("m0", "m1"):
        return f"{mode}.events"
    if mode == "m2":
        return {"traces": "m2.otel_traces", "logs": "m2.otel_logs", "metrics": "m2.otel_metrics_sum"}[signal]
    return None


class Inserter:
    """Inserts framed requests from a file with the exporter's settings and a fresh token each time."""

    def __init__(self, client, signal: str, workdir: Path) -> None:  # type: ignore[no-untyped-def]
        from tailhouse.pipeline.signals import Signal, otlp_kind
        from tailhouse.exporters.clickhouse.exporter import LANDING_TARGETS

        self.client, self.workdir = client, workdir
        self.target = LANDING_TARGETS[otlp_kind(Signal(signal))]
        self.files: dict[int, Path] = {}

    def file(self, requests: list[bytes]) -> Path:
        key = len(requests)
        if key not in self.files:
            path = self.workdir / f"batch-{key}.bin"
            path.write_bytes(self.target.frame(requests))
            self.files[key] = path
        return self.files[key]

    def insert(self, table: str, path: Path) -> float:
        from tailhouse.exporters.clickhouse.exporter import insert_settings_for
        from tailhouse.exporters.clickhouse.landing_schema import with_schema_file

        settings = insert_settings_for(self.target, b"", f"bench-{uuid.uuid4()}")
        settings = with_schema_file(settings, self.workdir / "format_schemas")
        sql_settings = ", ".join(f"{k} = '{v}'" for k, v in settings.items())
        self.last_cpu = 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        self.client.command(f"INSERT INTO {table} FROM INFILE '{path}' SETTINGS {sql_settings} FORMAT Protobuf")
        elapsed = time.perf_counter() - t0
        self.last_cpu = time.process_time() - c0
        return elapsed


def measure(signal: str, modes: list[str], big: int, singles: int, rounds: int, profile: bool,
            workdir: Path) -> dict[str, ModeResult]:
    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn=f"chdb://{workdir}/ch")
    requests = REQUESTS[signal](DISTINCT_REQUESTS)
    ins = Inserter(client, signal, workdir)
    one = ins.file(requests[:1])
    many = ins.file([requests[i % len(requests)] for i in range(big)])
    tables = {m: _setup(client, signal, m) for m in modes}
    # Background merges are not part of an insert's cost, and in one engine they would be billed to
    # whichever insert runs next; the few parts the benchmark makes need none.
    client.command("SYSTEM STOP MERGES")
    for m in modes:  # warm up: schema caches, first parts
        ins.insert(tables[m], one)
    fixed: dict[str, list[float]] = {m: [] for m in modes}
    fixed_cpu: dict[str, list[float]] = {m: [] for m in modes}
    large_cpu: dict[str, list[float]] = {m: [] for m in modes}
    large: dict[str, list[float]] = {m: [] for m in modes}
    # interleave the modes so a noisy neighbour hurts them alike
    for _ in range(rounds):
        for m in modes:
            for _ in range(singles):
                fixed[m].append(ins.insert(tables[m], one))
                fixed_cpu[m].append(ins.last_cpu)
            large[m].append(ins.insert(tables[m], many))
            large_cpu[m].append(ins.last_cpu)
    out: dict[str, ModeResult] = {}
    for m in modes:
        # fixed cost: the median single insert; marginal: the fastest of each size, so that a noisy
        # neighbour's stall in one of them does not pass for a cost of the rows
        t1, t1_best, tn = statistics.median(fixed[m]), min(fixed[m]), min(large[m])
        rows_extra = (big - 1) * ITEMS_PER_REQUEST
        c1, cn = min(fixed_cpu[m]), min(large_cpu[m])
        out[m] = ModeResult(t1 * 1000, rows_extra / max(tn - t1_best, 1e-9), tn * 1000,
                            statistics.median(fixed_cpu[m]) * 1000, rows_extra / max(cn - c1, 1e-9))
        target = _target_table(signal, m)
        if target:
            stored = client.query(f"SELECT count() FROM {target}").result_rows[0][0]
            expected = (1 + rounds * (singles + big)) * ITEMS_PER_REQUEST
            if stored != expected:
                raise RuntimeError(f"{signal} {m}: {stored} rows stored in {target}, expected {expected}")
    if profile:
        profile_insert(client, ins, tables["m1"], one, f"{signal} m1, 1 request")
        profile_insert(client, ins, tables["m1"], many, f"{signal} m1, {big} requests")
    return out


def _events(client) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Cumulative ProfileEvents of the engine (embedded ClickHouse keeps no system.query_log)."""
    return {k: int(v) for k, v in client.query("SELECT event, value FROM system.events").result_rows}


def profile_insert(client, ins: "Inserter", table: str, path: Path, label: str) -> None:  # type: ignore[no-untyped-def]
    """Print the ProfileEvents one insert added: where its time went (microseconds) and what it moved."""
    before = _events(client)
    took = ins.insert(table, path)
    after = _events(client)
    diff = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0}
    timed = sorted(((k, v) for k, v in diff.items() if k.endswith("Microseconds")), key=lambda kv: -kv[1])
    print(f"  profile {label}: {took * 1000:.0f} ms wall", flush=True)
    for name, value in timed[:12]:
        print(f"    {name:45s} {value / 1000:10.1f} ms", flush=True)
    for name in ("InsertedRows", "SelectedRows", "MergeTreeDataWriterRows", "MergeTreeDataWriterCompressedBytes"):
        if name in diff:
            print(f"    {name:45s} {diff[name]:13,}", flush=True)


def _child(signal: str, args: argparse.Namespace, queue: "mp.Queue[dict[str, ModeResult] | Exception]") -> None:
    with tempfile.TemporaryDirectory() as d:
        try:
            queue.put(measure(signal, args.modes, args.requests, args.singles, args.rounds, args.profile, Path(d)))
        except Exception as exc:  # hand the failure to the parent rather than leave it waiting
            queue.put(RuntimeError(f"{signal}: {exc!r}"))
            raise


def run_signal(signal: str, args: argparse.Namespace) -> dict[str, ModeResult]:
    """Measure one signal in a child process (one embedded engine each, memory not shared)."""
    ctx = mp.get_context("spawn")
    q: mp.Queue[dict[str, ModeResult] | Exception] = ctx.Queue()
    p = ctx.Process(target=_child, args=(signal, args, q))
    p.start()
    try:
        result = q.get(timeout=1800)
    finally:
        p.join()
    if isinstance(result, Exception):
        raise result
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signal", choices=SIGNALS, action="append", help="repeatable; default: all three")
    ap.add_argument("--requests", type=int, default=100, help="1,000-item requests in the large insert (>= 100)")
    ap.add_argument("--singles", type=int, default=5, help="1-request inserts per round")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of (singles, one large insert) per mode")
    ap.add_argument("--profile", action="store_true",
                    help="print the ProfileEvents of an m1 insert of 1 and of --requests requests")
    ap.add_argument("--before", action="store_true", help="also measure (m0), the mapping before migration 4")
    args = ap.parse_args()
    args.modes = ["m1", "m2", "m3"] + (["m0"] if args.before else [])
    fields: list[str] = []
    for signal in args.signal or SIGNALS:
        res = run_signal(signal, args)
        labels = {"m1": "events (landing + views)", "m2": "exporter schema, minimal view",
                  "m3": "landing only, no view", "m0": "before migration 4"}
        for m in [m for m in ("m1", "m2", "m3", "m0") if m in res]:
            r = res[m]
            print(f"{signal:8s} ({m}) {labels[m]:30s} fixed {r.fixed_ms:6.1f} ms ({r.fixed_cpu_ms:6.1f} ms CPU)   "
                  f"marginal {r.rows_per_s:10,.0f} rows/s ({r.rows_per_cpu_s:10,.0f} rows/CPU-s)   "
                  f"({args.requests} requests: {r.big_ms:,.0f} ms)", flush=True)
        m1 = res["m1"]
        if "m0" in res:
            r = res["m0"]
            print(f"{signal:8s} same-run before/after: fixed {r.fixed_ms / m1.fixed_ms:.2f}x lower "
                  f"(CPU {r.fixed_cpu_ms / m1.fixed_cpu_ms:.2f}x), marginal {m1.rows_per_s / r.rows_per_s:.2f}x higher "
                  f"(per CPU-s {m1.rows_per_cpu_s / r.rows_per_cpu_s:.2f}x)", flush=True)
        ratio = res["m2"].rows_per_s / m1.rows_per_s
        cpu_ratio = res["m2"].rows_per_cpu_s / m1.rows_per_cpu_s
        print(f"{signal:8s} same-run ratios: m2/m1 marginal {ratio:.2f}x (per CPU-s {cpu_ratio:.2f}x), "
              f"m3/m1 marginal {res['m3'].rows_per_s / m1.rows_per_s:.2f}x, m1-m3 fixed "
              f"{m1.fixed_ms - res['m3'].fixed_ms:.1f} ms", flush=True)
        fields += [f"{signal}_fixed_ms={m1.fixed_ms:.1f}", f"{signal}_rows_per_s={m1.rows_per_s:.0f}",
                   f"{signal}_vs_exporter_schema={ratio:.2f}", f"{signal}_fixed_cpu_ms={m1.fixed_cpu_ms:.1f}",
                   f"{signal}_rows_per_cpu_s={m1.rows_per_cpu_s:.0f}", f"{signal}_cpu_vs_exporter_schema={cpu_ratio:.2f}"]
    print("RESULT " + " ".join(fields))


if __name__ == "__main__":
    main()
