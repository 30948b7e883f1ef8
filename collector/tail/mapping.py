"""Cloudflare Workers tail events → `events` rows. Every mapping rule for this source is here.

Why the mapping runs in Python (and not in SQL views, as the OTLP mapping does): tail events
arrive as JSON, at the rate of Worker invocations rather than spans, and the rules are
string work that SQL does badly: parsing `traceparent`, redacting query parameters, rendering
console arguments as JavaScript prints them, recognising JSON log lines and Durable Object
events. In Python every rule is a small tested function, and the exporter inserts the finished
rows straight into `events` with `FORMAT JSONEachRow` (no landing table needed).

Rows of one TraceItem:

* one `tail` row for the invocation: outcome, timings, script, event kind and its fields,
  request/response columns;
* one `log` row per console log (a JSON log line's fields become attributes), per exception
  (`event_name = 'exception'`) and per Durable Object observability event (`event_name` = the
  event's dotted name, e.g. `DO.Lifecycle.created`).

They all share `trace_id` (from `traceparent`, else derived from `cf-ray`, else from the
invocation itself, so that the rows of one invocation always stay together) and `span_id` (the
invocation). Whatever has no column is kept in `attributes` (typed via `attribute_types`) or in
`data` (JSON), so nothing a tail worker sends is lost.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

# The rules this source shares with the OTLP mapping views (severity, importance, HTTP columns)
# come from one table: tailhouse.pipeline.rules.
from tailhouse.pipeline.rules.http import RULES as HTTP_RULES
from tailhouse.pipeline.rules.http import columns_from
from tailhouse.pipeline.rules.importance import SERVER_ERROR_STATUS, Facts, importance_of
from tailhouse.pipeline.rules.severity import (
    CRITICAL, DEBUG, ERROR, FATAL, INFO, TRACE, WARN, importance_of_severity, severity_name, severity_outcome,
)

from .values import Attributes, normalize, to_json, value_text

REDACTED = "REDACTED"
SOURCE = "tail"
DO_CHANNEL = "do:observability"
DO_MARKER = "__do_event"


# console level → severity_number on the OpenTelemetry scale (the level name follows from the number)
_CONSOLE_SEVERITY: dict[str, int] = {
    "trace": TRACE, "debug": DEBUG, "log": INFO, "info": INFO,
    "notice": INFO + 1,  # INFO2: above info, below warn (syslog's notice)
    "warn": WARN, "warning": WARN, "error": ERROR, "err": ERROR, "critical": FATAL, "fatal": FATAL,
}
_SEVERITY: dict[str, tuple[str, int]] = {level: (severity_name(n), n) for level, n in _CONSOLE_SEVERITY.items()}
# the request's fields under the stable semantic-convention keys, from which the shared rule
# derives the HTTP columns exactly as the OTLP views derive them from a span's attributes
_METHOD_KEY, _URL_KEY, _USER_AGENT_KEY = (HTTP_RULES[c].stable_key for c in ("http_method", "http_url", "user_agent"))

# TraceItem keys with a dedicated rule below; any other key goes to the tail row's `data`.
_MAPPED_KEYS = frozenset({
    "scriptName", "entrypoint", "scriptVersion", "dispatchNamespace", "scriptTags", "durableObjectId",
    "outcome", "executionModel", "truncated", "cpuTime", "wallTime", "eventTimestamp", "event", "logs",
    "exceptions", "diagnosticsChannelEvents", "tailAttributes",
})

# Event fields that have a named attribute; other event fields become `cloudflare.event.<key>`.
_EVENT_ATTRIBUTES: dict[str, str] = {
    "cron": "faas.cron",
    "scheduledTime": "cloudflare.scheduled_time",
    "queue": "messaging.destination.name",
    "batchSize": "messaging.batch.message_count",
    "rpcMethod": "rpc.method",
    "mailFrom": "cloudflare.email.mail_from",
    "rcptTo": "cloudflare.email.rcpt_to",
    "rawSize": "cloudflare.email.raw_size",
    "consumedEvents": "cloudflare.tail.consumed_events",
}

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")


@dataclass(frozen=True)
class MappingOptions:
    """Receiver settings the mapping needs."""

    default_service_name: str = "unknown_worker"
    redact_headers: frozenset[str] = frozenset()
    redact_query_params: frozenset[str] = frozenset()

    @staticmethod
    def build(default_service_name: str, headers: list[str], query_params: list[str]) -> "MappingOptions":
        """Options with case-insensitive redaction lists."""
        return MappingOptions(default_service_name, frozenset(h.lower() for h in headers),
                              frozenset(q.lower() for q in query_params))


def event_kind(event: dict[str, Any] | None) -> str:
    """Kind of invocation, inferred from the keys of a TraceItem's `event`.

    fetch, scheduled (cron), queue, alarm, rpc, tail (tail-of-tail), email, custom (an empty
    event object), websocket and hibernate (Durable Object hibernation), else unknown.
    """
    if not event:
        return "custom" if event == {} else "unknown"
    if "request" in event:
        return "fetch"
    if "cron" in event:
        return "scheduled"
    if "queue" in event and "batchSize" in event:
        return "queue"
    if "rpcMethod" in event:
        return "rpc"
    if "consumedEvents" in event:
        return "tail"
    if "mailFrom" in event or "rcptTo" in event:
        return "email"
    if "getWebSocketEvent" in event or "webSocketEventType" in event:
        return "websocket"
    if set(event) == {"scheduledTime"}:
        return "alarm"
    if set(event) == {"reason"}:
        return "hibernate"
    return "unknown"


def severity(level: str) -> tuple[str, int]:
    """(severity_text, severity_number) of a console level; an unknown level keeps its name, number 0."""
    return _SEVERITY.get(level.lower(), (level.upper(), 0))



def iso_from_ms(ms: float) -> str:
    """ISO-8601 UTC timestamp with nanoseconds from Unix milliseconds (what `events` parses)."""
    whole = int(ms)  # exact for integer ms; only the fraction goes through float arithmetic
    ns = whole * 1_000_000 + int(round((ms - whole) * 1_000_000))
    seconds, frac = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def _hash_hex(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def parse_traceparent(value: str) -> tuple[str, str, int] | None:
    """(trace_id, parent_span_id, flags) of a W3C traceparent header, or None if it is not valid."""
    m = _TRACEPARENT.match(value.strip().lower())
    if not m or m.group(1) == "ff" or set(m.group(2)) == {"0"} or set(m.group(3)) == {"0"}:
        return None
    if m.group(1) == "00" and m.group(5):
        return None  # version 00 has exactly four fields
    return m.group(2), m.group(3), int(m.group(4), 16)


def redact_url(url: str, params: frozenset[str]) -> str:
    """`url` with the values of the named query parameters (case-insensitive) replaced."""
    if not params:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k.lower() in params for k, _ in pairs):
        return url
    query = "&".join(
        f"{quote(k, safe='')}={REDACTED if k.lower() in params else quote(v, safe='')}" for k, v in pairs
    )
    return urlunsplit(parts._replace(query=query))


def redact_headers(headers: dict[str, str], names: frozenset[str]) -> dict[str, str]:
    """Headers with the values of the named ones (case-insensitive) replaced."""
    return {k: (REDACTED if k.lower() in names else v) for k, v in headers.items()}


@dataclass
class _Json:
    """What a console message said when it was one JSON object (a structured log line)."""

    fields: dict[str, Any]


def _structured(args: list[Any]) -> _Json | None:
    """The object of a single-argument console call that is a JSON object (as a string or an object)."""
    if len(args) != 1:
        return None
    arg = args[0]
    if isinstance(arg, dict):
        return _Json(arg)
    if isinstance(arg, str) and arg.lstrip().startswith("{"):
        try:
            parsed = json.loads(arg)
        except ValueError:
            return None
        if isinstance(parsed, dict):
            return _Json(normalize(parsed))
    return None


def render_console(args: list[Any]) -> str:
    """Console arguments as one line: strings as they are, everything else as JSON, space-separated."""
    return " ".join(value_text(a) if isinstance(a, str) else to_json(a) for a in args)


def _correlation_from(fields: dict[str, Any]) -> str:
    for key in ("correlation_id", "trace_id"):
        value = fields.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    return ""


def log_severity(log: dict[str, Any], structured: "_Json | None") -> tuple[str, int]:
    """Severity of a console log; a JSON line's own level wins (console.log of {"level": "error"} is an error)."""
    if structured is not None:
        declared = structured.fields.get("level", structured.fields.get("severity"))
        if isinstance(declared, str) and declared.lower() in _SEVERITY:
            return severity(declared)
    return severity(str(log.get("level") or "log"))


def _do_event_name(fields: dict[str, Any]) -> str:
    """Dotted name of a Durable Object observability event (`DO.Lifecycle.created`)."""
    marker = fields.get(DO_MARKER)
    if isinstance(marker, str) and marker:
        return marker
    for key in ("name", "event", "type", "eventName"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            return value
    return "DO.event"


@dataclass
class _Invocation:
    """Columns every row of one TraceItem shares."""

    common: dict[str, Any]
    event_id: str
    correlation_id: str
    context: dict[str, Any] = field(default_factory=dict)  # http/geo columns, copied onto log rows


class TailMapper:
    """Maps validated TraceItems (see `validate.py`) to `events` rows."""

    def __init__(self, options: MappingOptions) -> None:
        self.options = options

    def rows(self, item: dict[str, Any], received_ms: float) -> list[dict[str, Any]]:
        """All `events` rows of one TraceItem (tail row first). `received_ms`: arrival, Unix ms.

        `observed_timestamp` (and the fallback for a missing log timestamp) is the invocation's
        `eventTimestamp` when it has one, not the arrival time: then the same TraceItem always maps
        to the same bytes, so a tail worker's resend after a lost acknowledgement is recognised by
        the exporter and stored once. The arrival time is in `ingested_at`.
        """
        item = normalize(item)
        if isinstance(item.get("eventTimestamp"), (int, float)) and not isinstance(item.get("eventTimestamp"), bool):
            received_ms = float(item["eventTimestamp"])
        event = item.get("event")
        kind = event_kind(event)
        logs = item.get("logs") or []
        exceptions = item.get("exceptions") or []
        channel_events = item.get("diagnosticsChannelEvents") or []
        # Key order differs between transports; sorted keys make ids the same whichever way it came.
        identity = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        event_id = _hash_hex(identity, 32)

        request = (event or {}).get("request") if kind == "fetch" else None
        headers = {str(k).lower(): v for k, v in ((request or {}).get("headers") or {}).items()}
        trace_id, parent_span_id, flags, trace_state = self._trace(headers, identity)
        span_id = _hash_hex("span:" + identity, 16)

        structured = [_structured(self._args(log)) for log in logs]
        correlation = headers.get("x-correlation-id") or headers.get("x-request-id") or ""
        if not correlation:
            correlation = next((c for s in structured if s and (c := _correlation_from(s.fields))), "")

        inv = _Invocation(self._common(item, trace_id, span_id, headers), event_id, correlation)
        levels = [log_severity(log, s)[1] for log, s in zip(logs, structured, strict=True)]
        tail = self._tail_row(item, kind, event, inv, received_ms, parent_span_id, flags, trace_state,
                              levels, exceptions, channel_events)
        rows = [tail]
        for i, log in enumerate(logs):
            rows.append(self._log_row(log, structured[i], f"{event_id}:log:{i}", inv, received_ms))
        for i, exc in enumerate(exceptions):
            rows.append(self._exception_row(exc, f"{event_id}:exception:{i}", inv, received_ms))
        for i, dce in enumerate(channel_events):
            if dce.get("channel") == DO_CHANNEL:
                rows.append(self._channel_row(dce, f"{event_id}:do:{i}", inv, received_ms))
        return rows

    # -- shared columns ---------------------------------------------------------------------------

    def _trace(self, headers: dict[str, str], identity: str) -> tuple[str, str, int, str]:
        """(trace_id, parent_span_id, trace_flags, trace_state) of an invocation."""
        parsed = parse_traceparent(headers.get("traceparent", ""))
        if parsed:
            return parsed[0], parsed[1], parsed[2], headers.get("tracestate", "")
        ray = headers.get("cf-ray", "")
        # cf-ray names the request at Cloudflare's edge: invocations it fans out to share a trace.
        return _hash_hex(("ray:" + ray) if ray else ("invocation:" + identity), 32), "", 0, ""

    def _common(self, item: dict[str, Any], trace_id: str, span_id: str, headers: dict[str, str]) -> dict[str, Any]:
        script = item.get("scriptName")
        service = script or self.options.default_service_name
        version = item.get("scriptVersion") or {}
        namespace = item.get("dispatchNamespace") or ""
        resource = {"cloud.provider": "cloudflare", "cloud.platform": "cloudflare.workers", "service.name": service}
        if version.get("id"):
            resource["service.version"] = version["id"]
        if namespace:
            resource["service.namespace"] = namespace
        return {
            "source": SOURCE,
            "ns": namespace,
            "trace_id": trace_id,
            "span_id": span_id,
            "request_id": headers.get("cf-ray", ""),
            "service_name": service,
            "service_namespace": namespace,
            "service_version": version.get("id") or "",
            "service_instance_id": item.get("durableObjectId") or "",
            "cloud_provider": "cloudflare",
            "resource_attributes": resource,
        }

    def _args(self, log: dict[str, Any]) -> list[Any]:
        message = log.get("message")
        return message if isinstance(message, list) else [message]

    # -- the invocation ---------------------------------------------------------------------------

    def _tail_row(self, item: dict[str, Any], kind: str, event: dict[str, Any] | None, inv: _Invocation,
                  received_ms: float, parent_span_id: str, flags: int, trace_state: str,
                  levels: list[int], exceptions: list[dict[str, Any]],
                  channel_events: list[dict[str, Any]]) -> dict[str, Any]:
        attrs = Attributes()
        for key, attr in (("scriptName", "cloudflare.script_name"), ("entrypoint", "cloudflare.entrypoint"),
                          ("executionModel", "cloudflare.execution_model"),
                          ("durableObjectId", "cloudflare.durable_object_id"),
                          ("dispatchNamespace", "cloudflare.dispatch_namespace"),
                          ("scriptTags", "cloudflare.script_tags"), ("truncated", "cloudflare.truncated")):
            if item.get(key) is not None:
                attrs.put(attr, item[key])
        for key, value in (item.get("scriptVersion") or {}).items():
            attrs.put(f"cloudflare.script_version.{key}", value)
        attrs.put_all("cloudflare.tail_attributes.", item.get("tailAttributes") or {})

        data: dict[str, Any] = {k: v for k, v in item.items() if k not in _MAPPED_KEYS}
        other_channels = [d for d in channel_events if d.get("channel") != DO_CHANNEL]
        if other_channels:
            data["diagnosticsChannelEvents"] = other_channels
        if item.get("eventTimestamp") is None:
            data["eventTimestamp"] = None

        status = 0
        if kind == "fetch" and event is not None:
            status = self._fetch(event, attrs, inv)
        elif event:
            for key, value in event.items():
                attrs.put(_EVENT_ATTRIBUTES.get(key, f"cloudflare.event.{key}"), value)

        outcome = item["outcome"]
        importance = importance_of("invocation", Facts(http_status=status, outcome=outcome, exceptions=len(exceptions),
                                                        max_log_severity=max(levels, default=0)))
        failed = importance == CRITICAL or status >= SERVER_ERROR_STATUS
        started_ms = self._start_ms(item, item.get("logs") or [], exceptions, received_ms)
        wall_ms = float(item.get("wallTime") or 0)
        row = {
            **inv.common,
            **inv.context,
            "event_id": inv.event_id,
            "event_type": "tail",
            "event_name": kind,
            "timestamp": iso_from_ms(started_ms),
            "start_timestamp": iso_from_ms(started_ms),
            "end_timestamp": iso_from_ms(started_ms + wall_ms),
            "observed_timestamp": iso_from_ms(received_ms),
            "duration_ns": max(0, int(round(wall_ms * 1_000_000))),
            "cpu_time_ms": float(item.get("cpuTime") or 0),
            "parent_span_id": parent_span_id,
            "trace_flags": flags,
            "trace_state": trace_state,
            "correlation_id": inv.correlation_id,
            "attributes": attrs.values,
            "attribute_types": attrs.types,
            "body": self._summary(kind, event, status, outcome),
            "data": to_json(data) if data else "",
            "status_code": "Error" if failed else "Ok",
            "outcome": outcome,
            "importance": importance,
            "severity_text": severity_name(ERROR if failed else INFO),
            "severity_number": ERROR if failed else INFO,
            "span_kind": "Server" if kind == "fetch" else "Consumer" if kind in ("queue", "tail", "email") else "Internal",
        }
        if exceptions:
            first = exceptions[0]
            row["exception_type"] = first.get("name") or ""
            row["exception_message"] = first.get("message") or ""
            row["exception_stacktrace"] = first.get("stack") or ""
        return row

    def _fetch(self, event: dict[str, Any], attrs: Attributes, inv: _Invocation) -> int:
        """Fill the request/response columns and attributes; return the response status (0 if none)."""
        request = event.get("request") or {}
        url = redact_url(str(request.get("url") or ""), self.options.redact_query_params)
        headers = redact_headers(request.get("headers") or {}, self.options.redact_headers)
        for name, value in headers.items():
            attrs.put(f"http.request.header.{name.lower()}", value)
        cf = request.get("cf") or {}
        attrs.put_all("cloudflare.cf.", cf)
        for key, value in request.items():
            if key not in ("url", "method", "headers", "cf"):
                attrs.put(f"cloudflare.event.request.{key}", value)
        response = event.get("response")
        status = 0
        if isinstance(response, dict):
            raw = response.get("status")
            status = int(raw) if isinstance(raw, (int, float)) and 0 <= raw <= 65535 else 0
            for key, value in response.items():
                if key != "status":
                    attrs.put(f"cloudflare.event.response.{key}", value)
        for key, value in event.items():
            if key not in ("request", "response"):
                attrs.put(f"cloudflare.event.{key}", value)
        asn = cf.get("asn")
        http = columns_from({_METHOD_KEY: str(request.get("method") or ""), _URL_KEY: url,
                             _USER_AGENT_KEY: {k.lower(): v for k, v in headers.items()}.get("user-agent", "")},
                            columns=("http_method", "http_url", "http_host", "http_path", "user_agent"))
        inv.context = {
            "http_method": http["http_method"],
            "http_url": http["http_url"],
            "http_host": http["http_host"],
            "http_path": http["http_path"],
            "http_status_code": status,
            "user_agent": http["user_agent"],
            "geo_colo": str(cf.get("colo") or ""),
            "geo_country": str(cf.get("country") or ""),
            "geo_city": str(cf.get("city") or ""),
            "geo_asn": int(asn) if isinstance(asn, (int, float)) and 0 <= asn < 2**32 else 0,
        }
        return status

    @staticmethod
    def _start_ms(item: dict[str, Any], logs: list[dict[str, Any]], exceptions: list[dict[str, Any]],
                  received_ms: float) -> float:
        """eventTimestamp; when the runtime left it out, the earliest log/exception, else arrival."""
        ts = item.get("eventTimestamp")
        if ts is not None:
            return float(ts)
        seen = [float(x["timestamp"]) for x in (*logs, *exceptions) if x.get("timestamp") is not None]
        return min(seen) if seen else received_ms

    @staticmethod
    def _summary(kind: str, event: dict[str, Any] | None, status: int, outcome: str) -> str:
        """A one-line description of the invocation for the tail row's body."""
        ev = event or {}
        if kind == "fetch":
            req = ev.get("request") or {}
            text = f"{req.get('method') or ''} {urlsplit(str(req.get('url') or '')).path or '/'}".strip()
            text += f" {status}" if status else ""
        elif kind == "scheduled":
            text = f"scheduled {ev.get('cron')}"
        elif kind == "queue":
            text = f"queue {ev.get('queue')} ({ev.get('batchSize')} messages)"
        elif kind == "rpc":
            text = f"rpc {ev.get('rpcMethod')}"
        else:
            text = kind
        return text if outcome == "ok" else f"{text} ({outcome})"

    # -- log rows ---------------------------------------------------------------------------------

    def _log_base(self, inv: _Invocation, event_id: str, ts: Any, received_ms: float) -> dict[str, Any]:
        when = float(ts) if ts is not None else received_ms
        return {
            **inv.common,
            **inv.context,
            "event_id": event_id,
            "event_type": "log",
            "timestamp": iso_from_ms(when),
            "observed_timestamp": iso_from_ms(received_ms),
            "correlation_id": inv.correlation_id,
        }

    def _log_row(self, log: dict[str, Any], structured: _Json | None, event_id: str, inv: _Invocation,
                 received_ms: float) -> dict[str, Any]:
        args = self._args(log)
        level = str(log.get("level") or "log")
        text, number = log_severity(log, structured)
        attrs = Attributes()
        attrs.put("cloudflare.log.level", level)
        body = render_console(args)
        event_name = f"console.{level}"
        correlation = inv.correlation_id
        if structured is not None:
            fields = structured.fields
            attrs.put_all("", fields)
            if DO_MARKER in fields:
                event_name = _do_event_name(fields)
                attrs.put("cloudflare.do_event.source", "console")
            message = fields.get("message", fields.get("msg"))
            if isinstance(message, str):
                body = message
            correlation = _correlation_from(fields) or correlation
        elif len(args) != 1 or not isinstance(args[0], str):
            attrs.put("cloudflare.log.arguments", args)
        row = self._log_base(inv, event_id, log.get("timestamp"), received_ms)
        infos = log.get("errorInfo") or []
        errors = [e for e in infos if isinstance(e, dict)]
        if infos:
            attrs.put("cloudflare.log.error_info", infos)
        if errors:
            row["exception_type"] = str(errors[0].get("name") or "")
            row["exception_message"] = str(errors[0].get("message") or "")
            row["exception_stacktrace"] = str(errors[0].get("stack") or "")
        extra = {k: v for k, v in log.items() if k not in ("level", "message", "timestamp", "errorInfo")}
        row.update({
            "event_name": event_name,
            "correlation_id": correlation,
            "attributes": attrs.values,
            "attribute_types": attrs.types,
            "body": body,
            "data": to_json(extra) if extra else "",
            "severity_text": text,
            "severity_number": number,
            "importance": importance_of_severity(number),
            "outcome": severity_outcome(number),
        })
        return row

    def _exception_row(self, exc: dict[str, Any], event_id: str, inv: _Invocation, received_ms: float) -> dict[str, Any]:
        name, message = str(exc.get("name") or ""), str(exc.get("message") or "")
        row = self._log_base(inv, event_id, exc.get("timestamp"), received_ms)
        extra = {k: v for k, v in exc.items() if k not in ("name", "message", "stack", "timestamp")}
        row.update({
            "event_name": "exception",
            "body": f"{name}: {message}" if name else message,
            "data": to_json(extra) if extra else "",
            "exception_type": name,
            "exception_message": message,
            "exception_stacktrace": str(exc.get("stack") or ""),
            "severity_text": severity_name(ERROR),
            "severity_number": ERROR,
            "importance": importance_of("exception", Facts()),
            "outcome": "exception",
            "status_code": "Error",
        })
        return row

    def _channel_row(self, dce: dict[str, Any], event_id: str, inv: _Invocation, received_ms: float) -> dict[str, Any]:
        message = dce.get("message")
        attrs = Attributes()
        attrs.put("cloudflare.diagnostics_channel", str(dce.get("channel")))
        attrs.put("cloudflare.do_event.source", "diagnostics_channel")
        if isinstance(message, dict):
            attrs.put_all("", message)
            name = _do_event_name(message)
            body = message.get("message") if isinstance(message.get("message"), str) else to_json(message)
        else:
            name = message if isinstance(message, str) and message else "DO.event"
            body = value_text(message)
            if not isinstance(message, str):
                attrs.put("cloudflare.diagnostics_channel.message", message)
        row = self._log_base(inv, event_id, dce.get("timestamp"), received_ms)
        extra = {k: v for k, v in dce.items() if k not in ("channel", "message", "timestamp")}
        row.update({
            "event_name": name,
            "attributes": attrs.values,
            "attribute_types": attrs.types,
            "body": body,
            "data": to_json(extra) if extra else "",
            "severity_text": severity_name(INFO),
            "severity_number": INFO,
            "importance": importance_of_severity(INFO),
            "outcome": severity_outcome(INFO),
        })
        return row
