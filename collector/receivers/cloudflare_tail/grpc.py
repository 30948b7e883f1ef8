"""gRPC tail receiver: `tailhouse.tail.v1.TailService/Export` (see proto/tailhouse/tail/v1/tail.proto).

Items are converted to the TraceItem JSON shape and go through the same `TailIntake` as the HTTP
receiver. Status codes: UNAUTHENTICATED for a missing or wrong bearer token, INVALID_ARGUMENT
for an undecodable request or one whose items are all refused (single refused items are listed
in the response), UNAVAILABLE when ClickHouse is unavailable.
"""

from __future__ import annotations

import logging
from pathlib import Path

import grpc
from google.protobuf.message import DecodeError

from tailhouse.pipeline.errors import ExportError
from tailhouse.tail.v1 import tail_pb2

from ...memory_limiter import MemoryLimiter
from ...server.auth import BearerAuth
from ...server.grpc import GrpcReceiver
from ...server.retry_hints import abort_export_error
from ...server.settings import AuthConfig
from ...tail.intake import NoItemStored, TailIntake
from ...tail.proto_items import trace_item_from_proto
from .config import TailGrpcConfig

log = logging.getLogger(__name__)

SERVICE = tail_pb2.DESCRIPTOR.services_by_name["TailService"].full_name


class TailGrpcReceiver(GrpcReceiver):
    """Serves TailService.Export."""

    def __init__(self, name: str, config: TailGrpcConfig, auth: AuthConfig | None, intake: TailIntake,
                 base_dir: Path = Path("."), limiter: MemoryLimiter | None = None) -> None:
        super().__init__(name, config, base_dir, limiter)
        self._auth = BearerAuth.from_config(auth)
        self._intake = intake

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        handler = grpc.unary_unary_rpc_method_handler(self._export)
        return [grpc.method_handlers_generic_handler(SERVICE, {"Export": handler})]

    def auth(self) -> BearerAuth | None:
        return self._auth

    async def _export(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        try:
            req = tail_pb2.ExportTailRequest.FromString(request)
        except DecodeError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"request is not a valid tailhouse.tail.v1.ExportTailRequest: {exc}")
        items = [trace_item_from_proto(m) for m in req.items]
        try:
            result = await self._intake.export(items)
        except NoItemStored as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except ExportError as exc:
            log.warning("%s: storing tail events failed: %s", self.name, exc)
            await abort_export_error(context, exc)
        resp = tail_pb2.ExportTailResponse(accepted=result.accepted, rejected=result.rejected, rows=result.rows)
        for e in result.errors:
            resp.errors.add(index=e.index, message=e.message)
        return resp.SerializeToString()
