"""`tailhouse tail`: follow the live events of a running service (GET /tail on its admin endpoint).

With `--since`, stored events of that window are printed first (a query through the admin
endpoint's /query, with the same filters as SQL), then the live stream follows. The stream is
opened before the query runs, so nothing accepted in between is missed; an event accepted in
that instant may show twice.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any

from tailhouse.pipeline.rules.severity import implied_severity, severity_name

from ..admin_client import error_detail, post_query
from ..reports import parse_json_each_row
from .events import LIVE_COLUMNS, live_type
from .filters import FilterError, TailFilter

EXIT_CUT = 3

_COLOURS = {"FATAL": "\033[1;31m", "ERROR": "\033[31m", "WARN": "\033[33m", "INFO": "\033[32m",
            "DEBUG": "\033[2m", "TRACE": "\033[2m"}
_RESET = "\033[0m"


def level_name(ev: dict[str, Any]) -> str:
    # a stored span or metric point (`--since`) reads as the live one does
    n = implied_severity(str(ev.get("event_type") or ""), str(ev.get("status_code") or ""),
                         int(ev.get("severity_number") or 0))
    if n <= 0:
        return str(ev.get("severity_text") or "-").upper()[:5]
    return severity_name(n)


def pretty(ev: dict[str, Any], colour: bool) -> str:
    """One readable line: time, level, type, service, name, detail, short trace id."""
    ts = str(ev.get("timestamp") or "")
    clock = ts.replace("T", " ").split(" ")[-1].rstrip("Z")[:12] if ts else "--:--:--.---"
    level = level_name(ev)
    kind = live_type(ev)
    detail = str(ev.get("body") or "")
    ms = int(ev.get("duration_ns") or 0) / 1e6
    if kind == "span":
        status = str(ev.get("status_code") or "")
        detail = " ".join(p for p in (f"{ms:.1f}ms", "" if status in ("", "Unset") else status, detail) if p)
    elif kind == "tail" and ms:
        detail = f"{detail} ({ms:.1f}ms)"
    elif kind == "metric":
        detail = f"{ev.get('value')} {ev.get('metric_unit') or ''}".rstrip()
    trace = str(ev.get("trace_id") or "")
    name = str(ev.get("event_name") or "")
    line = (f"{clock} {level:<5} {kind:<6} {ev.get('service_name') or '-'}{' ' + name if name else ''}"
            f"{': ' + detail if detail else ''}{'  trace=' + trace[:16] if trace.strip('0') else ''}")
    line = line.replace("\n", "⏎ ")
    return f"{_COLOURS.get(level, '')}{line}{_RESET}" if colour and level in _COLOURS else line


def since_sql(flt: TailFilter, seconds: float, limit: int) -> str:
    """The stored events of the last `seconds` that pass `flt`, oldest first."""
    cols = ", ".join(LIVE_COLUMNS)
    return (f"SELECT {cols} FROM (SELECT {cols} FROM events WHERE timestamp >= now64(9) - "
            f"toIntervalMillisecond({int(seconds * 1000)}) AND {flt.to_sql()} ORDER BY timestamp DESC LIMIT {limit}) "
            f"ORDER BY timestamp")


def _query_params(args: Any) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for name in ("service", "level", "trace", "grep", "where"):
        value = getattr(args, name, None)
        if value:
            params[name] = [value]
    if args.type:
        params["type"] = list(args.type)
    if args.topic:
        params["topic"] = list(args.topic)
    return params


class _Stream(threading.Thread):
    """Reads the SSE stream into a queue: ("event", dict), ("notice", text), ("cut", text), ("end", text)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, headers
        self.items: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.ready = threading.Event()
        self.error = ""

    def run(self) -> None:
        try:
            req = urllib.request.Request(self.url, headers={"Accept": "text/event-stream", **self.headers})
            with urllib.request.urlopen(req, timeout=None) as resp:
                self.ready.set()
                kind = "message"
                for raw in resp:
                    line = raw.decode("utf-8").rstrip("\r\n")
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        data = json.loads(line[6:])
                        if kind == "cut":
                            self.items.put(("cut", data.get("message", "")))
                        elif kind == "notice" or "notice" in data:
                            self.items.put(("notice", data.get("notice", "")))
                        else:
                            self.items.put(("event", data))
                    elif line == "":
                        kind = "message"
            self.items.put(("end", "the service closed the stream"))
        except urllib.error.HTTPError as exc:
            self.error = f"HTTP {exc.code}: {error_detail(exc)}"
            self.items.put(("end", self.error))
        except (urllib.error.URLError, OSError) as exc:
            self.error = f"cannot reach {self.url.split('/tail')[0]}: {exc}"
            self.items.put(("end", self.error))
        finally:
            self.ready.set()


def run_tail(admin_url: str, args: Any, out: IO[str] = sys.stdout, err: IO[str] = sys.stderr,
             headers: dict[str, str] | None = None) -> int:
    """Follow the live tail (after `--since` history); returns the exit code."""
    params = _query_params(args)
    try:
        flt = TailFilter.parse({k: v[0] for k, v in params.items()},
                               lambda name, default: params.get(name, default))
    except FilterError as exc:
        print(f"tailhouse tail: {exc}", file=err)
        return 2
    colour = args.format == "pretty" and out.isatty() and not os.environ.get("NO_COLOR")

    def show(ev: dict[str, Any]) -> None:
        if args.format == "json":
            out.write(json.dumps(ev, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
        else:
            out.write(pretty(ev, colour) + "\n")
        out.flush()

    url = f"{admin_url.rstrip('/')}/tail?" + urllib.parse.urlencode(params, doseq=True)
    stream = _Stream(url, headers or {})
    stream.start()
    stream.ready.wait(30)
    if args.since:
        try:
            rows = post_query(admin_url, headers or {}, since_sql(flt, args.since, args.limit), "JSONEachRow")
        except RuntimeError as exc:
            print(f"tailhouse tail: --since query failed: {exc}", file=err)
            return 1
        if rows is None:
            print(f"tailhouse tail: --since query failed: nothing answers at {admin_url}", file=err)
            return 1
        for row in parse_json_each_row(rows):
            show(row)
    try:
        while True:
            kind, item = stream.items.get()
            if kind == "event":
                show(item)
            elif kind == "notice":
                print(f"tailhouse tail: {item}", file=err)
            elif kind == "cut":
                print(f"tailhouse tail: {item}", file=err)
                return EXIT_CUT
            else:
                if stream.error:
                    print(f"tailhouse tail: {item}", file=err)
                    return 1
                print(f"tailhouse tail: {item}", file=err)
                return 0
    except KeyboardInterrupt:
        return 0
