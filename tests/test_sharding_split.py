"""Splitting requests by shard: exact counts, trace locality, and the shard function itself."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lsvc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as msvc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc

from tailhouse.collector.tail import TAIL_KIND
from tailhouse.exporters.clickhouse.sharding.shard_key import city_hash64, shard_of_trace, shard_of_trace_bytes
from tailhouse.exporters.clickhouse.sharding.splitter import SplitError, split_payload
from sharding_support import logs_request, metrics_request, spans_request, trace_ids

SHARDS = 3


def test_city_hash64_known_values() -> None:
    # Reference values computed by ClickHouse: SELECT cityHash64(''), cityHash64('abc')
    assert city_hash64(b"") == 11160318154034397263
    assert city_hash64(b"abc") == 4220206313085259313


def test_spans_split_by_trace_with_exact_counts() -> None:
    ids = trace_ids(300, seed=1)
    spans = [(tid, n) for n, tid in enumerate(ids * 3)]
    req = spans_request("svc", spans)
    parts = split_payload("otlp_traces", req.SerializeToString(), SHARDS)
    assert sum(p.items for p in parts) == len(spans)
    seen: dict[str, int] = {}
    for part in parts:
        got = tsvc.ExportTraceServiceRequest.FromString(part.payload)
        n = 0
        for rs in got.resource_spans:
            assert rs.resource.attributes[0].value.string_value == "svc"
            for ss in rs.scope_spans:
                assert ss.scope.name in ("a", "b")
                for s in ss.spans:
                    n += 1
                    assert shard_of_trace_bytes(s.trace_id, SHARDS) == part.shard
                    assert seen.setdefault(s.trace_id.hex(), part.shard) == part.shard
        assert n == part.items
    assert len(seen) == len(ids)


def test_one_shard_payload_passes_unchanged() -> None:
    tid = trace_ids(1, seed=2)[0]
    payload = spans_request("svc", [(tid, 1), (tid, 2)]).SerializeToString()
    (part,) = split_payload("otlp_traces", payload, SHARDS)
    assert part.payload is payload and part.items == 2 and part.shard == shard_of_trace_bytes(tid, SHARDS)


def test_logs_without_trace_id_spread_evenly_and_stably() -> None:
    records = [(b"", n) for n in range(3000)]
    payload = logs_request("svc", records).SerializeToString()
    parts = split_payload("otlp_logs", payload, SHARDS)
    sizes = {p.shard: p.items for p in parts}
    assert sum(sizes.values()) == 3000
    assert all(abs(v - 1000) <= 100 for v in sizes.values()), sizes
    assert [(p.shard, p.payload) for p in parts] == [(p.shard, p.payload) for p in split_payload("otlp_logs", payload, SHARDS)]
    for p in parts:
        got = lsvc.ExportLogsServiceRequest.FromString(p.payload)
        assert sum(len(sl.log_records) for rl in got.resource_logs for sl in rl.scope_logs) == p.items


def test_metrics_split_by_series_keep_metric_fields() -> None:
    payload = metrics_request("svc", range(600)).SerializeToString()
    parts = split_payload("otlp_metrics", payload, SHARDS)
    assert sum(p.items for p in parts) == 1200
    assert len(parts) == SHARDS
    series_shard: dict[tuple[str, int], int] = {}
    for p in parts:
        got = msvc.ExportMetricsServiceRequest.FromString(p.payload)
        n = 0
        for m in got.resource_metrics[0].scope_metrics[0].metrics:
            kind = m.WhichOneof("data")
            if kind == "sum":
                assert m.sum.is_monotonic
            for point in getattr(m, kind).data_points:
                n += 1
                series_shard[(m.name, point.attributes[0].value.int_value)] = p.shard
        assert n == p.items
    assert len(series_shard) == 1200  # no point in two shards


def test_tail_rows_split_by_trace_id_column() -> None:
    ids = [t.hex() for t in trace_ids(200, seed=3)]
    rows = [{"trace_id": t, "body": "line\u2028with separator\nescaped", "event_type": et} for t in ids for et in ("tail", "log")]
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    parts = split_payload(TAIL_KIND, payload, SHARDS)
    assert sum(p.items for p in parts) == len(rows)
    counts: Counter[str] = Counter()
    for p in parts:
        for line in p.payload.decode().split("\n"):
            if line:
                tid = json.loads(line)["trace_id"]
                assert shard_of_trace(tid, SHARDS) == p.shard
                counts[tid] += 1
    assert set(counts.values()) == {2}


def test_undecodable_payload_is_a_split_error() -> None:
    with pytest.raises(SplitError):
        split_payload("otlp_traces", b"\xff\xff\xff", SHARDS)
    with pytest.raises(SplitError):
        split_payload("unknown", b"", SHARDS)
