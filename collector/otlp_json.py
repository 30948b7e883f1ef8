"""OTLP/JSON ⇄ protobuf bytes, following OTLP's JSON mapping.

OTLP/JSON is the proto3 JSON mapping with three differences this module handles: trace and span
ids are hex strings (proto3 JSON would use base64), enums are integers (names are accepted too, as
proto3 JSON has them) and field names are lowerCamelCase (the original proto names are accepted
too). Everything else proto3 JSON allows is accepted: 64-bit integers as strings or numbers (also
`1e3`), doubles as numbers or strings including "NaN", "Infinity" and "-Infinity" (and the bare
`NaN`/`Infinity` tokens some encoders write), `null` for a default value, base64 bytes with or
without padding. Unknown fields and unknown enum names are ignored, as the OTLP spec asks of
receivers. An empty body is an empty request, as it is in protobuf (some senders probe an endpoint
that way before using it).

`otlp_json_decode` does the decoding (protobuf's generic `json_format` is several times slower).
The output is the protobuf request the rest of the pipeline (validation, batching, the ClickHouse
mapping) already understands, so JSON needs no second path.
"""

from __future__ import annotations

import json

from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb

from tailhouse.pipeline.signals import Signal

from .otlp_json_decode import decode
from .otlp_requests import InvalidRequest

_REQUESTS: dict[Signal, type[Message]] = {
    Signal.TRACES: trace_pb.ExportTraceServiceRequest,
    Signal.LOGS: logs_pb.ExportLogsServiceRequest,
    Signal.METRICS: metrics_pb.ExportMetricsServiceRequest,
}
_RESPONSES: dict[Signal, type[Message]] = {
    Signal.TRACES: trace_pb.ExportTraceServiceResponse,
    Signal.LOGS: logs_pb.ExportLogsServiceResponse,
    Signal.METRICS: metrics_pb.ExportMetricsServiceResponse,
}


def request_from_json(signal: Signal, body: bytes) -> bytes:
    """Protobuf bytes of the export request in OTLP/JSON `body`; InvalidRequest when it isn't one."""
    if not body.strip():
        return b""
    try:
        # Bare NaN/Infinity/-Infinity (not JSON, but written by e.g. Python's json) become the
        # quoted names proto3 JSON uses for these doubles.
        doc = json.loads(body, parse_constant=str)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidRequest(f"an OTLP/JSON request is a JSON object, got {type(doc).__name__}")
    msg = _REQUESTS[signal]()
    decode(msg, doc)
    return msg.SerializeToString()


def response_to_json(signal: Signal, response: bytes) -> bytes:
    """OTLP/JSON of a serialized Export*ServiceResponse (`{}` when there is no partial success)."""
    msg = _RESPONSES[signal].FromString(response)
    return json.dumps(json_format.MessageToDict(msg)).encode()


def status_bytes(code: int, message: str, as_json: bool) -> bytes:
    """A google.rpc.Status body (OTLP/HTTP's error body) as protobuf or JSON."""
    status = status_pb2.Status(code=code, message=message)
    if as_json:
        return json.dumps(json_format.MessageToDict(status)).encode()
    return status.SerializeToString()

