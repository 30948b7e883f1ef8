"""Helpers for the security tests: a service with every port hardened, attacks, and row counts."""

from __future__ import annotations

import gzip
import json
import socket
import time
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from harness import RunningService, http_request, start

TOKEN = "adm1n-t0ken"
TAIL_TOKEN = "t4il-t0ken"


def hardened_service(tmp: Path, memory_limit: str = "96KiB") -> RunningService:
    """A service with OTLP gRPC/HTTP, tail HTTP/gRPC and an authenticated admin port, all on loopback (thread mode)."""
    return start(tmp, "hardened", mode="thread", token=TOKEN, tail_token=TAIL_TOKEN, memory_limit=memory_limit)


def count_rows(svc: RunningService, where: str = "1") -> int:
    """Rows in `events` (read with the exporter's own client, not through the admin endpoint)."""
    return int(svc.store_rows(f"SELECT count() FROM tailhouse.events WHERE {where}")[0][0])


def span_request(service: str, name: str = "op", trace_byte: int = 1) -> bytes:
    """Serialized ExportTraceServiceRequest with one span of `service`."""
    span = trace_pb2.Span(trace_id=bytes([trace_byte]) * 16, span_id=bytes([trace_byte]) * 8, name=name,
                          start_time_unix_nano=time.time_ns(), end_time_unix_nano=time.time_ns() + 1000)
    resource = resource_pb2.Resource(attributes=[common_pb2.KeyValue(
        key="service.name", value=common_pb2.AnyValue(string_value=service))])
    req = trace_pb.ExportTraceServiceRequest(resource_spans=[trace_pb2.ResourceSpans(
        resource=resource, scope_spans=[trace_pb2.ScopeSpans(spans=[span])])])
    return req.SerializeToString()


def tail_item(script: str, message: Any = "hello") -> dict[str, Any]:
    """A minimal fetch TraceItem with one console log."""
    ms = int(time.time() * 1000)
    return {"scriptName": script, "outcome": "ok", "eventTimestamp": ms, "wallTime": 3, "cpuTime": 1,
            "truncated": False, "executionModel": "stateless",
            "event": {"request": {"url": "https://example.com/x", "method": "GET", "headers": {}},
                      "response": {"status": 200}},
            "logs": [{"level": "log", "message": [message], "timestamp": ms}], "exceptions": [],
            "diagnosticsChannelEvents": []}


def gzip_members(*parts: bytes) -> bytes:
    """A multi-member gzip body (RFC 1952): each part compressed as its own member."""
    return b"".join(gzip.compress(p) for p in parts)


def admin_request(svc: RunningService, path: str, body: bytes | None = None, token: str | None = TOKEN,
                  headers: dict[str, str] | None = None, method: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request to the admin endpoint (with the bearer token unless `token` is None)."""
    hdrs = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    return http_request(svc.admin_url + path, body, hdrs, method)


def error_of(body: bytes) -> str:
    return str(json.loads(body).get("error", ""))


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """(closed by the server within `seconds`, bytes it sent) for a connected socket."""
    sock.settimeout(0.2)
    got = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionError:
            return True, got
        if not chunk:
            return True, got
        got += chunk
    return False, got
