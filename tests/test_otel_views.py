"""OTel-compatible views: exporter schema, and the queries Grafana / the exporter README issue.

Spans and logs come from the real OTel SDK over OTLP/HTTP. Metric rows are written straight into
`events` (as the OTLP metric mapping would fill them) to check each metric view's columns.
"""

from __future__ import annotations

import time
from typing import Iterator

import pytest
from harness import RunningService, start

from tailhouse.exporters.clickhouse.otel_views import OTEL_VIEWS

# The OpenTelemetry Collector ClickHouse exporter's columns, in order (its sqltemplates DDL).
EXPORTER_COLUMNS = {
    "otel_traces": "Timestamp TraceId SpanId ParentSpanId TraceState SpanName SpanKind ServiceName ResourceAttributes "
                   "ScopeName ScopeVersion SpanAttributes Duration StatusCode StatusMessage Events.Timestamp "
                   "Events.Name Events.Attributes Links.TraceId Links.SpanId Links.TraceState Links.Attributes",
    "otel_logs": "Timestamp TimestampTime TraceId SpanId TraceFlags SeverityText SeverityNumber ServiceName Body "
                 "ResourceSchemaUrl ResourceAttributes ScopeSchemaUrl ScopeName ScopeVersion ScopeAttributes "
                 "LogAttributes EventName",
    "otel_traces_trace_id_ts": "TraceId Start End",
}
METRIC_COMMON = ("ResourceAttributes ResourceSchemaUrl ScopeName ScopeVersion ScopeAttributes ScopeDroppedAttrCount "
                 "ScopeSchemaUrl ServiceName MetricName MetricDescription MetricUnit Attributes StartTimeUnix TimeUnix")
EXEMPLARS = "Exemplars.FilteredAttributes Exemplars.TimeUnix Exemplars.Value Exemplars.SpanId Exemplars.TraceId"
EXPORTER_COLUMNS |= {
    "otel_metrics_gauge": f"{METRIC_COMMON} Value Flags {EXEMPLARS}",
    "otel_metrics_sum": f"{METRIC_COMMON} Value Flags {EXEMPLARS} AggregationTemporality IsMonotonic",
    "otel_metrics_histogram": f"{METRIC_COMMON} Count Sum BucketCounts ExplicitBounds {EXEMPLARS} Flags Min Max "
                              "AggregationTemporality",
    "otel_metrics_exponential_histogram": f"{METRIC_COMMON} Count Sum Scale ZeroCount PositiveOffset "
                                          f"PositiveBucketCounts NegativeOffset NegativeBucketCounts {EXEMPLARS} "
                                          "Flags Min Max AggregationTemporality",
    "otel_metrics_summary": f"{METRIC_COMMON} Count Sum ValueAtQuantiles.Quantile ValueAtQuantiles.Value Flags",
}
EXPORTER_COLUMNS["otel_metrics_exp_histogram"] = EXPORTER_COLUMNS["otel_metrics_exponential_histogram"]
MAP = "Map(LowCardinality(String), String)"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningService, dict[str, str]]]:
    """A service holding an SDK-made trace (server → client span, with event, link, error) and its logs."""
    from opentelemetry._logs import LogRecord, SeverityNumber
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.trace import Link, SpanKind, StatusCode

    svc = start(tmp_path_factory.mktemp("views"), "otlp", mode="thread")
    base = svc.endpoint("otlp/http")
    resource = Resource.create({"service.name": "checkout", "host.name": "web-1"})
    tp = TracerProvider(resource=resource)
    tp.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces")))
    lp = LoggerProvider(resource=resource)
    lp.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{base}/v1/logs")))
    tracer, logger = tp.get_tracer("shop", "2.1"), lp.get_logger("shop")

    with tracer.start_as_current_span("warmup") as other:
        pass
    with tracer.start_as_current_span("POST /pay", kind=SpanKind.SERVER,
                                      attributes={"http.request.method": "POST", "url.path": "/pay",
                                                  "peer.service": "bank"}) as root:
        logger.emit(LogRecord(body="payment started for http order", severity_number=SeverityNumber.INFO,
                              severity_text="INFO", attributes={"container_name": "/shop_1"}))
        with tracer.start_as_current_span("bank call", kind=SpanKind.CLIENT, links=[Link(other.get_span_context())]) as child:
            child.add_event("retry", {"attempt": 2})
            time.sleep(0.002)
            child.set_status(StatusCode.ERROR, "bank timeout")
            logger.emit(LogRecord(body='{"bytes": 2048, "msg": "bank timeout"}', severity_number=SeverityNumber.ERROR,
                                  severity_text="ERROR"))
    tp.shutdown()
    lp.shutdown()
    ids = {
        "trace": format(root.get_span_context().trace_id, "032x"),
        "root": format(root.get_span_context().span_id, "016x"),
        "child": format(child.get_span_context().span_id, "016x"),
        "other_trace": format(other.get_span_context().trace_id, "032x"),
    }
    _insert_metric_rows(svc)
    yield svc, ids
    svc.stop()


def _insert_metric_rows(svc: RunningService) -> None:
    common = ("event_type, event_name, source, service_name, timestamp, start_timestamp, attributes, scope_name, "
              "metric_type, metric_unit, aggregation_temporality, data")
    svc.store_rows(
        f"INSERT INTO events ({common}, value, is_monotonic, count, sum, min, max, bucket_counts, explicit_bounds, "
        "exp_scale, exp_positive_offset, exp_positive_bucket_counts, `quantiles.quantile`, `quantiles.value`) VALUES "
        "('metric', 'queue_depth', 'otlp', 'checkout', now64(9), now64(9), {'queue': 'a'}, 'm', 'gauge', '1', '', "
        "'{\"flags\":1}', 7.5, false, 0, 0, NULL, NULL, [], [], 0, 0, [], [], []), "
        "('metric', 'calls_total', 'otlp', 'checkout', now64(9), now64(9), {'service_name': 'featureflagservice'}, "
        "'m', 'sum', '1', 'cumulative', '', 42, true, 0, 0, NULL, NULL, [], [], 0, 0, [], [], []), "
        "('metric', 'latency', 'otlp', 'checkout', now64(9), now64(9), {}, 'm', 'histogram', 'ms', 'delta', '', "
        "0, false, 3, 12.5, 1.5, NULL, [1, 2], [5], 0, 0, [], [], []), "
        "('metric', 'latency_exp', 'otlp', 'checkout', now64(9), now64(9), {}, 'm', 'exponential_histogram', 'ms', "
        "'delta', '', 0, false, 4, 9, NULL, 4, [], [], 3, -2, [1, 3], [], []), "
        "('metric', 'rpc_summary', 'otlp', 'checkout', now64(9), now64(9), {}, 'm', 'summary', 's', '', '', "
        "0, false, 10, 2.5, NULL, NULL, [], [], 0, 0, [], [0.5, 0.99], [0.2, 0.9])"
    )


def _grafana(sql: str, window_s: int = 3600) -> str:
    """Expand the Grafana macros the data source's backend fills in before sending a query."""
    now = int(time.time())
    return (sql.replace("$__fromTime", f"toDateTime({now - window_s})")
               .replace("$__toTime", f"toDateTime({now + 60})"))


def test_every_view_has_the_exporter_columns_in_order(seeded: tuple[RunningService, dict[str, str]]) -> None:
    svc, _ = seeded
    assert {v.name for v in OTEL_VIEWS} == set(EXPORTER_COLUMNS)
    for view in OTEL_VIEWS:
        desc = svc.store_rows(f"DESC TABLE {view.name}")
        assert [r[0] for r in desc] == EXPORTER_COLUMNS[view.name].split(), view.name
        assert [r[1] for r in desc] == [c.type for c in view.columns], view.name
        # Grafana switches to JSON-column SQL when it sees JSON; every attribute map must stay a Map.
        assert all("JSON" not in r[1] for r in desc)
    types = dict((r[0], r[1]) for r in svc.store_rows("DESC TABLE otel_traces"))
    assert types["SpanAttributes"] == MAP and types["Events.Timestamp"] == "Array(DateTime64(9))"
    assert dict((r[0], r[1]) for r in svc.store_rows("DESC TABLE otel_logs"))["TimestampTime"] == "DateTime"


def test_select_star_trace_row(seeded: tuple[RunningService, dict[str, str]]) -> None:
    svc, ids = seeded
    rows = svc.store_rows(f"SELECT * FROM otel_traces WHERE SpanId = '{ids['child']}'")
    assert len(rows) == 1
    (ts, trace_id, span_id, parent, state, name, kind, service, res, scope, scope_ver, attrs, duration, status,
     status_msg, ev_ts, ev_name, ev_attrs, link_trace, link_span, link_state, link_attrs) = rows[0]
    assert (trace_id, parent, name, kind, service, scope, scope_ver) == (
        ids["trace"], ids["root"], "bank call", "Client", "checkout", "shop", "2.1")
    assert (status, status_msg) == ("Error", "bank timeout")
    assert duration >= 2_000_000
    assert res["host.name"] == "web-1"
    assert ev_name == ["retry"] and ev_attrs == [{"attempt": "2"}]
    assert link_trace == [ids["other_trace"]]
    root = svc.store_rows(f"SELECT SpanKind, StatusCode, ParentSpanId FROM otel_traces WHERE SpanId = '{ids['root']}'")
    assert root == [("Server", "Unset", "")]


def test_grafana_trace_list(seeded: tuple[RunningService, dict[str, str]]) -> None:
    svc, ids = seeded
    rows = svc.store_rows(_grafana(
        'SELECT "TraceId" as traceID, "ServiceName" as serviceName, "SpanName" as operationName, '
        '"Timestamp" as startTime, multiply("Duration", 0.000001) as duration '
        'FROM "tailhouse"."otel_traces" WHERE ( Timestamp >= $__fromTime AND Timestamp <= $__toTime ) '
        "AND ( ParentSpanId = '' ) AND ( Duration > 0 ) ORDER BY Timestamp DESC, Duration DESC LIMIT 1000"))
    assert [r[0] for r in rows] == [ids["trace"], ids["other_trace"]]
    assert rows[0][1:3] == ("checkout", "POST /pay")


@pytest.mark.parametrize("flatten_nested", [False, True])
def test_grafana_trace_by_id_with_timestamp_table(seeded: tuple[RunningService, dict[str, str]],
                                                  flatten_nested: bool) -> None:
    svc, ids = seeded
    # Grafana's two spellings: Nested read as parallel arrays, or as one array of tuples.
    if flatten_nested:
        events = ("arrayMap(event -> tuple(multiply(toFloat64(event.Timestamp), 1000), arrayConcat(arrayMap(key -> "
                  "map('key', key, 'value', event.Attributes[key]), mapKeys(event.Attributes)), [map('key', 'message', "
                  "'value', event.Name)]))::Tuple(timestamp Float64, fields Array(Map(String, String))), \"Events\") as logs")
        links = ("arrayMap(link -> tuple(link.TraceId, link.SpanId, arrayMap(key -> map('key', key, 'value', "
                 "link.Attributes[key]), mapKeys(link.Attributes)))::Tuple(traceID String, spanID String, "
                 "tags Array(Map(String, String))), \"Links\") AS references")
    else:
        events = ("arrayMap((name, timestamp, attributes) -> tuple(name, toString(toUnixTimestamp64Milli(timestamp)), "
                  "arrayMap( key -> map('key', key, 'value', attributes[key]), mapKeys(attributes)))::Tuple(name String, "
                  "timestamp String, fields Array(Map(String, String))), \"Events\".Name, \"Events\".Timestamp, "
                  "\"Events\".Attributes) AS logs")
        links = ("arrayMap((traceID, spanID, attributes) -> tuple(traceID, spanID, arrayMap(key -> map('key', key, "
                 "'value', attributes[key]), mapKeys(attributes)))::Tuple(traceID String, spanID String, "
                 "tags Array(Map(String, String))), \"Links\".TraceId, \"Links\".SpanId, \"Links\".Attributes) AS references")
    sql = (
        f"WITH '{ids['trace']}' as trace_id, (SELECT min(Start) FROM \"tailhouse\".\"otel_traces_trace_id_ts\" "
        "WHERE TraceId = trace_id) as trace_start, (SELECT max(End) + 1 FROM \"tailhouse\".\"otel_traces_trace_id_ts\" "
        'WHERE TraceId = trace_id) as trace_end SELECT "TraceId" as traceID, "SpanId" as spanID, "ParentSpanId" as '
        'parentSpanID, "ServiceName" as serviceName, "SpanName" as operationName, '
        'multiply(toUnixTimestamp64Nano("Timestamp"), 0.000001) as startTime, multiply("Duration", 0.000001) as duration, '
        "arrayMap(key -> map('key', key, 'value',\"SpanAttributes\"[key]), mapKeys(\"SpanAttributes\")) as tags, "
        "arrayMap(key -> map('key', key, 'value',\"ResourceAttributes\"[key]), mapKeys(\"ResourceAttributes\")) as serviceTags, "
        "if(\"StatusCode\" IN ('Error', 'STATUS_CODE_ERROR'), 2, 0) as statusCode, "
        f"{events}, {links}, "
        '"SpanKind" as kind, "StatusMessage" as statusMessage, "ScopeName" as instrumentationLibraryName, '
        '"ScopeVersion" as instrumentationLibraryVersion, "TraceState" as traceState '
        'FROM "tailhouse"."otel_traces" WHERE traceID = trace_id AND "Timestamp" >= trace_start AND "Timestamp" <= trace_end '
        "LIMIT 1000"
    )
    rows = svc.store_rows(sql)
    by_span = {r[1]: r for r in rows}
    assert set(by_span) == {ids["root"], ids["child"]}
    child = by_span[ids["child"]]
    assert child[2] == ids["root"] and child[9] == 2 and child[12] == "Client"
    ref = child[11][0]  # a named tuple: clickhouse-connect returns it as a dict
    assert len(child[10]) == 1 and (ref["traceID"] if isinstance(ref, dict) else ref[0]) == ids["other_trace"]


def test_grafana_logs_volume_context_and_trace_to_logs(seeded: tuple[RunningService, dict[str, str]]) -> None:
    svc, ids = seeded
    logs_sql = (
        'SELECT Timestamp as "timestamp", Body as "body", SeverityText as "level", LogAttributes as "labels", '
        'TraceId as "traceID" FROM "tailhouse"."otel_logs" WHERE ( TimestampTime >= $__fromTime AND TimestampTime <= '
        "$__toTime ) AND ( timestamp >= $__fromTime AND timestamp <= $__toTime ) ORDER BY timestamp DESC LIMIT 1000"
    )
    logs = svc.store_rows(_grafana(logs_sql))
    assert [r[2] for r in logs] == ["ERROR", "INFO"]
    assert logs[1][3] == {"container_name": "/shop_1"} and logs[0][4] == ids["trace"]

    head = logs_sql.split(" ORDER BY")[0]
    lvl = 'ifNull(toString(src."level"), \'\')'
    volume = (
        f'SELECT toStartOfInterval(toDateTime(src."timestamp"), INTERVAL 1 MINUTE) AS "time", '
        f"sum({lvl} IN ('error','err','ERROR','ERR','Error','Err')) AS \"error\", "
        f"sum({lvl} IN ('info','INFO','Info')) AS \"info\" "
        f'FROM (\n{head}\n) AS src\nWHERE toDateTime(src."timestamp") >= $__fromTime AND '
        f'toDateTime(src."timestamp") <= $__toTime\nGROUP BY "time"\nORDER BY "time" ASC'
    )
    totals = svc.store_rows(_grafana(volume))
    assert sum(r[1] for r in totals) == 1 and sum(r[2] for r in totals) == 1

    # Log context: the rows just before a chosen row, same service.
    row_ns = svc.store_rows("SELECT toUnixTimestamp64Nano(Timestamp) FROM otel_logs WHERE SeverityText = 'ERROR'")[0][0]
    context = svc.store_rows(
        'SELECT Timestamp as "timestamp", Body as "body", SeverityText as "level" FROM "tailhouse"."otel_logs" '
        f"WHERE ( timestamp < fromUnixTimestamp64Nano({row_ns}) ) AND ( \"ServiceName\" = 'checkout' ) "
        "ORDER BY timestamp DESC LIMIT 10")
    assert [r[2] for r in context] == ["INFO"]

    # Trace to logs: the logs query filtered on the trace id.
    to_logs = svc.store_rows(_grafana(logs_sql.replace(" ORDER BY", f" AND ( traceID = '{ids['trace']}' ) ORDER BY")))
    assert len(to_logs) == 2


def test_exporter_readme_queries(seeded: tuple[RunningService, dict[str, str]]) -> None:
    svc, ids = seeded
    sev = svc.store_rows("SELECT toDateTime(toStartOfInterval(Timestamp, INTERVAL 60 second)) as time, SeverityText, "
                         "count() as count FROM otel_logs WHERE time >= NOW() - INTERVAL 1 HOUR "
                         "GROUP BY SeverityText, time ORDER BY time")
    assert sorted(r[1] for r in sev) == ["ERROR", "INFO"]
    recent = "AND Timestamp >= NOW() - INTERVAL 1 HOUR Limit 100"
    assert len(svc.store_rows(f"SELECT Timestamp as log_time, Body FROM otel_logs WHERE ServiceName = 'checkout' {recent}")) == 2
    assert len(svc.store_rows("SELECT Timestamp as log_time, Body FROM otel_logs WHERE "
                              f"LogAttributes['container_name'] = '/shop_1' {recent}")) == 1
    assert len(svc.store_rows(f"SELECT Timestamp as log_time, Body FROM otel_logs WHERE hasToken(Body, 'http') {recent}")) == 1
    assert len(svc.store_rows(f"SELECT Timestamp as log_time, Body FROM otel_logs WHERE match(Body, 'ba.k') {recent}")) == 1
    assert len(svc.store_rows("SELECT Timestamp as log_time, Body FROM otel_logs WHERE "
                              f"JSONExtractFloat(Body, 'bytes') > 1000 {recent}")) == 1

    span_cols = ("Timestamp as log_time, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, Duration, "
                 "StatusCode, StatusMessage, toString(SpanAttributes), toString(ResourceAttributes), "
                 "toString(Events.Name), toString(Links.TraceId)")
    by_attr = svc.store_rows(f"SELECT {span_cols} FROM otel_traces WHERE ServiceName = 'checkout' "
                             f"AND SpanAttributes['peer.service'] = 'bank' {recent}")
    assert [r[4] for r in by_attr] == ["POST /pay"]
    by_id = svc.store_rows(
        f"WITH '{ids['trace']}' as trace_id, (SELECT min(Start) FROM otel_traces_trace_id_ts WHERE TraceId = trace_id) "
        "as start, (SELECT max(End) + 1 FROM otel_traces_trace_id_ts WHERE TraceId = trace_id) as end "
        f"SELECT {span_cols} FROM otel_traces WHERE TraceId = trace_id AND Timestamp >= start AND Timestamp <= end "
        "Limit 100")
    assert len(by_id) == 2 and any(r[12] == "['retry']" for r in by_id)
    errors = svc.store_rows(f"SELECT {span_cols} FROM otel_traces WHERE ServiceName = 'checkout' AND StatusCode = 'Error' {recent}")
    assert [r[4] for r in errors] == ["bank call"]
    slow = svc.store_rows(f"SELECT {span_cols} FROM otel_traces WHERE ServiceName = 'checkout' AND Duration > 1 * 1e6 {recent}")
    assert "bank call" in [r[4] for r in slow]

    assert svc.store_rows("select TimeUnix,MetricName,Attributes,Value from otel_metrics_sum "
                          "where MetricName='calls_total' and Attributes['service_name']='featureflagservice' "
                          "limit 100")[0][1:] == ("calls_total", {"service_name": "featureflagservice"}, 42.0)


def test_metric_views_values(seeded: tuple[RunningService, dict[str, str]]) -> None:
    svc, _ = seeded
    assert svc.store_rows("SELECT MetricName, Value, Flags, MetricUnit FROM otel_metrics_gauge") == [("queue_depth", 7.5, 1, "1")]
    assert svc.store_rows("SELECT AggregationTemporality, IsMonotonic FROM otel_metrics_sum") == [(2, True)]
    assert svc.store_rows("SELECT Count, Sum, BucketCounts, ExplicitBounds, Min, Max, AggregationTemporality "
                          "FROM otel_metrics_histogram") == [(3, 12.5, [1, 2], [5.0], 1.5, 0.0, 1)]
    for name in ("otel_metrics_exponential_histogram", "otel_metrics_exp_histogram"):
        assert svc.store_rows(f"SELECT Count, Scale, PositiveOffset, PositiveBucketCounts, Max FROM {name}") == [
            (4, 3, -2, [1, 3], 4.0)]
    assert svc.store_rows("SELECT ValueAtQuantiles.Quantile, ValueAtQuantiles.Value FROM otel_metrics_summary") == [
        ([0.5, 0.99], [0.2, 0.9])]


def test_grafana_ad_hoc_filters(seeded: tuple[RunningService, dict[str, str]]) -> None:
    svc, _ = seeded
    for table in ("otel_logs", "tailhouse.otel_logs"):
        rows = svc.store_rows("SELECT Body FROM \"tailhouse\".\"otel_logs\" "
                              f"settings additional_table_filters={{'{table}' : ' SeverityText = \\'ERROR\\' '}}")
        assert len(rows) == 1 and "bank timeout" in rows[0][0]
    rows = svc.store_rows("SELECT SpanName FROM otel_traces settings additional_table_filters="
                          "{'otel_traces' : ' ServiceName = \\'nobody\\' '}")
    assert rows == []
