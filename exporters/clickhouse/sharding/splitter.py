"""Splitting one request's payload by shard, so that every row of a trace lands on one shard.

Spans and log records go by trace id (`cityHash64(hex trace_id) % N`, as ClickHouse computes
it). Log records without a trace id spread by the hash of their own bytes; metric data points
(which have no trace id) spread by their series: resource, metric name and point attributes, so
one series stays on one shard. Tail rows (JSONEachRow) carry `trace_id` as a column.

Each part keeps the resource and scope of its items, and its exact item count, so a request is
acknowledged only when all its parts are stored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb

from tailhouse.pipeline.signals import TAIL_KIND, Signal, otlp_kind

from .shard_key import city_hash64, shard_of_key, shard_of_trace, shard_of_trace_bytes


class SplitError(ValueError):
    """A payload could not be split (it does not decode as its kind says)."""


@dataclass(frozen=True)
class Part:
    """The items of one request that belong to one shard."""

    shard: int
    payload: bytes
    items: int


def split_payload(kind: str, payload: bytes, shards: int) -> list[Part]:
    """Parts of `payload` (of payload kind `kind`) per shard, in shard order; counts are exact.

    A payload wholly in one shard is passed on unchanged (no re-serialisation).
    """
    splitter = _SPLITTERS.get(kind)
    if splitter is None:
        raise SplitError(f"no shard splitter for payload kind {kind!r}")
    if shards == 1:
        raise SplitError("splitting needs at least two shards")
    return splitter(payload, shards)


def _parse(cls: type[Message], payload: bytes) -> Message:
    try:
        return cls.FromString(payload)
    except DecodeError as exc:
        raise SplitError(f"payload is not a valid {cls.DESCRIPTOR.full_name}: {exc}") from exc


def _assemble(original: bytes, requests: dict[int, Message], counts: dict[int, int]) -> list[Part]:
    if len(requests) == 1:
        (shard,) = requests
        return [Part(shard, original, counts[shard])]
    return [Part(s, requests[s].SerializeToString(), counts[s]) for s in sorted(requests)]


def _split_records(payload: bytes, shards: int, cls: type[Message], top: str, scoped: str, items: str,
                   shard_of: Callable[[Message], int]) -> list[Part]:
    """Spans or log records: group each scope's items by shard under copies of resource and scope."""
    req = _parse(cls, payload)
    out: dict[int, Message] = {}
    counts: dict[int, int] = defaultdict(int)
    for top_msg in getattr(req, top):
        copies: dict[int, Message] = {}  # shard -> this resource's copy in that shard's request
        for scope_msg in getattr(top_msg, scoped):
            groups: dict[int, list[Message]] = defaultdict(list)
            for item in getattr(scope_msg, items):
                groups[shard_of(item)].append(item)
            for shard, members in groups.items():
                top_copy = copies.get(shard)
                if top_copy is None:
                    target = out.setdefault(shard, cls())
                    top_copy = copies[shard] = getattr(target, top).add()
                    top_copy.resource.CopyFrom(top_msg.resource)
                    top_copy.schema_url = top_msg.schema_url
                scope_copy = getattr(top_copy, scoped).add()
                scope_copy.scope.CopyFrom(scope_msg.scope)
                scope_copy.schema_url = scope_msg.schema_url
                getattr(scope_copy, items).extend(members)
                counts[shard] += len(members)
    return _assemble(payload, out, counts)


def _split_traces(payload: bytes, shards: int) -> list[Part]:
    return _split_records(payload, shards, trace_pb.ExportTraceServiceRequest, "resource_spans", "scope_spans",
                          "spans", lambda span: shard_of_trace_bytes(span.trace_id, shards))


def _log_shard(shards: int) -> Callable[[Message], int]:
    def shard_of(record: Message) -> int:
        if record.trace_id:
            return shard_of_trace_bytes(record.trace_id, shards)
        # Deterministic serialisation: the same record always goes to the same shard.
        return shard_of_key(record.SerializeToString(deterministic=True), shards)
    return shard_of


def _split_logs(payload: bytes, shards: int) -> list[Part]:
    return _split_records(payload, shards, logs_pb.ExportLogsServiceRequest, "resource_logs", "scope_logs",
                          "log_records", _log_shard(shards))


def _split_metrics(payload: bytes, shards: int) -> list[Part]:
    """Data points by series: hash of resource, metric name and the point's attributes."""
    req = _parse(metrics_pb.ExportMetricsServiceRequest, payload)
    out: dict[int, Message] = {}
    counts: dict[int, int] = defaultdict(int)
    for rm in req.resource_metrics:
        resource_key = rm.resource.SerializeToString(deterministic=True)
        copies: dict[int, Message] = {}
        for sm in rm.scope_metrics:
            scope_copies: dict[int, Message] = {}
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                if kind is None:
                    continue
                groups: dict[int, list[Message]] = defaultdict(list)
                name_key = resource_key + b"\x00" + metric.name.encode() + b"\x00"
                for point in getattr(metric, kind).data_points:
                    attrs = b"".join(kv.SerializeToString(deterministic=True) for kv in point.attributes)
                    groups[shard_of_key(name_key + attrs, shards)].append(point)
                for shard, points in groups.items():
                    if shard not in copies:
                        target = out.setdefault(shard, metrics_pb.ExportMetricsServiceRequest())
                        copies[shard] = target.resource_metrics.add()
                        copies[shard].resource.CopyFrom(rm.resource)
                        copies[shard].schema_url = rm.schema_url
                    if shard not in scope_copies:
                        scope_copies[shard] = copies[shard].scope_metrics.add()
                        scope_copies[shard].scope.CopyFrom(sm.scope)
                        scope_copies[shard].schema_url = sm.schema_url
                    m = scope_copies[shard].metrics.add()
                    m.CopyFrom(metric)
                    data = getattr(m, kind)
                    data.ClearField("data_points")
                    data.data_points.extend(points)
                    counts[shard] += len(points)
    return _assemble(payload, out, counts)


def _split_tail_rows(payload: bytes, shards: int) -> list[Part]:
    """JSONEachRow `events` rows: by their `trace_id` column (set for every tail row)."""
    groups: dict[int, list[bytes]] = defaultdict(list)
    # JSON escapes every control character inside strings, so b"\n" only ends rows.
    for raw in payload.split(b"\n"):
        if not raw.strip():
            continue
        line = raw + b"\n"
        try:
            trace_id = json.loads(line).get("trace_id") or ""
        except ValueError as exc:
            raise SplitError(f"tail row is not JSON: {exc}") from exc
        shard = shard_of_trace(trace_id, shards) if trace_id else city_hash64(line) % shards
        groups[shard].append(line)
    if len(groups) == 1:
        ((shard, lines),) = groups.items()
        return [Part(shard, payload, len(lines))]
    return [Part(s, b"".join(groups[s]), len(groups[s])) for s in sorted(groups)]


_SPLITTERS: dict[str, Callable[[bytes, int], list[Part]]] = {
    otlp_kind(Signal.TRACES): _split_traces,
    otlp_kind(Signal.LOGS): _split_logs,
    otlp_kind(Signal.METRICS): _split_metrics,
    TAIL_KIND: _split_tail_rows,
}
