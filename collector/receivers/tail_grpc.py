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

from exporters.clickhouse.exporter import ExportError
from tailhouse.tail.v1 import tail_pb2

from ..auth import BearerAuth
from ..config import TailGrpcConfig
from ..tail.intake import NoItemStored, TailIntake
from ..tail.proto_items import trace_item_from_proto
from .grpc_server import start_grpc_server
from .retry_hints import abort_export_error

log = logging.getLogger(__name__)

SERVICE = tail_pb2.DESCRIPTOR.services_by_name["TailService"].full_name


class TailGrpcReceiver:
    """Serves TailService.Export."""

    def __init__(self, name: str, config: TailGrpcConfig, bearer_token: str, intake: TailIntake,
                 base_dir: Path = Path(".")) -> None:
        self.name = name
        self._base_dir = base_dir
        self.config = config
        self._token = bearer_token
        self._intake = intake
        self._server: grpc.aio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        """Bind and start serving; `port` is the bound port (useful with port 0)."""
        handler = grpc.unary_unary_rpc_method_handler(self._export)
        handlers = [grpc.method_handlers_generic_handler(SERVICE, {"Export": handler})]
        auth = BearerAuth(self._token) if self._token else None
        self._server, self.port = await start_grpc_server(self.name, self.config, self._base_dir, handlers, auth)

    @property
    def endpoint(self) -> str:
        host = self.config.endpoint.rpartition(":")[0]
        return f"{host}:{self.port}"

    async def stop(self, grace: float) -> None:
        """Stop taking new calls; calls in flight get `grace` seconds to finish."""
        if self._server is not None:
            await self._server.stop(grace)

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
