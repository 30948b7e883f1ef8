"""OTLP/JSON decoding: any OTLP request, written as proto3 JSON allows, decodes to the same protobuf.

Random requests of all three signals are built field by field from the .proto descriptors, written
out by protobuf's own JSON printer (both field spellings, enums as names or numbers, ids as hex),
then decoded; the result must serialize to the same bytes.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb

from tailhouse.collector.otlp_json import request_from_json
from tailhouse.collector.otlp_requests import InvalidRequest
from tailhouse.pipeline.signals import Signal

REQUESTS = {Signal.TRACES: trace_pb.ExportTraceServiceRequest, Signal.LOGS: logs_pb.ExportLogsServiceRequest,
            Signal.METRICS: metrics_pb.ExportMetricsServiceRequest}
ID_FIELDS = {"trace_id", "span_id", "parent_span_id"}
INT_RANGES = {
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1), FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1), FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1), FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1), FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1), FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
}


def _scalar(data: st.DataObject, field: FieldDescriptor) -> Any:
    t = field.type
    if t in INT_RANGES:
        lo, hi = INT_RANGES[t]
        return data.draw(st.integers(lo, hi))
    if t == FieldDescriptor.TYPE_DOUBLE:
        return data.draw(st.floats(allow_nan=False) | st.just(math.nan))  # JSON has one NaN, no payloads
    if t == FieldDescriptor.TYPE_BOOL:
        return data.draw(st.booleans())
    if t == FieldDescriptor.TYPE_STRING:
        return data.draw(st.text(max_size=8))
    if t == FieldDescriptor.TYPE_BYTES:
        size = data.draw(st.sampled_from([0, 8, 16]) if field.name in ID_FIELDS else st.integers(0, 12))
        return data.draw(st.binary(min_size=size, max_size=size))
    if t == FieldDescriptor.TYPE_ENUM:
        return data.draw(st.sampled_from([v.number for v in field.enum_type.values]))
    raise AssertionError(f"unexpected field type {t}")


def _fill(data: st.DataObject, msg: Message, depth: int) -> None:
    descriptor: Descriptor = msg.DESCRIPTOR
    oneofs_done: set[str] = set()
    for field in descriptor.fields:
        oneof = field.containing_oneof
        if oneof is not None and (oneof.name in oneofs_done or not data.draw(st.booleans())):
            continue
        if field.type == FieldDescriptor.TYPE_MESSAGE and depth <= 0:
            continue
        if not data.draw(st.integers(0, 3)):  # often leave a field unset
            continue
        if oneof is not None:
            oneofs_done.add(oneof.name)
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.is_repeated:
                for _ in range(data.draw(st.integers(0, 2))):
                    _fill(data, getattr(msg, field.name).add(), depth - 1)
            else:
                getattr(msg, field.name).SetInParent()
                _fill(data, getattr(msg, field.name), depth - 1)
        elif field.is_repeated:
            getattr(msg, field.name).extend(_scalar(data, field) for _ in range(data.draw(st.integers(0, 3))))
        else:
            setattr(msg, field.name, _scalar(data, field))


def _ids_to_hex(node: Any) -> Any:
    """protobuf's printer writes bytes as base64; OTLP/JSON writes ids as hex."""
    if isinstance(node, dict):
        return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId", *ID_FIELDS) else
                    _ids_to_hex(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_ids_to_hex(v) for v in node]
    return node


def _int64_keys(descriptors: list[Descriptor]) -> frozenset[str]:
    """JSON keys (both spellings) of the 64-bit integer fields, which proto3 JSON writes as strings."""
    keys: set[str] = set()
    seen: set[str] = set()
    todo = list(descriptors)
    while todo:
        d = todo.pop()
        if d.full_name in seen:
            continue
        seen.add(d.full_name)
        for f in d.fields:
            if f.type == FieldDescriptor.TYPE_MESSAGE:
                todo.append(f.message_type)
            elif f.type in INT_RANGES and INT_RANGES[f.type][1] > 2**32:
                keys.update((f.name, f.json_name))
    return frozenset(keys)


INT64_KEYS = _int64_keys([r.DESCRIPTOR for r in REQUESTS.values()])


def _numbers_as_numbers(node: Any) -> Any:
    """64-bit integers written as JSON numbers rather than strings (both are valid)."""
    if isinstance(node, dict):
        return {k: (int(v) if k in INT64_KEYS and isinstance(v, str) else
                    [int(x) for x in v] if k in INT64_KEYS and isinstance(v, list) else
                    _numbers_as_numbers(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_numbers_as_numbers(v) for v in node]
    return node


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), signal=st.sampled_from(list(Signal)), proto_names=st.booleans(), enum_numbers=st.booleans(),
       int_numbers=st.booleans())
def test_any_request_round_trips(data: st.DataObject, signal: Signal, proto_names: bool, enum_numbers: bool,
                                 int_numbers: bool) -> None:
    msg = REQUESTS[signal]()
    _fill(data, msg, depth=6)
    doc = _ids_to_hex(json_format.MessageToDict(msg, preserving_proto_field_name=proto_names,
                                                use_integers_for_enums=enum_numbers))
    if int_numbers:
        doc = _numbers_as_numbers(doc)
    decoded = REQUESTS[signal].FromString(request_from_json(signal, json.dumps(doc).encode()))
    assert decoded.SerializeToString(deterministic=True) == msg.SerializeToString(deterministic=True)


def _one_attribute(value: dict[str, Any]) -> Any:
    doc = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"attributes": [{"key": "k", "value": value}]}]}]}]}
    req = logs_pb.ExportLogsServiceRequest.FromString(request_from_json(Signal.LOGS, json.dumps(doc).encode()))
    v = req.resource_logs[0].scope_logs[0].log_records[0].attributes[0].value
    return getattr(v, v.WhichOneof("value")) if v.WhichOneof("value") else None


@pytest.mark.parametrize("value, expected", [
    ({"intValue": "9007199254740993"}, 9007199254740993),
    ({"intValue": 12}, 12),
    ({"intValue": "1e3"}, 1000),
    ({"intValue": 1.5e18}, 1_500_000_000_000_000_000),
    ({"int_value": "-5"}, -5),
    ({"doubleValue": "2.5"}, 2.5),
    ({"doubleValue": 3}, 3),
    ({"doubleValue": "Infinity"}, math.inf),
    ({"doubleValue": "-Infinity"}, -math.inf),
    ({"bytesValue": "aGk"}, b"hi"),
    ({"bytesValue": "_-8="}, b"\xff\xef"),
    ({"boolValue": False}, False),
    ({"doubleValue": None}, None),
    ({"arrayValue": {}}, []),
])
def test_scalar_spellings(value: dict[str, Any], expected: Any) -> None:
    got = _one_attribute(value)
    if isinstance(expected, list):
        assert list(got.values) == expected
    else:
        assert got == expected


def test_nan_and_unknown_enum_names() -> None:
    assert math.isnan(_one_attribute({"doubleValue": "NaN"}))
    doc = b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a","kind":"SPAN_KIND_FUTURE",' \
          b'"attributes":[{"key":"x","value":{"doubleValue":NaN}}]}]}]}]}'
    req = trace_pb.ExportTraceServiceRequest.FromString(request_from_json(Signal.TRACES, doc))
    span = req.resource_spans[0].scope_spans[0].spans[0]
    assert span.kind == 0 and math.isnan(span.attributes[0].value.double_value)


@pytest.mark.parametrize("value, problem", [
    ({"intValue": "12x"}, "$.resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0].value.intValue: expected an integer"),
    ({"intValue": 1.5}, "expected an integer"),
    ({"intValue": True}, "expected an integer"),
    ({"doubleValue": "nan"}, 'expected a number, "NaN"'),
    ({"stringValue": 5}, "expected a string"),
    ({"boolValue": "true"}, "expected true or false"),
    ({"bytesValue": "%%%"}, "expected base64 bytes"),
    ({"kvlistValue": []}, "expected a JSON object for KeyValueList"),
])
def test_bad_values_name_their_path(value: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidRequest, match=problem.replace("[", r"\[").replace("]", r"\]").replace("$", r"\$")):
        _one_attribute(value)


def test_bad_ids_and_ranges() -> None:
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "not-hex", "name": "x"}]}]}]}
    with pytest.raises(InvalidRequest, match=r"spans\[0\]\.traceId: ids are hex strings"):
        request_from_json(Signal.TRACES, json.dumps(doc).encode())
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "-1"}]}]}]}
    with pytest.raises(InvalidRequest, match=r"startTimeUnixNano: '-1' does not fit"):
        request_from_json(Signal.TRACES, json.dumps(doc).encode())
    with pytest.raises(InvalidRequest, match=r"resourceSpans: expected a JSON array"):
        request_from_json(Signal.TRACES, b'{"resourceSpans": {}}')
