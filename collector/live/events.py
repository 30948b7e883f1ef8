"""Accepted requests as live events: flat dicts named like the `events` table's columns.

Only a subset of columns is filled (enough to show, filter and `--where` on an event); the
same names are read from ClickHouse for `tailhouse tail --since`, so a stored event and a live
one print alike. Decoding runs off the event loop, and only while someone subscribes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tailhouse.pipeline.rules.http import columns_from
from tailhouse.pipeline.rules.severity import implied_severity, severity_name
from tailhouse.pipeline.signals import TAIL_KIND

# The columns a live event has (also what `--since` selects and what `--where` may name).
LIVE_COLUMNS: tuple[str, ...] = (
    "timestamp", "event_type", "event_name", "source", "service_name", "severity_text", "severity_number",
    "body", "trace_id", "span_id", "parent_span_id", "duration_ns", "status_code", "status_message", "span_kind",
    "http_method", "http_url", "http_status_code", "outcome", "exception_type", "exception_message",
    "metric_type", "metric_unit", "value", "scope_name", "attributes", "resource_attributes")

EVENT_TYPES = ("span", "log", "metric", "tail")

_STATUS = {0: "Unset", 1: "Ok", 2: "Error"}
_SPAN_KINDS = {0: "Unspecified", 1: "Internal", 2: "Server", 3: "Client", 4: "Producer", 5: "Consumer"}


def live_type(event: dict[str, Any]) -> str:
    """span, log, metric or tail: everything a Workers tail event produced is `tail`."""
    return "tail" if event.get("source") == "tail" else str(event.get("event_type") or "")


def _iso(nanos: int) -> str:
    if not nanos:
        return ""
    seconds, frac = divmod(int(nanos), 1_000_000_000)
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def _text(value: Any) -> str:
    which = value.WhichOneof("value")
    if which is None:
        return ""
    if which == "string_value":
        return str(value.string_value)
    if which == "bool_value":
        return "true" if value.bool_value else "false"
    if which in ("int_value", "double_value"):
        return str(getattr(value, which))
    if which == "bytes_value":
        return value.bytes_value.hex()
    if which == "array_value":
        return json.dumps([_text(v) for v in value.array_value.values])
    return json.dumps({kv.key: _text(kv.value) for kv in value.kvlist_value.values})


def _attrs(kvs: Any) -> dict[str, str]:
    return {kv.key: _text(kv.value) for kv in kvs}


# The HTTP columns a live event carries, filled from attributes by the same rule as the mapping views.
_HTTP_COLUMNS = tuple(c for c in LIVE_COLUMNS if c.startswith("http_"))


def _http(attrs: dict[str, str], resource: dict[str, str]) -> dict[str, Any]:
    return columns_from(attrs, resource, _HTTP_COLUMNS)


def _base(resource: dict[str, str], scope: str, kind: str) -> dict[str, Any]:
    return {"event_type": kind, "source": "otlp", "service_name": resource.get("service.name", ""),
            "resource_attributes": resource, "scope_name": scope}


def _spans(payload: bytes) -> list[dict[str, Any]]:
    req = ExportTraceServiceRequest.FromString(payload)
    out = []
    for rs in req.resource_spans:
        resource = _attrs(rs.resource.attributes)
        for ss in rs.scope_spans:
            for s in ss.spans:
                attrs = _attrs(s.attributes)
                status = _STATUS.get(s.status.code, "")
                level = implied_severity("span", status, 0)  # the live tail shows an Error span as ERROR
                ev = _base(resource, ss.scope.name, "span")
                ev.update({
                    "timestamp": _iso(s.start_time_unix_nano), "event_name": s.name,
                    "severity_text": severity_name(level), "severity_number": level,
                    "body": s.status.message, "trace_id": s.trace_id.hex(), "span_id": s.span_id.hex(),
                    "parent_span_id": s.parent_span_id.hex(),
                    "duration_ns": max(0, s.end_time_unix_nano - s.start_time_unix_nano),
                    "status_code": status, "status_message": s.status.message,
                    "span_kind": _SPAN_KINDS.get(s.kind, ""),
                    **_http(attrs, resource),
                    "attributes": attrs,
                })
                out.append(ev)
    return out


def _logs(payload: bytes) -> list[dict[str, Any]]:
    req = ExportLogsServiceRequest.FromString(payload)
    out = []
    for rl in req.resource_logs:
        resource = _attrs(rl.resource.attributes)
        for sl in rl.scope_logs:
            for r in sl.log_records:
                attrs = _attrs(r.attributes)
                ev = _base(resource, sl.scope.name, "log")
                ev.update({
                    "timestamp": _iso(r.time_unix_nano or r.observed_time_unix_nano),
                    "event_name": r.event_name or attrs.get("event.name", ""),
                    "severity_text": r.severity_text, "severity_number": int(r.severity_number),
                    "body": _text(r.body), "trace_id": r.trace_id.hex(), "span_id": r.span_id.hex(),
                    "exception_type": attrs.get("exception.type", ""),
                    "exception_message": attrs.get("exception.message", ""),
                    **_http(attrs, resource),
                    "attributes": attrs,
                })
                out.append(ev)
    return out


def _metrics(payload: bytes) -> list[dict[str, Any]]:
    req = ExportMetricsServiceRequest.FromString(payload)
    out = []
    for rm in req.resource_metrics:
        resource = _attrs(rm.resource.attributes)
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                if kind is None:
                    continue
                for dp in getattr(m, kind).data_points:
                    if kind in ("gauge", "sum"):
                        value = float(dp.as_double if dp.WhichOneof("value") == "as_double" else dp.as_int)
                    elif hasattr(dp, "sum"):
                        value = float(dp.sum)
                    else:
                        value = 0.0
                    ev = _base(resource, sm.scope.name, "metric")
                    level = implied_severity("metric", "", 0)
                    ev.update({
                        "timestamp": _iso(dp.time_unix_nano), "event_name": m.name,
                        "severity_text": severity_name(level), "severity_number": level,
                        "body": "", "metric_type": kind, "metric_unit": m.unit,
                        "value": value, "attributes": _attrs(dp.attributes),
                    })
                    out.append(ev)
    return out


def _tail_rows(payload: bytes) -> list[dict[str, Any]]:
    out = []
    for line in payload.split(b"\n"):
        if line.strip():
            row = json.loads(line)
            out.append({k: row.get(k, "") for k in LIVE_COLUMNS})
    return out


_DECODERS = {"otlp_traces": _spans, "otlp_logs": _logs, "otlp_metrics": _metrics, TAIL_KIND: _tail_rows}


def decode(kind: str, payload: bytes) -> list[dict[str, Any]]:
    """The live events of one accepted request of payload kind `kind`."""
    return _DECODERS[kind](payload)
