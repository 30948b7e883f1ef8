"""How receivers tell a client to come back later: gRPC RetryInfo and HTTP Retry-After."""

from __future__ import annotations

import math

import grpc
from google.protobuf.duration_pb2 import Duration
from google.rpc import code_pb2, error_details_pb2, status_pb2

from tailhouse.pipeline.errors import ExportError

STATUS_DETAILS_KEY = "grpc-status-details-bin"


def grpc_retry_metadata(message: str, seconds: float) -> tuple[tuple[str, bytes], ...]:
    """Trailing metadata carrying a google.rpc.Status with RetryInfo (OTLP clients honour its delay)."""
    delay = Duration()
    delay.FromNanoseconds(int(seconds * 1e9))
    status = status_pb2.Status(code=code_pb2.UNAVAILABLE, message=message)
    status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=delay))
    return ((STATUS_DETAILS_KEY, status.SerializeToString()),)


async def abort_export_error(context: grpc.aio.ServicerContext, exc: ExportError) -> None:
    """End a call that failed to store: UNAVAILABLE with RetryInfo, or INVALID_ARGUMENT if permanent."""
    if exc.retryable:
        await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc),
                            trailing_metadata=grpc_retry_metadata(str(exc), exc.retry_after))
    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))


def retry_after_header(exc: ExportError) -> dict[str, str]:
    """The Retry-After header (whole seconds, at least 1) for a retryable failure."""
    return {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
