"""Optional per-item limits on OTLP requests: attribute count and attribute value length.

As the SDKs' span limits, but enforced by the receiver: an item (span, log record, data point)
with more attributes than `max_attributes`, or an attribute value longer than
`max_attribute_value_length` bytes, is refused, and the request's other items are stored. Refused
items are counted and reported to the client in `partial_success`, like items refused for
invalid ids. Checking costs a parse and a walk of every attribute, which is why it is off unless
configured (the body size cap and the memory limiter already bound what one request can hold).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any, Iterable, Protocol

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb

from tailhouse.pipeline.signals import Signal

from ...otlp_requests import ParsedRequest, decode_request
from .config import ItemLimitsConfig

_REQUESTS = {Signal.TRACES: trace_pb.ExportTraceServiceRequest, Signal.LOGS: logs_pb.ExportLogsServiceRequest,
             Signal.METRICS: metrics_pb.ExportMetricsServiceRequest}


@dataclass(frozen=True)
class LimitResult:
    """A request after the limits: the bytes to hand on, and what was refused."""

    payload: bytes
    accepted: int
    rejected: int
    error_message: str = ""

    def merge(self, parsed: ParsedRequest) -> ParsedRequest:
        """`parsed` (the intake's answer for `payload`) with these refusals added for partial_success."""
        if not self.rejected:
            return parsed
        message = "; ".join(m for m in (self.error_message, parsed.error_message) if m)
        return replace(parsed, rejected=parsed.rejected + self.rejected, error_message=message)


def _value_length(value: Any) -> int:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return len(value.string_value.encode())
    if kind == "bytes_value":
        return len(value.bytes_value)
    if kind in ("array_value", "kvlist_value"):
        return value.ByteSize()
    return 0


@dataclass
class ItemLimiter:
    """Applies ItemLimitsConfig to export requests; counts what it refused."""

    config: ItemLimitsConfig
    rejected_items: int = 0

    @property
    def active(self) -> bool:
        return bool(self.config.max_attributes or self.config.max_attribute_value_length)

    def _problem(self, attributes: Any) -> str:
        limit = self.config.max_attributes
        if limit and len(attributes) > limit:
            return f"{len(attributes)} attributes, more than max_attributes {limit}"
        max_len = self.config.max_attribute_value_length
        if max_len:
            for kv in attributes:
                if (n := _value_length(kv.value)) > max_len:
                    return f"attribute {kv.key[:64]!r} is {n} bytes, more than max_attribute_value_length {max_len}"
        return ""

    def _filter(self, items: Any, what: str, reasons: list[str]) -> tuple[int, int]:
        bad = [(i, p) for i, item in enumerate(items) if (p := self._problem(item.attributes))]
        for i, problem in reversed(bad):
            reasons.append(f"{what} {i}: {problem}")
            del items[i]
        return len(items), len(bad)

    def _groups(self, signal: Signal, req: Any) -> Iterable[tuple[Any, str]]:
        if signal is Signal.TRACES:
            return ((ss.spans, "span") for rs in req.resource_spans for ss in rs.scope_spans)
        if signal is Signal.LOGS:
            return ((sl.log_records, "log record") for rl in req.resource_logs for sl in rl.scope_logs)
        return ((getattr(m, m.WhichOneof("data")).data_points, f"data point of {m.name!r}")
                for rm in req.resource_metrics for sm in rm.scope_metrics for m in sm.metrics if m.WhichOneof("data"))

    def apply(self, signal: Signal, data: bytes) -> LimitResult:
        """Drop the items over the limits; the original bytes when nothing is refused."""
        req = decode_request(_REQUESTS[signal], data)
        accepted = rejected = 0
        reasons: list[str] = []
        for items, what in self._groups(signal, req):
            kept, dropped = self._filter(items, what, reasons)
            accepted, rejected = accepted + kept, rejected + dropped
        if not rejected:
            return LimitResult(data, accepted, 0)
        self.rejected_items += rejected
        message = "; ".join(reasons[:5]) + (f"; and {len(reasons) - 5} more" if len(reasons) > 5 else "")
        return LimitResult(req.SerializeToString() if accepted else b"", accepted, rejected, message)


class _Intake(Protocol):
    async def export(self, signal: Signal, data: bytes) -> ParsedRequest: ...


async def export_within_limits(intake: _Intake, limiter: ItemLimiter | None, signal: Signal,
                               data: bytes) -> ParsedRequest:
    """`intake.export` of what passes the limits; the answer counts the refused items too."""
    if limiter is None or not limiter.active:
        return await intake.export(signal, data)
    result = await asyncio.to_thread(limiter.apply, signal, data)
    if result.rejected and not result.accepted:
        return ParsedRequest(b"", 0, result.rejected, result.error_message)
    return result.merge(await intake.export(signal, result.payload))
