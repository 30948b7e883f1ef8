"""Config of the `cloudflare_tail` receiver: Workers tail events over HTTP (JSON) and gRPC."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from tailhouse.pipeline.config_loader import ByteSize, ConfigError

from ...server.settings import AuthConfig, GrpcServerSettings, HttpServerSettings, ServerSettings


@dataclass
class TailHttpConfig(HttpServerSettings):
    """POST /v1/tail endpoint of the cloudflare_tail receiver."""

    endpoint: str = "127.0.0.1:4319"
    # Limit of the body as sent and after gzip decompression (a larger one is answered 413).
    max_request_body_size: ByteSize = ByteSize(16 * 2**20)


@dataclass
class TailGrpcConfig(GrpcServerSettings):
    """tailhouse.tail.v1.TailService endpoint of the cloudflare_tail receiver."""

    endpoint: str = "127.0.0.1:4320"


@dataclass
class TailRedactConfig:
    """Names whose values are replaced by REDACTED before storing (case-insensitive)."""

    headers: list[str] = field(default_factory=lambda: ["authorization", "cookie", "x-api-key"])
    query_params: list[str] = field(default_factory=lambda: ["token", "key", "password", "secret"])


@dataclass
class CloudflareTailReceiverConfig:
    """Cloudflare Workers tail events over HTTP (JSON, as a tail worker sends them) and gRPC."""

    # Tail events become log and tail rows: only a logs pipeline can use this receiver.
    pipeline_signals: ClassVar[tuple[str, ...]] = ("logs",)

    http: TailHttpConfig | None = None
    grpc: TailGrpcConfig | None = None
    # Receiver-wide auth: applies to `http` and `grpc` alike (each may have its own `auth` instead).
    auth: AuthConfig | None = None
    redact: TailRedactConfig = field(default_factory=TailRedactConfig)
    # service_name of invocations whose scriptName is null
    default_service_name: str = "unknown_worker"

    def validate(self, path: str) -> None:
        if self.http is None and self.grpc is None:
            raise ConfigError(path, "enable at least one of http and grpc")
        if not self.default_service_name.strip():
            raise ConfigError(f"{path}.default_service_name", "must not be empty")
        for name, server in (("http", self.http), ("grpc", self.grpc)):
            if server is not None and server.auth is not None and self.auth is not None:
                raise ConfigError(f"{path}.{name}.auth", f"set auth either on the receiver or on {name}, not both")

    def server_auth(self, server: ServerSettings) -> AuthConfig | None:
        """The auth a server of this receiver enforces: its own block, else the receiver's."""
        return server.auth if server.auth is not None else self.auth
