"""One upb parse of an OTLP export request: validation, item counts and partial rejection.

Receivers keep requests as bytes; this module parses them once to refuse what can't be decoded,
count items for batching and `partial_success`, and drop the few items OTLP says are invalid
(ids of the wrong length, metrics without a name). Only when something is dropped is the request
re-serialised; otherwise the original bytes go on untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb

from tailhouse.pipeline.signals import Signal

__all__ = ["InvalidRequest", "ParsedRequest", "parse_request", "response_bytes"]


# upb's default nesting limit for parsing (messages within messages, including AnyValue arrays/kvlists).
MAX_DEPTH = 100


class InvalidRequest(ValueError):
    """The request bytes are not a decodable OTLP export request."""


@dataclass(frozen=True)
class ParsedRequest:
    """A validated request: the bytes to store, how many items they hold, and what was refused."""

    payload: bytes
    accepted: int
    rejected: int
    error_message: str = ""


def _id_problems(ids: tuple[tuple[str, bytes, tuple[int, ...]], ...]) -> str:
    """'span_id is 5 bytes, must be 8' for each id of a wrong length."""
    return ", ".join(
        f"{name} is {len(value)} bytes, must be {' or '.join(map(str, allowed))}"
        for name, value, allowed in ids if len(value) not in allowed
    )


def _traces(req: trace_pb.ExportTraceServiceRequest) -> tuple[int, int, list[str]]:
    accepted = rejected = 0
    reasons: list[str] = []
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            spans = ss.spans
            bad = [i for i, s in enumerate(spans) if len(s.trace_id) != 16 or len(s.span_id) != 8
                   or len(s.parent_span_id) not in (0, 8)]
            for i in reversed(bad):
                s = spans[i]
                problems = _id_problems(
                    (("trace_id", s.trace_id, (16,)), ("span_id", s.span_id, (8,)),
                     ("parent_span_id", s.parent_span_id, (0, 8)))
                )
                reasons.append(f"span {s.name!r}: {problems}")
                del spans[i]
            rejected += len(bad)
            accepted += len(spans)
    return accepted, rejected, reasons


def _logs(req: logs_pb.ExportLogsServiceRequest) -> tuple[int, int, list[str]]:
    accepted = rejected = 0
    reasons: list[str] = []
    for rl in req.resource_logs:
        for sl in rl.scope_logs:
            records = sl.log_records
            bad = [i for i, r in enumerate(records) if len(r.trace_id) not in (0, 16) or len(r.span_id) not in (0, 8)]
            for i in reversed(bad):
                r = records[i]
                problems = _id_problems((("trace_id", r.trace_id, (0, 16)), ("span_id", r.span_id, (0, 8))))
                reasons.append(f"log record {i}: {problems}")
                del records[i]
            rejected += len(bad)
            accepted += len(records)
    return accepted, rejected, reasons


def _metric_points(metric: Message) -> int:
    kind = metric.WhichOneof("data")
    return len(getattr(metric, kind).data_points) if kind else 0


def _metrics(req: metrics_pb.ExportMetricsServiceRequest) -> tuple[int, int, list[str]]:
    accepted = rejected = 0
    reasons: list[str] = []
    for rm in req.resource_metrics:
        for sm in rm.scope_metrics:
            metrics = sm.metrics
            bad = [i for i, m in enumerate(metrics) if not m.name or m.WhichOneof("data") is None]
            for i in reversed(bad):
                m = metrics[i]
                reasons.append(
                    "metric without a name" if not m.name else f"metric {m.name!r} has no data (gauge, sum, histogram, …)"
                )
                rejected += max(_metric_points(m), 1)
                del metrics[i]
            accepted += sum(_metric_points(m) for m in metrics)
    return accepted, rejected, reasons


_PARSERS = {
    Signal.TRACES: (trace_pb.ExportTraceServiceRequest, _traces),
    Signal.LOGS: (logs_pb.ExportLogsServiceRequest, _logs),
    Signal.METRICS: (metrics_pb.ExportMetricsServiceRequest, _metrics),
}


def decode_request(cls: type[Message], data: bytes) -> Message:
    """One upb parse of `data` as `cls`; InvalidRequest naming the problem when it does not decode."""
    try:
        return cls.FromString(data)
    except DecodeError as exc:
        if "MaxDepth" in str(exc):
            # The same limit JSON meets: said in the user's terms, not the parser's.
            raise InvalidRequest(f"request body is nested too deeply to decode (more than {MAX_DEPTH} levels of "
                                 f"messages and values)") from exc
        raise InvalidRequest(f"request body is not a valid {cls.DESCRIPTOR.full_name}: {exc}") from exc


def parse_request(signal: Signal, data: bytes) -> ParsedRequest:
    """Validate an export request; raise InvalidRequest when it cannot be decoded at all."""
    cls, check = _PARSERS[signal]
    req = decode_request(cls, data)
    accepted, rejected, reasons = check(req)
    if not rejected:
        return ParsedRequest(data, accepted, 0)
    message = "; ".join(reasons[:5]) + (f"; and {len(reasons) - 5} more" if len(reasons) > 5 else "")
    return ParsedRequest(req.SerializeToString() if accepted else b"", accepted, rejected, message)


def response_bytes(signal: Signal, parsed: ParsedRequest) -> bytes:
    """Serialized Export*ServiceResponse, with partial_success when items were refused."""
    if signal is Signal.TRACES:
        resp = trace_pb.ExportTraceServiceResponse()
        if parsed.rejected:
            resp.partial_success.rejected_spans = parsed.rejected
            resp.partial_success.error_message = parsed.error_message
    elif signal is Signal.LOGS:
        resp = logs_pb.ExportLogsServiceResponse()
        if parsed.rejected:
            resp.partial_success.rejected_log_records = parsed.rejected
            resp.partial_success.error_message = parsed.error_message
    else:
        resp = metrics_pb.ExportMetricsServiceResponse()
        if parsed.rejected:
            resp.partial_success.rejected_data_points = parsed.rejected
            resp.partial_success.error_message = parsed.error_message
    return resp.SerializeToString()
