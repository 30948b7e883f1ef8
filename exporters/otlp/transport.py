"""Sending one serialized OTLP export request over gRPC or HTTP, with the OTLP spec's retry rules.

Both transports raise `ForwardError` (an ExportError) when the destination did not take a request:

- gRPC: retryable are CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS,
  and RESOURCE_EXHAUSTED only when the server sent RetryInfo (it can recover); everything else
  (INVALID_ARGUMENT, UNAUTHENTICATED, UNIMPLEMENTED, …) is permanent.
- HTTP: 429, 502, 503, 504 and connection failures or timeouts are retryable; other non-2xx
  answers are permanent.

A server's delay hint (gRPC RetryInfo, HTTP Retry-After) travels as `ForwardError.hint`: the
exporter waits at least that long before its next push.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import grpc
import zstandard
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from tailhouse.pipeline.errors import ExportError
from tailhouse.pipeline.signals import Signal

from .config import ClientTLSConfig, OtlpExporterConfig, OtlpHttpExporterConfig

log = logging.getLogger(__name__)

_GRPC_METHODS = {
    Signal.TRACES: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    Signal.LOGS: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    Signal.METRICS: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
}
_RESPONSES: dict[Signal, Any] = {
    Signal.TRACES: trace_service_pb2.ExportTraceServiceResponse,
    Signal.LOGS: logs_service_pb2.ExportLogsServiceResponse,
    Signal.METRICS: metrics_service_pb2.ExportMetricsServiceResponse,
}
_REJECTED_FIELD = {Signal.TRACES: "rejected_spans", Signal.LOGS: "rejected_log_records",
                   Signal.METRICS: "rejected_data_points"}

RETRYABLE_GRPC = frozenset({grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED,
                            grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DATA_LOSS})
RETRYABLE_HTTP = frozenset({429, 502, 503, 504})


class ForwardError(ExportError):
    """The destination did not take a request; `hint` is its requested delay in seconds (None: none given)."""

    def __init__(self, message: str, retryable: bool, hint: float | None = None) -> None:
        super().__init__(message, retryable, retry_after=hint if hint is not None else 5.0)
        self.hint = hint


@dataclass(frozen=True)
class PartialSuccess:
    """The destination took the request but refused `rejected` items of it (not retried, per the spec)."""

    rejected: int
    message: str


class Transport(Protocol):
    endpoint: str

    async def connect(self) -> None: ...
    async def send(self, signal: Signal, body: bytes) -> PartialSuccess | None: ...
    async def close(self) -> None: ...


def _partial(signal: Signal, response: Any) -> PartialSuccess | None:
    if not response.HasField("partial_success"):
        return None
    ps = response.partial_success
    rejected = int(getattr(ps, _REJECTED_FIELD[signal]))
    return PartialSuccess(rejected, ps.error_message) if rejected or ps.error_message else None


def retry_info_delay(status_details: bytes | None) -> float | None:
    """The RetryInfo delay (seconds) in a serialized google.rpc.Status, if it carries one."""
    if not status_details:
        return None
    status = status_pb2.Status()
    try:
        status.ParseFromString(status_details)
    except Exception:  # a malformed detail is no hint; the status code still decides
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return info.retry_delay.ToNanoseconds() / 1e9
    return None


def classify_grpc(code: grpc.StatusCode, details: str, status_details: bytes | None) -> ForwardError:
    """The ForwardError for a failed gRPC export call, per the OTLP spec's retry rules."""
    hint = retry_info_delay(status_details)
    retryable = code in RETRYABLE_GRPC or (code == grpc.StatusCode.RESOURCE_EXHAUSTED and hint is not None)
    return ForwardError(f"gRPC {code.name}: {details}", retryable, hint)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds of an HTTP Retry-After header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def classify_http(status: int, body: bytes, retry_after: str | None) -> ForwardError:
    """The ForwardError for a non-2xx OTLP/HTTP answer."""
    message = body[:300].decode("utf-8", "replace")
    st = status_pb2.Status()
    try:
        st.ParseFromString(body)
        if st.message:
            message = st.message
    except Exception:  # not a google.rpc.Status: keep the raw text
        pass
    hint = retry_after_seconds(retry_after) if status in RETRYABLE_HTTP else None
    return ForwardError(f"HTTP {status}: {message.strip()}", status in RETRYABLE_HTTP, hint)


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


class GrpcTransport:
    """OTLP/gRPC export calls on one channel; the request bytes are sent as they are (no re-encoding)."""

    def __init__(self, config: OtlpExporterConfig) -> None:
        self.config = config
        self.endpoint = config.endpoint
        self._channel: grpc.aio.Channel | None = None
        self._calls: dict[Signal, Any] = {}

    async def connect(self) -> None:
        cfg = self.config
        options: list[tuple[str, Any]] = [("grpc.max_send_message_length", -1)]
        compression = grpc.Compression.Gzip if cfg.compression == "gzip" else grpc.Compression.NoCompression
        if cfg.plaintext:
            self._channel = grpc.aio.insecure_channel(cfg.target, options=options, compression=compression)
        else:
            tls = cfg.tls
            creds = grpc.ssl_channel_credentials(
                root_certificates=_read(tls.ca_file) if tls.ca_file else None,
                private_key=_read(tls.key_file) if tls.key_file else None,
                certificate_chain=_read(tls.cert_file) if tls.cert_file else None)
            if tls.server_name_override:
                options.append(("grpc.ssl_target_name_override", tls.server_name_override))
            self._channel = grpc.aio.secure_channel(cfg.target, creds, options=options, compression=compression)
        for signal, method in _GRPC_METHODS.items():
            self._calls[signal] = self._channel.unary_unary(
                method, request_serializer=None, response_deserializer=_RESPONSES[signal].FromString)

    async def send(self, signal: Signal, body: bytes) -> PartialSuccess | None:
        metadata = tuple((k.lower(), str(v)) for k, v in self.config.headers.items())
        try:
            response = await self._calls[signal](body, timeout=float(self.config.timeout), metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            details = dict(exc.trailing_metadata() or ()).get("grpc-status-details-bin")
            raise classify_grpc(exc.code(), exc.details() or "", details if isinstance(details, bytes) else None) from None
        return _partial(signal, response)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()


def client_ssl_context(tls: ClientTLSConfig) -> ssl.SSLContext:
    """TLS context of an HTTPS destination: verify against `ca_file` (or system roots), present a client cert."""
    ctx = ssl.create_default_context(cafile=tls.ca_file or None)
    if tls.cert_file:
        ctx.load_cert_chain(tls.cert_file, tls.key_file)
    return ctx


class HttpTransport:
    """OTLP/HTTP binary-protobuf POSTs on one aiohttp session."""

    def __init__(self, config: OtlpHttpExporterConfig) -> None:
        self.config = config
        self.endpoint = config.endpoint
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | bool = False

    async def connect(self) -> None:
        if self.config.endpoint.startswith("https://"):
            self._ssl = await asyncio.to_thread(client_ssl_context, self.config.tls)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=float(self.config.timeout)))

    def _encode(self, body: bytes) -> tuple[bytes, dict[str, str]]:
        if self.config.compression == "gzip":
            return gzip.compress(body, compresslevel=5), {"Content-Encoding": "gzip"}
        if self.config.compression == "zstd":
            return zstandard.ZstdCompressor().compress(body), {"Content-Encoding": "zstd"}
        return body, {}

    async def send(self, signal: Signal, body: bytes) -> PartialSuccess | None:
        assert self._session is not None, "connect() first"
        data, encoding = await asyncio.to_thread(self._encode, body) if len(body) > 65536 else self._encode(body)
        headers = {**self.config.headers, "Content-Type": "application/x-protobuf", **encoding}
        server_name = self.config.tls.server_name_override or None
        try:
            async with self._session.post(self.config.url(signal.value), data=data, headers=headers,
                                          ssl=self._ssl if self._ssl else True,
                                          server_hostname=server_name if self._ssl else None) as resp:
                payload = await resp.read()
                if not 200 <= resp.status < 300:
                    raise classify_http(resp.status, payload, resp.headers.get("Retry-After"))
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise ForwardError(f"{type(exc).__name__}: {exc or 'timed out'}", retryable=True) from None
        if not payload:
            return None
        response = _RESPONSES[signal]()
        try:
            response.ParseFromString(payload)
        except Exception:  # a 2xx answer means stored; an unreadable body only loses the partial-success detail
            log.warning("otlphttp %s: 2xx answer with a body that is not an export response; taken as success",
                        self.endpoint)
            return None
        return _partial(signal, response)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
