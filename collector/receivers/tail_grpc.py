"""gRPC tail receiver: `tailhouse.tail.v1.TailService/Export` (see proto/tailhouse/tail/v1/tail.proto).

Items are converted to the TraceItem JSON shape and go through the same `TailIntake` as the HTTP
receiver. Status codes: UNAUTHENTICATED for a missing or wrong bearer token, INVALID_ARGUMENT
for an undecodable request or one whose items are all refused (single refused items are listed
in the response), UNAVAILABLE when ClickHouse is unavailable.
"""

from __future__ import annotations

import hmac
import logging

import grpc
from google.protobuf.message import DecodeError

from exporters.clickhouse.exporter import ExportError
from tailhouse.tail.v1 import tail_pb2

from ..config import TailGrpcConfig
from ..tail.intake import NoItemStored, TailIntake
from ..tail.proto_items import trace_item_from_proto
from .retry_hints import abort_export_error

log = logging.getLogger(__name__)

SERVICE = tail_pb2.DESCRIPTOR.services_by_name["TailService"].full_name


class TailGrpcReceiver:
    """Serves TailService.Export."""

    def __init__(self, name: str, config: TailGrpcConfig, bearer_token: str, intake: TailIntake) -> None:
        self.name = name
        self.config = config
        self._token = bearer_token
        self._intake = intake
        self._server: grpc.aio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        """Bind and start serving; `port` is the bound port (useful with port 0)."""
        server = grpc.aio.server(options=[
            ("grpc.max_receive_message_length", self.config.max_recv_msg_size_mib * 2**20),
            ("grpc.so_reuseport", 0),
        ])
        handler = grpc.unary_unary_rpc_method_handler(self._export)
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, {"Export": handler}),))
        self.port = server.add_insecure_port(self.config.endpoint)
        if self.port == 0:
            raise OSError(f"receiver {self.name}: cannot listen on {self.config.endpoint}")
        await server.start()
        self._server = server

    @property
    def endpoint(self) -> str:
        host = self.config.endpoint.rpartition(":")[0]
        return f"{host}:{self.port}"

    async def stop(self, grace: float) -> None:
        """Stop taking new calls; calls in flight get `grace` seconds to finish."""
        if self._server is not None:
            await self._server.stop(grace)

    def _authorized(self, context: grpc.aio.ServicerContext) -> bool:
        if not self._token:
            return True
        metadata = dict(context.invocation_metadata() or ())
        scheme, _, given = str(metadata.get("authorization", "")).partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self._token.encode())

    async def _export(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        if not self._authorized(context):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid bearer token (metadata authorization: Bearer <token>)")
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
