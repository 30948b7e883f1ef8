"""Cloudflare tail events as OTLP logs: `events` rows (JSONEachRow) → ExportLogsServiceRequest bytes.

A forwarded tail invocation is one log record for the invocation itself (its summary as body,
`event.name` = the handler kind: fetch, scheduled, queue, …) followed by one record per console
log and per exception, all carrying the invocation's trace id and span id, so the destination can
group them as `wrangler tail` shows them. Typed attributes are restored from the row's
`attributes` / `attribute_types`; columns with no OTLP field of their own (HTTP request, outcome,
exception, CPU/wall time, ray id, colo) become attributes with semantic-convention names.
Rows are grouped into one ResourceLogs per distinct resource.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs

from tailhouse.pipeline.rules.http import RAY_ID
from tailhouse.pipeline.rules.http import RULES as HTTP_RULES

from ..clickhouse.value_codec import decode_attributes

SCOPE_NAME = "tailhouse.cloudflare_tail"

# `events` column -> OTLP attribute, added when the column is set (not empty / zero). The HTTP
# columns go out under the stable key of the shared rule, and the ray id under the Cloudflare key
# `request_id` falls back to, so a destination that maps attributes as the OTLP views do (another
# Tailhouse) rebuilds the same columns; host and path derive from `url.full` there.
_COLUMN_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    *((c, HTTP_RULES[c].stable_key) for c in ("http_method", "http_url", "http_status_code", "user_agent")),
    ("request_id", RAY_ID.key),
    ("geo_colo", "cloudflare.colo"),
    ("geo_country", "geo.country.iso_code"),
    ("outcome", "cloudflare.outcome"),
    ("cpu_time_ms", "cloudflare.cpu_time_ms"),
    ("duration_ns", "cloudflare.wall_time_ns"),
    ("exception_type", "exception.type"),
    ("exception_message", "exception.message"),
    ("exception_stacktrace", "exception.stacktrace"),
    ("correlation_id", "correlation.id"),
    ("data", "cloudflare.data"),
)


def _nanos(iso: str) -> int:
    """Unix nanoseconds of an ISO-8601 `...T..:..:...fffffffffZ` timestamp (nanoseconds kept)."""
    if not iso:
        return 0
    whole, _, frac = iso.rstrip("Z").partition(".")
    seconds = int(datetime.fromisoformat(whole + "+00:00").timestamp())
    return seconds * 1_000_000_000 + int((frac + "000000000")[:9] or 0)


def _value(v: Any) -> AnyValue:
    out = AnyValue()
    if isinstance(v, bool):
        out.bool_value = v
    elif isinstance(v, int):
        out.int_value = v
    elif isinstance(v, float):
        out.double_value = v
    else:
        out.string_value = str(v)
    return out


def _id(hex_text: str, size: int) -> bytes:
    try:
        raw = bytes.fromhex(hex_text or "")
    except ValueError:
        return b""
    return raw if len(raw) == size and any(raw) else b""


def log_record(row: dict[str, Any]) -> LogRecord:
    """One `events` row of a tail event as an OTLP LogRecord."""
    rec = LogRecord(
        time_unix_nano=_nanos(row.get("timestamp", "")),
        observed_time_unix_nano=_nanos(row.get("observed_timestamp", "")),
        severity_number=int(row.get("severity_number") or 0),  # type: ignore[arg-type]
        severity_text=str(row.get("severity_text") or ""),
        body=AnyValue(string_value=str(row.get("body") or "")),
        trace_id=_id(row.get("trace_id", ""), 16),
        span_id=_id(row.get("span_id", ""), 8),
        flags=int(row.get("trace_flags") or 0) & 0xFF,
        event_name=str(row.get("event_name") or ""),
    )
    attrs = decode_attributes(row.get("attributes") or {}, row.get("attribute_types") or {})
    attrs.setdefault("tailhouse.event_type", AnyValue(string_value=str(row.get("event_type") or "")))
    if row.get("event_name"):
        attrs.setdefault("event.name", AnyValue(string_value=str(row["event_name"])))
    for column, name in _COLUMN_ATTRIBUTES:
        value = row.get(column)
        if value not in (None, "", 0, 0.0) and name not in attrs:
            attrs[name] = _value(value)
    rec.attributes.extend(KeyValue(key=k, value=v) for k, v in attrs.items())
    return rec


def tail_rows_to_logs_request(payloads: list[bytes]) -> bytes:
    """JSONEachRow payloads of `events` rows as one serialized ExportLogsServiceRequest."""
    request = ExportLogsServiceRequest()
    by_resource: dict[str, ResourceLogs] = {}
    for payload in payloads:
        for line in payload.split(b"\n"):
            if not line.strip():
                continue
            row = json.loads(line)
            resource = {str(k): str(v) for k, v in (row.get("resource_attributes") or {}).items()}
            key = json.dumps(resource, sort_keys=True)
            rl = by_resource.get(key)
            if rl is None:
                rl = request.resource_logs.add()
                rl.resource.attributes.extend(KeyValue(key=k, value=AnyValue(string_value=v))
                                              for k, v in resource.items())
                scope = rl.scope_logs.add()
                scope.scope.name = SCOPE_NAME
                by_resource[key] = rl
            rl.scope_logs[0].log_records.append(log_record(row))
    return request.SerializeToString()
