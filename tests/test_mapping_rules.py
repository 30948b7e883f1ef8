"""The shared mapping rules (tailhouse.pipeline.rules): SQL and Python give the same answers.

Each rule table has a Python function and a SQL generator. Here the SQL is evaluated by chDB and
compared with the Python over a grid of inputs: severity names and importance, importance per kind
of row, host and path of a URL, the status number, and the HTTP/correlation columns. The last
ones go through the real mapping views (an OTLP request inserted into the landing tables of a
migrated schema), and are compared with the Python rule as the live tail and the Workers tail
mapper apply it, so the views, the live tail and the tail mapper are checked, not only the table.
"""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tailhouse.collector import reports
from tailhouse.collector.live.events import decode
from tailhouse.collector.live.filters import FilterError, TailFilter
from tailhouse.collector.tail.mapping import MappingOptions, TailMapper
from tailhouse.exporters.clickhouse.otlp_views import (
    MIGRATION_4_VIEW_SELECTS, VIEW_SELECTS, logs_view_select, traces_view_select,
)
from tailhouse.exporters.otlp.tail_logs import tail_rows_to_logs_request
from tailhouse.pipeline.rules.http import (
    HTTP_COLUMNS, LEGACY_URL_PARTS_SQL, RULES, URL_PARTS_SQL, column_sql, columns_from, status_number, url_host,
    url_path,
)
from tailhouse.pipeline.rules.importance import FACTS, IMPORTANCE, Facts, importance_of, importance_sql, span_outcome
from tailhouse.pipeline.rules.severity import (
    LEVELS, implied_severity, importance_of_severity, importance_of_severity_sql, level_floor, level_names,
    severity_at_least_sql, severity_name, severity_name_sql, severity_outcome,
)

# In a child process: chDB runs one engine per process, and the test workers have their own.
EVALUATE = r"""
import json, sys, tempfile, clickhouse_connect
client = clickhouse_connect.get_client(dsn=f"chdb://{tempfile.mkdtemp()}")
queries = json.loads(sys.stdin.read())
print(json.dumps([[list(r) for r in client.query(q).result_rows] for q in queries], default=str))
"""


def evaluate(*queries: str) -> list[list[list[Any]]]:
    """The rows of each query, as chDB returns them."""
    out = subprocess.run([sys.executable, "-c", EVALUATE], input=json.dumps(queries), capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def string_array(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values) + "]"


# ---- severity ----------------------------------------------------------------------------------

def test_sql_and_python_agree_on_every_severity() -> None:
    sql = (f"SELECT n, {importance_of_severity_sql('n')}, {severity_name_sql('n')} "
           "FROM (SELECT toUInt8(number) AS n FROM numbers(40))")
    rows = evaluate(sql)[0]
    assert {int(n): (int(i), name) for n, i, name in rows} == {
        n: (importance_of_severity(n), severity_name(n)) for n in range(40)}
    by_sql = {int(n): int(i) for n, i, _ in rows}
    assert [by_sql[n] for n in (24, 21, 20, 17, 16, 13, 12, 9, 1, 0)] == [0, 0, 1, 1, 2, 2, 3, 3, 3, 3]
    # the OpenTelemetry log data model's ranges: four numbers per level, 0 unspecified
    assert [severity_name(n) for n in (0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24)] == [
        "", "TRACE", "TRACE", "DEBUG", "DEBUG", "INFO", "INFO", "WARN", "WARN", "ERROR", "ERROR", "FATAL", "FATAL"]


def test_the_logs_view_uses_the_shared_rule() -> None:
    lines = [line.strip().rstrip(",") for line in logs_view_select("tailhouse").splitlines()]
    severity = next(line for line in lines if line.endswith(" AS severity_number")).removesuffix(" AS severity_number")
    assert f"{importance_of_severity_sql(severity)} AS importance" in lines


def test_level_names_and_floors() -> None:
    assert LEVELS == {"trace": 1, "debug": 5, "info": 9, "warn": 13, "warning": 13, "error": 17, "fatal": 21}
    assert level_floor("Warning") == level_floor("WARN") == 13
    with pytest.raises(KeyError, match="level 'loud': expected one of trace, debug, info, warn, error, fatal"):
        level_floor("loud")
    assert level_names(13) == ["WARN", "ERROR", "FATAL", "WARNING"]
    assert level_names(17) == ["ERROR", "FATAL"]
    assert [severity_outcome(n) for n in (0, 16, 17, 24)] == ["ok", "ok", "error", "error"]


def test_reports_and_live_tail_read_the_shared_levels() -> None:
    # the reports' level column: the severity_text as sent, else the name of the number's range
    assert reports._level_expr() == f"if(severity_text != '', severity_text, {severity_name_sql('severity_number')})"
    assert "severity_number >= 17 OR http_status_code >= 500" in reports.ERROR_CONDITION
    for name, floor in LEVELS.items():
        f = TailFilter.parse({"level": name})
        assert f.level == floor and f.to_sql() == severity_at_least_sql(floor)
    with pytest.raises(FilterError, match="level 'loud'"):
        TailFilter.parse({"level": "loud"})


def test_sql_and_python_agree_on_the_implied_severity_of_every_row() -> None:
    """`--level` selects stored rows (`--since`, SQL) as it selects live ones (Python): a span or
    metric point, stored with severity 0, reads as its implied level in both."""
    rows = [(t, s, n) for t in ("span", "log", "metric", "tail") for s in ("", "Unset", "Ok", "Error")
            for n in (0, 1, 9, 12, 13, 17, 21, 24)]
    values = ", ".join(f"('{t}', '{s}', {n})" for t, s, n in rows)
    levels = list(range(1, 26))
    sql = (f"SELECT {', '.join(f'toUInt8({severity_at_least_sql(level)})' for level in levels)} FROM "
           f"(SELECT tupleElement(x, 1) AS event_type, tupleElement(x, 2) AS status_code, "
           f"tupleElement(x, 3) AS severity_number FROM (SELECT arrayJoin([{values}]) AS x))")
    got = evaluate(sql)[0]
    assert [[bool(v) for v in r] for r in got] == [[implied_severity(t, s, n) >= level for level in levels]
                                                   for t, s, n in rows]
    assert implied_severity("span", "Error", 0) == 17 and implied_severity("metric", "", 0) == 9
    assert implied_severity("log", "Error", 5) == 5


# ---- importance per kind of row --------------------------------------------------------------

HTTP_STATUSES = (0, 200, 404, 499, 500, 503, 599, 600)
OUTCOMES = ("ok", "exception", "exceededCpu", "exceededMemory", "canceled", "unknown")


def _grid() -> list[Facts]:
    return [Facts(span_status=s, http_status=h, outcome=o, exceptions=e, max_log_severity=n)
            for s, h, o, e, n in itertools.product((0, 1, 2), HTTP_STATUSES, OUTCOMES, (0, 1),
                                                    (0, 9, 12, 13, 16, 17, 21, 24))]


def test_sql_and_python_agree_on_importance_of_every_kind() -> None:
    grid = _grid()
    inputs = dict(span_status="s", http_status="h", outcome="o", exceptions="e", max_log_severity="n")
    rows = "[" + ", ".join(f"({f.span_status}, {f.http_status}, '{f.outcome}', {f.exceptions}, {f.max_log_severity})"
                           for f in grid) + "]"
    kinds = sorted(IMPORTANCE)
    sql = (f"SELECT {', '.join(importance_sql(k, **inputs) for k in kinds)} FROM (SELECT "
           "tupleElement(t, 1) AS s, tupleElement(t, 2) AS h, tupleElement(t, 3) AS o, tupleElement(t, 4) AS e, "
           f"tupleElement(t, 5) AS n FROM (SELECT arrayJoin({rows}) AS t))")
    got = evaluate(sql)[0]
    assert len(got) == len(grid)
    for facts, row in zip(grid, got, strict=True):
        assert [int(v) for v in row] == [importance_of(k, facts) for k in kinds], facts


def test_the_importance_table_says_what_the_design_says() -> None:
    assert all(arm.when in FACTS for rule in IMPORTANCE.values() for arm in rule.arms)
    # a span: Error or 5xx → HIGH, never CRITICAL
    assert importance_of("span", Facts(span_status=2)) == importance_of("span", Facts(http_status=503)) == 1
    assert importance_of("span", Facts(span_status=1, http_status=404)) == 3
    # a Workers invocation: any exception or non-ok outcome → CRITICAL; error log or 5xx → HIGH; warn → NORMAL
    assert importance_of("invocation", Facts(outcome="canceled")) == 0
    assert importance_of("invocation", Facts(outcome="ok", exceptions=1)) == 0
    assert importance_of("invocation", Facts(outcome="ok", http_status=500)) == 1
    assert importance_of("invocation", Facts(outcome="ok", max_log_severity=21)) == 1  # at most HIGH
    assert importance_of("invocation", Facts(outcome="ok", max_log_severity=13)) == 2
    assert importance_of("invocation", Facts(outcome="ok", max_log_severity=12)) == 3
    assert importance_of("exception", Facts()) == 0 and importance_of("metric", Facts()) == 3


def test_the_views_render_the_importance_and_outcome_rules() -> None:
    traces = traces_view_select("tailhouse")
    assert "if(it.status.code = 2 OR http_status_code >= 500, 1, 3) AS importance" in traces
    assert f"{importance_sql('span', span_status='it.status.code', http_status='http_status_code')} AS importance" \
        in traces
    assert "if(it.status.code = 2, 'error', 'ok')) AS outcome" in traces
    assert [span_outcome(s) for s in (0, 1, 2)] == ["ok", "ok", "error"]
    assert "if(least(it.severity_number, 255) >= 17, 'error', 'ok')) AS outcome" in logs_view_select("tailhouse")
    assert "  3 AS importance," in VIEW_SELECTS["otlp_metrics_mv"]("tailhouse")


# ---- parts of a URL, the status number ---------------------------------------------------------

URLS = [
    "https://shop.example/cart?x=1#top", "https://A.Example:8443/x/y?q=1#f", "http://user:pw@h.example/p",
    "http://localhost:8787/x", "http://payments:8080/charge", "https://[::1]:80/v", "https://user@[2001:db8::1]/",
    "http://127.0.0.1:8080/a", "https://a.com", "https://a.com?x", "https://h#frag", "//h/p", "/p?q=1", "p/q",
    "a.com/x", "", "*", "/", "HTTPS://H/P", "https://a.com:/z", "http://a@b@c/d", "http://[::1", "é://ü/ö?x",
    "https://h/%20a b", "mailto:x@y", "http:/x", "https://h/p;x?y",
]


def test_sql_and_python_agree_on_host_and_path_of_any_text() -> None:
    rnd = random.Random(11)
    alphabet = "ab:/?#@[]. %é\n1"
    texts = URLS + ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 16))) for _ in range(3000)]
    sql = (f"SELECT {URL_PARTS_SQL['host'].format('u')}, {URL_PARTS_SQL['path'].format('u')} "
           f"FROM (SELECT arrayJoin({string_array(texts)}) AS u)")
    got = [tuple(r) for r in evaluate(sql)[0]]
    assert got == [(url_host(t), url_path(t)) for t in texts]


def test_host_and_path_follow_the_url_syntax() -> None:
    cases = {
        "https://A.Example:8443/x/y?q=1#f": ("A.Example", "/x/y"),
        "http://user:pw@h.example/p": ("h.example", "/p"),
        "http://localhost:8787/x": ("localhost", "/x"),
        "http://payments:8080/charge": ("payments", "/charge"),
        "https://[::1]:80/v": ("::1", "/v"),
        "https://a.com": ("a.com", ""),
        "/p?q=1": ("", "/p"),
    }
    assert {u: (url_host(u), url_path(u)) for u in cases} == cases


def test_status_number_is_to_uint16_or_zero() -> None:
    texts = ["200", " 200", "200 ", "70000", "65535", "65536", "-1", "-0", "+0", "+5", "+", "200.0", "0x10", "1e2", "",
             "abc", "0200", "99999999999999999999", "00000000000000000000065535", "+-1", "1_0", "٣"]
    got = evaluate(f"SELECT toUInt16OrZero(s) FROM (SELECT arrayJoin({string_array(texts)}) AS s)")[0]
    assert [int(r[0]) for r in got] == [status_number(t) for t in texts]


def test_legacy_url_parts_render_migration_4_as_released() -> None:
    # released migration 4 keeps ClickHouse's domain()/path(); migration 5 installs the shared rule
    for view in ("otlp_traces_mv", "otlp_logs_mv"):
        old, new = MIGRATION_4_VIEW_SELECTS[view]("db"), VIEW_SELECTS[view]("db")
        assert "domain(if(has(ak, 'url.full')" in old and "domain(" not in new
        assert old.replace(column_sql("http_host", "ak", "av", _cf, LEGACY_URL_PARTS_SQL), "H").replace(
            column_sql("http_path", "ak", "av", _cf, LEGACY_URL_PARTS_SQL), "P") == new.replace(
            column_sql("http_host", "ak", "av", _cf, URL_PARTS_SQL), "H").replace(
            column_sql("http_path", "ak", "av", _cf, URL_PARTS_SQL), "P")
    assert MIGRATION_4_VIEW_SELECTS["otlp_metrics_mv"]("db") == VIEW_SELECTS["otlp_metrics_mv"]("db")


def _cf(name: str) -> str:
    return f"cf_vals[indexOf(cf_keys, 'cloudflare.{name}')]"


# ---- HTTP columns through the real views -------------------------------------------------------

VALUES = {
    "http.request.method": "POST", "http.method": "GET", "url.full": "https://new.example/full/p?q=1",
    "http.url": "http://old.example:8080/old/p", "server.address": "server.example", "http.host": "host.example:81",
    "url.path": "/url-path", "http.target": "/target/t?q=2", "http.route": "/route/{id}",
    "http.response.status_code": 503, "http.status_code": "404", "user_agent.original": "ua-new",
    "http.user_agent": "ua-old", "correlation_id": "c-1", "correlation.id": "c-2", "request_id": "r-1",
    "http.request.id": "r-2", "request.id": "r-3", "session.id": "s-1", "session_id": "s-2",
}
STATUS_TEXTS = ["200", "0200", "+5", "70000", "abc", "-1", "", " 200"]


def attribute_grid() -> list[dict[str, str | int]]:
    """Every subset of every column's keys; a present key with an empty value; odd URLs and statuses."""
    grid: list[dict[str, str | int]] = [{}]
    for rule in HTTP_COLUMNS:
        names = [k.name for k in rule.keys]
        for n in range(1, len(names) + 1):
            for subset in itertools.combinations(names, n):
                grid.append({k: VALUES[k] for k in subset})
        for i, name in enumerate(names[:-1]):  # present but empty still wins over the keys after it
            grid.append({name: "", **{k: VALUES[k] for k in names[i + 1:]}})
    for url in URLS:
        grid.append({"url.full": url})
        grid.append({"http.url": url, "http.route": "/r"})
        grid.append({"http.target": url})
    for text in STATUS_TEXTS:
        grid.append({"http.status_code": text})
    for status in (0, 200, 499, 500, 599, 65535, 65536, -1):
        grid.append({"http.response.status_code": status})
    return grid


def _kv(key: str, value: str | int) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value))


# Resource variants: none with a ray id, one with it; items with their own ray id every third row.
RESOURCES = [{"service.name": "plain"}, {"service.name": "edge", "cloudflare.ray_id": "res-ray"}]


def build_requests(grid: list[dict[str, str | int]]) -> tuple[bytes, bytes]:
    traces, logs = ExportTraceServiceRequest(), ExportLogsServiceRequest()
    for resource in RESOURCES:
        rs, rl = traces.resource_spans.add(), logs.resource_logs.add()
        for r in (rs.resource, rl.resource):
            r.attributes.extend(_kv(k, v) for k, v in resource.items())
        spans, records = rs.scope_spans.add().spans, rl.scope_logs.add().log_records
        for i, attrs in enumerate(grid):
            own = {**attrs, **({"cloudflare.ray_id": "own-ray"} if i % 3 == 0 else {})}
            sp = spans.add(trace_id=(i + 1).to_bytes(16, "big"), span_id=(i + 1).to_bytes(8, "big"), name=f"g{i}",
                           start_time_unix_nano=1_700_000_000_000_000_000 + i, end_time_unix_nano=1_700_000_000_000_001_000)
            sp.status.code = i % 3  # type: ignore[assignment]
            sp.attributes.extend(_kv(k, v) for k, v in own.items())
            rec = records.add(time_unix_nano=1_700_000_000_000_000_000 + i, severity_number=i % 25,  # type: ignore[arg-type]
                              event_name=f"g{i}")
            rec.body.string_value = "x"
            rec.attributes.extend(_kv(k, v) for k, v in own.items())
    return traces.SerializeToString(), logs.SerializeToString()


def tail_items() -> list[dict[str, Any]]:
    items = []
    for i, url in enumerate(["https://shop.example.com/v1/orders?page=2", "http://localhost:8787/dev",
                             "http://[::1]:8787/v6", "https://user:pw@api.example/p", "https://bare.example"]):
        items.append({
            "scriptName": "shop", "outcome": "ok", "eventTimestamp": 1_795_347_406_000 + i, "wallTime": 3, "cpuTime": 1,
            "event": {"request": {"url": url, "method": "PATCH", "headers": {"user-agent": "curl/8",
                                                                             "cf-ray": f"ray{i}-AMS"}},
                      "response": {"status": 201 + i * 100}},
            "logs": [{"level": "log", "message": ["hi"], "timestamp": 1_795_347_406_001 + i}], "exceptions": [],
        })
    return items


MIGRATED = r"""
import json, pathlib, sys
import clickhouse_connect
from tailhouse.pipeline.signals import Signal, otlp_kind
from tailhouse.exporters.clickhouse import migrations
from tailhouse.exporters.clickhouse.ddl import Placement
from tailhouse.exporters.clickhouse.events_table import TableOptions
from tailhouse.exporters.clickhouse.exporter import LANDING_TARGETS, insert_settings_for
from tailhouse.exporters.clickhouse.landing_schema import with_schema_file

path = pathlib.Path(sys.argv[1])
traces, logs, tail_logs, localhost = (bytes.fromhex(x) for x in json.loads(sys.stdin.read()))
client = clickhouse_connect.get_client(dsn='chdb://' + str(path))

def insert(db, signal, request):
    target = LANDING_TARGETS[otlp_kind(Signal(signal))]
    body = target.frame([request])
    settings = with_schema_file(insert_settings_for(target, body), path / 'format_schemas')
    client.raw_insert(f'{db}.{target.table}', None, body, settings, target.fmt)

COLS = ("event_type, event_name, service_name, http_method, http_url, http_host, http_path, http_status_code, "
        "user_agent, correlation_id, request_id, session_id, importance, outcome, toString(timestamp)")
out = {}
migrations.migrate(client, 'cur', TableOptions())
insert('cur', 'traces', traces)
insert('cur', 'logs', logs)
insert('cur', 'logs', tail_logs)
out['rows'] = client.query(f"SELECT {COLS} FROM cur.events ORDER BY event_type, service_name, event_name").result_rows

# An older store: migrations 1-4, then 5 as an upgrade in place (ALTER ... MODIFY QUERY).
for stmt in migrations.schema_statements('old', TableOptions(), up_to=4):
    client.command(stmt)
insert('old', 'traces', localhost)
five = next(m for m in migrations.MIGRATIONS if m.version == 5)
for stmt in five.statements(Placement('old'), TableOptions()):
    client.command(stmt)
insert('old', 'traces', localhost.replace(b'before', b'after!'))
out['upgrade'] = client.query("SELECT event_name, http_host FROM old.events ORDER BY event_name").result_rows
print(json.dumps(out, default=str))
"""

COLUMNS = ["event_type", "event_name", "service_name", "http_method", "http_url", "http_host", "http_path",
           "http_status_code", "user_agent", "correlation_id", "request_id", "session_id", "importance", "outcome",
           "timestamp"]


def _localhost_span() -> bytes:
    req = ExportTraceServiceRequest()
    span = req.resource_spans.add().scope_spans.add().spans.add(
        trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="before", start_time_unix_nano=1_700_000_000_000_000_000)
    span.attributes.append(_kv("url.full", "http://localhost:8787/x"))
    return req.SerializeToString()


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Rows the real views stored for the attribute grid (spans, logs), the forwarded tail rows,
    and a store upgraded from migration 4 to 5."""
    grid = attribute_grid()
    traces, logs = build_requests(grid)
    mapper = TailMapper(MappingOptions())
    tail_rows = [row for item in tail_items() for row in mapper.rows(item, 1_795_347_407_000.0)]
    payload = "\n".join(json.dumps(r) for r in tail_rows).encode()
    forwarded = tail_rows_to_logs_request([payload])
    path = tmp_path_factory.mktemp("rules") / "ch"
    out = subprocess.run([sys.executable, "-c", MIGRATED, str(path)], capture_output=True, text=True, timeout=300,
                         input=json.dumps([traces.hex(), logs.hex(), forwarded.hex(), _localhost_span().hex()]))
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    rows = [dict(zip(COLUMNS, r)) for r in result["rows"]]
    return {"grid": grid, "traces": traces, "logs": logs, "tail_rows": tail_rows, "rows": rows,
            "upgrade": result["upgrade"]}


def _text(value: str | int) -> str:
    return str(value)


def _expected(attrs: dict[str, str | int], i: int, resource: dict[str, str]) -> dict[str, Any]:
    own = {k: _text(v) for k, v in attrs.items()}
    if i % 3 == 0:
        own["cloudflare.ray_id"] = "own-ray"
    return dict(columns_from(own, resource))


def test_the_views_fill_http_columns_by_the_shared_rule(stored: dict[str, Any]) -> None:
    grid = stored["grid"]
    by_key = {(r["event_type"], r["service_name"], r["event_name"]): r for r in stored["rows"] if r["event_name"][:1] == "g"}
    assert len(by_key) == 2 * 2 * len(grid) > 400
    checked = 0
    for resource in RESOURCES:
        for i, attrs in enumerate(grid):
            want = _expected(attrs, i, resource)
            for kind in ("span", "log"):
                row = by_key[(kind, resource["service.name"], f"g{i}")]
                got = {c: row[c] for c in want}
                got["http_status_code"] = int(got["http_status_code"])
                assert got == want, (kind, resource, attrs)
                checked += 1
            span = by_key[("span", resource["service.name"], f"g{i}")]
            status = int(span["http_status_code"])
            assert int(span["importance"]) == importance_of("span", Facts(span_status=i % 3, http_status=status))
            assert span["outcome"] == span_outcome(i % 3)
            log = by_key[("log", resource["service.name"], f"g{i}")]
            assert (int(log["importance"]), log["outcome"]) == (importance_of_severity(i % 25), severity_outcome(i % 25))
    assert checked == 4 * len(grid)


def test_the_grid_shows_each_precedence(stored: dict[str, Any]) -> None:
    """Spot checks of what the rule says, so the agreement above is about the intended rule."""
    assert columns_from({"http.method": "GET", "http.request.method": "POST"})["http_method"] == "POST"
    assert columns_from({"http.url": "u1", "url.full": "u2"})["http_url"] == "u2"
    assert columns_from({"url.full": "http://localhost:1/p"})["http_host"] == "localhost"
    assert columns_from({"http.host": "h", "url.full": "http://x.example/"})["http_host"] == "h"
    paths = {"url.path": "/a", "http.target": "/b?q", "http.route": "/c/{id}", "url.full": "https://h/d"}
    for drop, want in (("", "/a"), ("url.path", "/b"), ("http.target", "/c/{id}"), ("http.route", "/d")):
        paths.pop(drop, None)
        assert columns_from(paths)["http_path"] == want
    assert columns_from({"http.status_code": "404", "http.response.status_code": "503"})["http_status_code"] == 503
    assert columns_from({"request.id": ""}, {"cloudflare.ray_id": "r"})["request_id"] == ""  # present wins
    assert columns_from({}, {"cloudflare.ray_id": "r"})["request_id"] == "r"
    assert [r.stable_key for r in HTTP_COLUMNS[:5]] == [
        "http.request.method", "url.full", "server.address", "url.path", "http.response.status_code"]
    assert RULES["http_path"].keys[1].part == "path"


def test_the_live_tail_fills_the_same_http_columns_as_the_views(stored: dict[str, Any]) -> None:
    by_key = {(r["event_type"], r["service_name"], r["event_name"]): r for r in stored["rows"]}
    for kind, payload in (("otlp_traces", stored["traces"]), ("otlp_logs", stored["logs"])):
        events = decode(kind, payload)
        assert len(events) == 2 * len(stored["grid"])
        for ev in events:
            row = by_key[(ev["event_type"], ev["service_name"], ev["event_name"])]
            assert (ev["http_method"], ev["http_url"], ev["http_status_code"]) == (
                row["http_method"], row["http_url"], int(row["http_status_code"])), ev["event_name"]


def test_a_forwarded_tail_event_maps_back_to_the_same_columns(stored: dict[str, Any]) -> None:
    """Tail rows → OTLP logs (the forwarding exporter) → the logs view: the HTTP columns and the
    request id come back as the tail mapper derived them, by the same rule on both sides."""
    back = {(r["timestamp"], r["event_name"]): r for r in stored["rows"] if r["service_name"] == "shop"}
    columns = ("http_method", "http_url", "http_host", "http_path", "http_status_code", "user_agent", "request_id")
    assert len(stored["tail_rows"]) == 10
    seen_hosts = set()
    for row in stored["tail_rows"]:
        stored_row = back[(row["timestamp"].replace("T", " ").rstrip("Z"), row["event_name"])]
        assert {c: stored_row[c] for c in columns} == {c: (str(row[c]) if c != "http_status_code" else row[c])
                                                      for c in columns}, row["event_name"]
        seen_hosts.add(row["http_host"])
    assert seen_hosts == {"shop.example.com", "localhost", "::1", "api.example", "bare.example"}


def test_migration_5_fills_the_host_migration_4_left_empty(stored: dict[str, Any]) -> None:
    # ClickHouse's domain() reads '' for a host without a dot; the shared rule reads `localhost`
    assert stored["upgrade"] == [["after!", "localhost"], ["before", ""]]


def test_the_released_worker_aggregate_counts_errors_as_the_table_does() -> None:
    """Migration 2's endpoint aggregate is static SQL (released, so it stays as it is); it must keep
    agreeing with the table's thresholds."""
    from importlib.resources import files

    from tailhouse.pipeline.rules.importance import OK_OUTCOME, SERVER_ERROR_STATUS

    sql = files("tailhouse.exporters.clickhouse").joinpath("sql/worker_endpoint_hourly_mv.sql").read_text()
    assert f"outcome != '{OK_OUTCOME}' OR http_status_code >= {SERVER_ERROR_STATUS}" in sql
