"""Config of the `otlp` receiver: the Collector's `protocols.grpc` / `protocols.http` blocks and item limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from tailhouse.pipeline.config_loader import ByteSize, ConfigError

from ...server.settings import GrpcServerSettings, HttpServerSettings


# The OTLP receiver's protocol blocks keep the Collector's names.
GrpcProtocolConfig = GrpcServerSettings


@dataclass
class CorsConfig:
    """CORS for browser clients of OTLP/HTTP; no allowed origins means CORS is off."""

    allowed_origins: list[str] = field(default_factory=list)  # exact origins, `*`, or `https://*.example.com`
    allowed_headers: list[str] = field(default_factory=list)  # beyond the ones OTLP needs
    max_age: int = 0  # seconds a browser may cache a preflight answer; 0 = not sent

    def validate(self, path: str) -> None:
        for i, origin in enumerate(self.allowed_origins):
            if origin != "*" and "://" not in origin:
                raise ConfigError(f"{path}.allowed_origins[{i}]", f"expected `*` or scheme://host[:port], got {origin!r}")
        if self.max_age < 0:
            raise ConfigError(f"{path}.max_age", "must not be negative")


@dataclass
class HttpProtocolConfig(HttpServerSettings):
    endpoint: str = "0.0.0.0:4318"
    cors: CorsConfig | None = None


@dataclass
class OtlpProtocols:
    grpc: GrpcProtocolConfig | None = None
    http: HttpProtocolConfig | None = None


@dataclass
class ItemLimitsConfig:
    """Per-item limits (as the SDKs' span limits); an item over one is refused via partial_success. 0 = off."""

    max_attributes: int = 0  # attributes of one span, log record or data point
    max_attribute_value_length: ByteSize = ByteSize(0)  # bytes of one attribute value (string, bytes, array, map)

    def validate(self, path: str) -> None:
        if self.max_attributes < 0:
            raise ConfigError(f"{path}.max_attributes", "must not be negative (0 = no limit)")


@dataclass
class OtlpReceiverConfig:
    protocols: OtlpProtocols = field(default_factory=OtlpProtocols)
    limits: ItemLimitsConfig = field(default_factory=ItemLimitsConfig)

    def validate(self, path: str) -> None:
        if self.protocols.grpc is None and self.protocols.http is None:
            raise ConfigError(f"{path}.protocols", "enable at least one protocol (grpc, http)")
