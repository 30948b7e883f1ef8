"""Property test: random OTLP trace and log requests; every field is recoverable from the rows."""

from __future__ import annotations

import json
import math
import uuid

import grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lsvc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tailhouse.exporters.clickhouse.value_codec import decode_attributes, decode_value
from harness import RunningService

# Strings that the JSON rendering of nested values reserves (documented limits of the mapping).
_RESERVED = {"NaN", "Infinity", "-Infinity"}
_RESERVED_KEYS = {"bytesValue", "arrayValueProtobuf", "kvlistValueProtobuf"}

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
nested_text = text.filter(lambda s: s not in _RESERVED)
keys = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10).filter(
    lambda s: s not in _RESERVED_KEYS
)
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
doubles = st.floats(allow_nan=True, allow_infinity=True)
ts = st.integers(min_value=0, max_value=2**62)


def _scalar(s: str = "any") -> st.SearchStrategy[AnyValue]:
    return st.one_of(
        (nested_text if s == "nested" else text).map(lambda v: AnyValue(string_value=v)),
        int64.map(lambda v: AnyValue(int_value=v)),
        doubles.map(lambda v: AnyValue(double_value=v)),
        st.booleans().map(lambda v: AnyValue(bool_value=v)),
        st.binary(max_size=8).map(lambda v: AnyValue(bytes_value=v)),
        st.just(AnyValue()),
    )


def _any_value(top_level_text: str = "any") -> st.SearchStrategy[AnyValue]:
    nested = st.recursive(
        _scalar("nested"),
        lambda children: st.one_of(
            st.lists(children, max_size=3).map(lambda vs: _array(vs)),
            st.dictionaries(keys, children, max_size=3).map(lambda d: _kvlist(d)),
        ),
        max_leaves=8,
    )
    return st.one_of(
        _scalar(top_level_text),
        st.lists(nested, max_size=3).map(lambda vs: _array(vs)),
        st.dictionaries(keys, nested, max_size=3).map(lambda d: _kvlist(d)),
    )


def _array(values: list[AnyValue]) -> AnyValue:
    v = AnyValue()
    v.array_value.values.extend(values)
    v.array_value.SetInParent()
    return v


def _kvlist(items: dict[str, AnyValue]) -> AnyValue:
    v = AnyValue()
    v.kvlist_value.SetInParent()
    for k, item in items.items():
        v.kvlist_value.values.add(key=k).value.CopyFrom(item)
    return v


attributes = st.dictionaries(keys, _any_value(), max_size=4)


def _fill(target, attrs: dict[str, AnyValue]) -> None:  # type: ignore[no-untyped-def]
    for k, v in attrs.items():
        target.add(key=k).value.CopyFrom(v)


def _same_value(a: AnyValue, b: AnyValue) -> bool:
    """Equality that treats NaN as equal to NaN and an empty container as equal to an empty one."""
    ka, kb = a.WhichOneof("value"), b.WhichOneof("value")
    if ka != kb:
        return False
    if ka == "double_value":
        x, y = a.double_value, b.double_value
        return (math.isnan(x) and math.isnan(y)) or x == y
    if ka == "array_value":
        xs, ys = a.array_value.values, b.array_value.values
        return len(xs) == len(ys) and all(_same_value(x, y) for x, y in zip(xs, ys))
    if ka == "kvlist_value":
        xs, ys = a.kvlist_value.values, b.kvlist_value.values
        return [x.key for x in xs] == [y.key for y in ys] and all(_same_value(x.value, y.value) for x, y in zip(xs, ys))
    return a == b


def _assert_attrs(values: dict, types: dict, sent: dict[str, AnyValue]) -> None:
    got = decode_attributes(values, types)
    assert set(got) == set(sent)
    for k, v in sent.items():
        assert _same_value(got[k], v), (k, v, got[k])


def _ns(col: str) -> str:
    return f"toString(toUnixTimestamp64Nano({col})) AS `{col}_ns`"


span_strategy = st.fixed_dictionaries(
    {
        "trace_id": st.binary(min_size=16, max_size=16),
        "span_id": st.binary(min_size=8, max_size=8),
        "parent_span_id": st.one_of(st.just(b""), st.binary(min_size=8, max_size=8)),
        "trace_state": text,
        "flags": st.integers(min_value=0, max_value=2**32 - 1),
        "name": text,
        "kind": st.integers(min_value=0, max_value=5),
        "start": ts,
        "end": ts,
        "attributes": attributes,
        "dropped_attributes_count": st.integers(min_value=0, max_value=2**32 - 1),
        "events": st.lists(st.tuples(ts, text, attributes, st.integers(0, 100)), max_size=2),
        "dropped_events_count": st.integers(0, 1000),
        "links": st.lists(
            st.tuples(st.binary(min_size=16, max_size=16), st.binary(min_size=8, max_size=8), text, attributes,
                      st.integers(0, 2**32 - 1), st.integers(0, 100)),
            max_size=2,
        ),
        "dropped_links_count": st.integers(0, 1000),
        "status": st.tuples(st.integers(0, 2), text),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(span=span_strategy, resource=attributes, scope=st.tuples(text, text, attributes), urls=st.tuples(text, text))
def test_random_spans_round_trip(service: RunningService, span: dict, resource: dict, scope: tuple, urls: tuple) -> None:
    service_name = f"prop-{uuid.uuid4().hex}"
    req = tsvc.ExportTraceServiceRequest()
    rs = req.resource_spans.add(schema_url=urls[0])
    _fill(rs.resource.attributes, {**resource, "service.name": AnyValue(string_value=service_name)})
    ss = rs.scope_spans.add(schema_url=urls[1])
    ss.scope.name, ss.scope.version = scope[0], scope[1]
    _fill(ss.scope.attributes, scope[2])
    s = ss.spans.add(
        trace_id=span["trace_id"], span_id=span["span_id"], parent_span_id=span["parent_span_id"],
        trace_state=span["trace_state"], flags=span["flags"], name=span["name"], kind=span["kind"],
        start_time_unix_nano=span["start"], end_time_unix_nano=span["end"],
        dropped_attributes_count=span["dropped_attributes_count"], dropped_events_count=span["dropped_events_count"],
        dropped_links_count=span["dropped_links_count"],
    )
    _fill(s.attributes, span["attributes"])
    for t, name, attrs, dropped in span["events"]:
        e = s.events.add(time_unix_nano=t, name=name, dropped_attributes_count=dropped)
        _fill(e.attributes, attrs)
    for tid, sid, state, attrs, flags, dropped in span["links"]:
        link = s.links.add(trace_id=tid, span_id=sid, trace_state=state, flags=flags, dropped_attributes_count=dropped)
        _fill(link.attributes, attrs)
    s.status.code, s.status.message = span["status"]
    with grpc.insecure_channel(service.grpc_endpoint) as ch:
        TraceServiceStub(ch).Export(req, timeout=60)

    (row,) = service.query(
        "SELECT *, " + ", ".join([_ns("timestamp"), _ns("end_timestamp")])
        + ", arrayMap(x -> toString(toUnixTimestamp64Nano(x)), `events.timestamp`) AS ev_ns"
        + f" FROM events WHERE service_name = '{service_name}'"
    )
    assert row["trace_id"] == span["trace_id"].hex() and row["span_id"] == span["span_id"].hex()
    assert row["parent_span_id"] == span["parent_span_id"].hex()
    assert row["trace_state"] == span["trace_state"] and int(row["trace_flags"]) == span["flags"]
    assert row["event_name"] == span["name"]
    assert row["span_kind"] == ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"][span["kind"]]
    assert int(row["timestamp_ns"]) == span["start"] and int(row["end_timestamp_ns"]) == span["end"]
    assert int(row["duration_ns"]) == max(span["end"] - span["start"], 0)
    _assert_attrs(row["attributes"], row["attribute_types"], span["attributes"])
    sent_resource = {**resource, "service.name": AnyValue(string_value=service_name)}
    _assert_attrs(row["resource_attributes"], row["resource_attribute_types"], sent_resource)
    _assert_attrs(row["scope_attributes"], row["scope_attribute_types"], scope[2])
    assert (row["scope_name"], row["scope_version"]) == (scope[0], scope[1])
    assert (row["resource_schema_url"], row["scope_schema_url"]) == urls
    assert int(row["dropped_attributes_count"]) == span["dropped_attributes_count"]
    assert int(row["dropped_events_count"]) == span["dropped_events_count"]
    assert int(row["dropped_links_count"]) == span["dropped_links_count"]
    assert row["status_code"] == ["Unset", "Ok", "Error"][span["status"][0]] and row["status_message"] == span["status"][1]
    assert [int(x) for x in row["ev_ns"]] == [e[0] for e in span["events"]]
    assert row["events.name"] == [e[1] for e in span["events"]]
    for i, e in enumerate(span["events"]):
        _assert_attrs(row["events.attributes"][i], row["events.attribute_types"][i], e[2])
        assert int(row["events.dropped_attributes_count"][i]) == e[3]
    assert row["links.trace_id"] == [x[0].hex() for x in span["links"]]
    assert row["links.span_id"] == [x[1].hex() for x in span["links"]]
    assert row["links.trace_state"] == [x[2] for x in span["links"]]
    assert [int(f) for f in row["links.flags"]] == [x[4] for x in span["links"]]
    assert [int(d) for d in row["links.dropped_attributes_count"]] == [x[5] for x in span["links"]]
    for i, x in enumerate(span["links"]):
        _assert_attrs(row["links.attributes"][i], row["links.attribute_types"][i], x[3])


log_strategy = st.fixed_dictionaries(
    {
        "time": st.one_of(st.just(0), ts),
        "observed": ts,
        "severity_number": st.integers(0, 24),
        "severity_text": text,
        "body": _any_value(),
        "attributes": attributes,
        "dropped": st.integers(0, 1000),
        "flags": st.integers(0, 2**32 - 1),
        "trace_id": st.one_of(st.just(b""), st.binary(min_size=16, max_size=16)),
        "span_id": st.one_of(st.just(b""), st.binary(min_size=8, max_size=8)),
        "event_name": text,
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(log=log_strategy)
def test_random_logs_round_trip(service: RunningService, log: dict) -> None:
    service_name = f"prop-{uuid.uuid4().hex}"
    req = lsvc.ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = service_name
    r = rl.scope_logs.add().log_records.add(
        time_unix_nano=log["time"], observed_time_unix_nano=log["observed"], severity_number=log["severity_number"],
        severity_text=log["severity_text"], dropped_attributes_count=log["dropped"], flags=log["flags"],
        trace_id=log["trace_id"], span_id=log["span_id"], event_name=log["event_name"],
    )
    r.body.CopyFrom(log["body"])
    _fill(r.attributes, log["attributes"])
    with grpc.insecure_channel(service.grpc_endpoint) as ch:
        LogsServiceStub(ch).Export(req, timeout=60)

    (row,) = service.query(
        f"SELECT *, {_ns('timestamp')}, {_ns('observed_timestamp')} FROM events WHERE service_name = '{service_name}'"
    )
    data = json.loads(row["data"]) if row["data"] else {}
    sent_time = 0 if data.get("time_unix_nano_unset") else int(row["timestamp_ns"])
    assert sent_time == log["time"]
    if log["time"] == 0:
        assert int(row["timestamp_ns"]) == log["observed"]  # unset time falls back to observed time
    assert int(row["observed_timestamp_ns"]) == log["observed"]
    assert int(row["severity_number"]) == log["severity_number"] and row["severity_text"] == log["severity_text"]
    assert _same_value(decode_value(row["body"], row["body_type"]), log["body"])
    _assert_attrs(row["attributes"], row["attribute_types"], log["attributes"])
    assert int(row["dropped_attributes_count"]) == log["dropped"] and int(row["trace_flags"]) == log["flags"]
    assert row["trace_id"] == log["trace_id"].hex() and row["span_id"] == log["span_id"].hex()
    assert row["event_name"] == log["event_name"]
