"""`tailhouse report …`: the canned answers an on-call engineer wants, as readable tables.

Each report is SQL over `events` (so it works the same on chDB and on a server) plus a renderer.
A report returns `Table`s; `render` turns them into aligned text. Queries run through a
`QueryRunner` (the running service's admin endpoint, or a direct client when none runs), which
returns rows as dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from tailhouse.pipeline.rules.importance import OK_OUTCOME, SERVER_ERROR_STATUS
from tailhouse.pipeline.rules.severity import ERROR_SEVERITY, level_floor, level_names, severity_name_sql
from tailhouse.pipeline.rules.sql import sql_string

QueryRunner = Callable[[str], list[dict[str, object]]]

# What counts as an error row, across spans, logs and Workers invocations (thresholds: the shared rules).
ERROR_CONDITION = (
    f"(status_code = 'Error' OR severity_number >= {ERROR_SEVERITY} OR http_status_code >= {SERVER_ERROR_STATUS} "
    f"OR outcome NOT IN ('', '{OK_OUTCOME}'))"
)
MAX_CELL = 100


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    empty_note: str = "(nothing)"


@dataclass(frozen=True)
class ReportOptions:
    since_seconds: float
    service: str = ""
    level: str = ""      # recent: minimum level
    search: str = ""     # recent: text in the body or message
    limit: int = 50



def _where(opts: ReportOptions, *extra: str) -> str:
    parts = [f"timestamp >= now64(9) - toIntervalSecond({int(opts.since_seconds)})"]
    if opts.service:
        parts.append(f"service_name = {sql_string(opts.service)}")
    parts += [e for e in extra if e]
    return " AND ".join(parts)


def _level_expr() -> str:
    # OTLP logs carry severity_number; Workers console logs may only carry a level name.
    return f"if(severity_text != '', severity_text, {severity_name_sql('severity_number')})"


def recent(run: QueryRunner, opts: ReportOptions) -> list[Table]:
    """Recent log lines, newest first, with an optional minimum level and text search."""
    extra = ["event_type = 'log'"]
    if opts.level:
        minimum = level_floor(opts.level)
        names = level_names(minimum)
        extra.append(f"(severity_number >= {minimum} OR upper(severity_text) IN ({', '.join(map(sql_string, names))}))")
    if opts.search:
        extra.append(f"(positionCaseInsensitiveUTF8(body, {sql_string(opts.search)}) > 0 "
                     f"OR positionCaseInsensitiveUTF8(exception_message, {sql_string(opts.search)}) > 0)")
    rows = run(
        f"SELECT formatDateTime(timestamp, '%Y-%m-%d %H:%i:%S') AS time, service_name AS service, "
        f"{_level_expr()} AS level, if(body != '', body, exception_message) AS message, trace_id "
        f"FROM events WHERE {_where(opts, *extra)} ORDER BY timestamp DESC LIMIT {int(opts.limit)}"
    )
    title = "Recent logs" + (f" (level ≥ {opts.level})" if opts.level else "") + (
        f" matching {opts.search!r}" if opts.search else "")
    return [Table(title, ["time", "service", "level", "message", "trace_id"],
                  [[r["time"], r["service"], r["level"], r["message"], r["trace_id"]] for r in rows])]


def errors(run: QueryRunner, opts: ReportOptions) -> list[Table]:
    """Error summary (grouped by service, kind and message) and error counts over time."""
    where = _where(opts, "event_type != 'metric'", ERROR_CONDITION)
    kind = ("multiIf(exception_type != '', exception_type, status_code = 'Error', 'span error', "
            f"http_status_code >= {SERVER_ERROR_STATUS}, concat('HTTP ', toString(http_status_code)), "
            f"outcome NOT IN ('', '{OK_OUTCOME}', 'error'), toString(outcome), concat(event_type, ' error'))")
    message = "substring(multiIf(exception_message != '', exception_message, status_message != '', status_message, body), 1, 200)"
    summary = run(
        f"SELECT service_name AS service, {kind} AS kind, {message} AS message, count() AS count, "
        f"formatDateTime(min(timestamp), '%Y-%m-%d %H:%i:%S') AS first_seen, "
        f"formatDateTime(max(timestamp), '%Y-%m-%d %H:%i:%S') AS last_seen "
        f"FROM events WHERE {where} GROUP BY service, kind, message ORDER BY count DESC, last_seen DESC "
        f"LIMIT {int(opts.limit)}"
    )
    # 12 buckets over the window, so the trend reads the same for 15m and 7d.
    bucket = max(60, int(opts.since_seconds // 12))
    trend = run(
        f"SELECT formatDateTime(toStartOfInterval(timestamp, toIntervalSecond({bucket})), '%Y-%m-%d %H:%i') AS period, "
        f"count() AS errors, uniqExact(service_name) AS services "
        f"FROM events WHERE {where} GROUP BY period ORDER BY period"
    )
    peak = max((int(r["errors"]) for r in trend), default=0)  # type: ignore[call-overload]
    return [
        Table("Error summary", ["service", "kind", "message", "count", "first_seen", "last_seen"],
              [[r["service"], r["kind"], r["message"], r["count"], r["first_seen"], r["last_seen"]] for r in summary],
              "(no errors)"),
        Table(f"Error trend (per {_duration_text(bucket)})", ["period", "errors", "services", ""],
              [[r["period"], r["errors"], r["services"], _bar(int(r["errors"]), peak)] for r in trend],  # type: ignore[call-overload]
              "(no errors)"),
    ]


def performance(run: QueryRunner, opts: ReportOptions) -> list[Table]:
    """p50/p95/p99 latency by service and endpoint (entry spans and Workers invocations)."""
    # Entry points only: server/consumer spans, root spans, Workers invocations. Internal child
    # spans would otherwise crowd out the endpoints a user calls.
    entry = ("((event_type = 'span' AND (span_kind IN ('Server', 'Consumer') OR parent_span_id = '')) "
             "OR event_type = 'tail') AND duration_ns > 0")
    endpoint = "if(http_path != '', concat(if(http_method != '', concat(http_method, ' '), ''), http_path), event_name)"
    rows = run(
        f"SELECT service_name AS service, {endpoint} AS endpoint, count() AS requests, "
        f"round(100 * countIf({ERROR_CONDITION}) / count(), 1) AS error_pct, "
        f"arrayMap(q -> round(q / 1e6, 1), quantiles(0.5, 0.95, 0.99)(duration_ns)) AS q "
        f"FROM events WHERE {_where(opts, entry)} GROUP BY service, endpoint "
        f"ORDER BY q[3] DESC LIMIT {int(opts.limit)}"
    )
    return [Table("Latency by service and endpoint (ms)",
                  ["service", "endpoint", "requests", "errors %", "p50", "p95", "p99"],
                  [[r["service"], r["endpoint"], r["requests"], r["error_pct"], *r["q"]] for r in rows])]  # type: ignore[list-item]


def alerts(run: QueryRunner, opts: ReportOptions) -> list[Table]:
    """Critical events (importance 0), newest first."""
    what = ("multiIf(exception_type != '', concat(exception_type, ': ', exception_message), "
            "status_message != '', status_message, body != '', body, event_name)")
    rows = run(
        f"SELECT formatDateTime(timestamp, '%Y-%m-%d %H:%i:%S') AS time, event_type AS type, service_name AS service, "
        f"outcome, substring({what}, 1, 200) AS what, trace_id "
        f"FROM events WHERE {_where(opts, 'importance = 0')} ORDER BY timestamp DESC LIMIT {int(opts.limit)}"
    )
    return [Table("Critical events", ["time", "type", "service", "outcome", "what", "trace_id"],
                  [[r["time"], r["type"], r["service"], r["outcome"], r["what"], r["trace_id"]] for r in rows],
                  "(no critical events)")]


REPORTS: dict[str, Callable[[QueryRunner, ReportOptions], list[Table]]] = {
    "recent": recent,
    "errors": errors,
    "performance": performance,
    "alerts": alerts,
}


def _bar(n: int, peak: int, width: int = 30) -> str:
    return "█" * max(1, round(width * n / peak)) if peak and n else ""


def _duration_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())  # one line per row: newlines in log bodies would break the table
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def render(tables: list[Table]) -> str:
    """Aligned plain-text tables with a title line each."""
    out: list[str] = []
    for t in tables:
        out.append(f"== {t.title} ==")
        if not t.rows:
            out += [t.empty_note, ""]
            continue
        cells = [[_cell(v) for v in row] for row in t.rows]
        widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(t.headers)]
        out.append("  ".join(h.ljust(w) for h, w in zip(t.headers, widths)).rstrip())
        out.append("  ".join("-" * w for w in widths))
        out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
        out.append("")
    return "\n".join(out)


def render_json(tables: list[Table]) -> str:
    """The same tables as JSON (for scripts)."""
    return json.dumps([{"title": t.title, "rows": [dict(zip(t.headers, r)) for r in t.rows]} for t in tables],
                      default=str, indent=2)


def parse_json_each_row(data: bytes) -> list[dict[str, object]]:
    """Rows of ClickHouse JSONEachRow output."""
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]
