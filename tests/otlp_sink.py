"""A small OTLP receiver for tests (gRPC and HTTP/protobuf on loopback): records every export request.

It can be told to fail the next calls (a gRPC status with an optional RetryInfo delay, or an HTTP
status with Retry-After), to check the forwarding exporters' retry rules against a real server.
"""

from __future__ import annotations

import gzip
import ssl
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import zstandard
from google.protobuf.duration_pb2 import Duration
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

SERVICES = {
    "traces": ("opentelemetry.proto.collector.trace.v1.TraceService", ExportTraceServiceRequest),
    "logs": ("opentelemetry.proto.collector.logs.v1.LogsService", ExportLogsServiceRequest),
    "metrics": ("opentelemetry.proto.collector.metrics.v1.MetricsService", ExportMetricsServiceRequest),
}


@dataclass
class Failure:
    """How to answer one call: a gRPC status code name or an HTTP status, optionally with a retry delay."""

    grpc_code: str = "UNAVAILABLE"
    http_status: int = 503
    retry_after: float | None = None


@dataclass
class OtlpSink:
    """Records export requests received over gRPC and HTTP; `fail` queues failures for the next calls."""

    received: list[tuple[str, bytes]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail: list[Failure] = field(default_factory=list)
    failed_calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _grpc: Any = None
    _http: Any = None

    def _next_failure(self) -> Failure | None:
        with self._lock:
            if self.fail:
                self.failed_calls += 1
                return self.fail.pop(0)
        return None

    def _record(self, signal: str, body: bytes, headers: dict[str, str]) -> None:
        with self._lock:
            self.received.append((signal, body))
            self.headers.append(headers)

    # ---- gRPC ------------------------------------------------------------------------------

    def start_grpc(self, port: int = 0, tls: tuple[Path, Path] | None = None) -> int:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        for signal, (service, _) in SERVICES.items():
            server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, {
                "Export": grpc.unary_unary_rpc_method_handler(self._grpc_handler(signal))}),))
        if tls is None:
            bound = server.add_insecure_port(f"127.0.0.1:{port}")
        else:
            creds = grpc.ssl_server_credentials([(tls[1].read_bytes(), tls[0].read_bytes())])
            bound = server.add_secure_port(f"127.0.0.1:{port}", creds)
        server.start()
        self._grpc = server
        return bound

    def _grpc_handler(self, signal: str):  # type: ignore[no-untyped-def]
        def export(request: bytes, context: grpc.ServicerContext) -> bytes:
            failure = self._next_failure()
            if failure is not None:
                code = getattr(grpc.StatusCode, failure.grpc_code)
                if failure.retry_after is not None:
                    delay = Duration()
                    delay.FromNanoseconds(int(failure.retry_after * 1e9))
                    status = status_pb2.Status(code=getattr(code_pb2, failure.grpc_code), message="sink says no")
                    status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=delay))
                    context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
                context.abort(code, "sink says no")
            self._record(signal, request, {k: v for k, v in context.invocation_metadata() if isinstance(v, str)})
            return b""
        return export

    # ---- HTTP ------------------------------------------------------------------------------

    def start_http(self, port: int = 0, tls: tuple[Path, Path] | None = None) -> int:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "zstd":
                    body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
                failure = sink._next_failure()
                if failure is not None:
                    self.send_response(failure.http_status)
                    if failure.retry_after is not None:
                        self.send_header("Retry-After", str(int(failure.retry_after)))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                signal = self.path.rsplit("/", 1)[-1]
                sink._record(signal, body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._http = server
        return int(server.server_address[1])

    def stop(self) -> None:
        if self._grpc is not None:
            self._grpc.stop(0)
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    # ---- reading what arrived -------------------------------------------------------------

    def requests(self, signal: str) -> list[Any]:
        with self._lock:
            bodies = [b for s, b in self.received if s == signal]
        out = []
        for body in bodies:
            msg = SERVICES[signal][1]()
            msg.ParseFromString(body)
            out.append(msg)
        return out

    def spans(self) -> list[Any]:
        return [s for r in self.requests("traces") for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans]

    def log_records(self) -> list[tuple[Any, Any]]:
        """(resource, record) of every forwarded log record."""
        return [(rl.resource, lr) for r in self.requests("logs") for rl in r.resource_logs for sl in rl.scope_logs
                for lr in sl.log_records]

    def data_points(self) -> int:
        n = 0
        for r in self.requests("metrics"):
            for rm in r.resource_metrics:
                for sm in rm.scope_metrics:
                    for m in sm.metrics:
                        kind = m.WhichOneof("data")
                        n += len(getattr(m, kind).data_points) if kind else 0
        return n

    def wait(self, predicate: Any, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return bool(predicate())
