"""The `service:` block: pipelines, the service's own telemetry (admin endpoint, logs), memory limiter."""

from __future__ import annotations

from dataclasses import dataclass, field

from tailhouse.pipeline.config_loader import ByteSize, ConfigError, Duration

from .server.settings import HttpServerSettings


@dataclass
class PipelineConfig:
    receivers: list[str] = field(default_factory=list)
    processors: list[str] = field(default_factory=list)
    exporters: list[str] = field(default_factory=list)


_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "[::1]", "localhost")


@dataclass
class AdminConfig(HttpServerSettings):
    """The admin endpoint: /health, /stats, /metrics, /flush, /query, /deadletter/replay.

    `/query` runs read-only (ClickHouse `readonly=2`) unless `allow_writes` is set and the caller
    asks for a write (`tailhouse sql --write`). Requests whose Host is neither an IP address,
    `localhost` nor listed in `allowed_hosts`, and requests carrying an Origin not in
    `allowed_origins`, are refused (DNS rebinding, browser pages posting to the port). With `auth`,
    every path but /health needs the bearer token. Off loopback, `auth` is required.
    """

    endpoint: str = "127.0.0.1:13133"
    max_request_body_size: ByteSize = ByteSize(16 * 2**20)
    allow_writes: bool = False
    allowed_hosts: list[str] = field(default_factory=list)  # host names (without port) besides IPs and localhost
    allowed_origins: list[str] = field(default_factory=list)  # exact scheme://host[:port] a browser may send

    def validate(self, path: str) -> None:
        super().validate(path)
        host = self.endpoint.rpartition(":")[0]
        if host not in _LOOPBACK_HOSTS and self.auth is None:
            raise ConfigError(f"{path}.auth", f"the admin endpoint listens on {host or 'every interface'}, beyond "
                                              "loopback: set auth.bearer_token (it can run SQL and flush)")
        for i, origin in enumerate(self.allowed_origins):
            if "://" not in origin:
                raise ConfigError(f"{path}.allowed_origins[{i}]", f"expected scheme://host[:port], got {origin!r}")


LOG_FORMATS = ("text", "json")


@dataclass
class LogsConfig:
    level: str = "info"
    format: str = "text"  # text (human-readable) or json (one object per line)
    progress_interval: Duration = Duration(60.0)  # a progress line at info level this often; 0 = never

    def validate(self, path: str) -> None:
        if self.level.lower() not in ("debug", "info", "warning", "warn", "error"):
            raise ConfigError(f"{path}.level", f"expected debug, info, warn or error, got {self.level!r}")
        if self.format not in LOG_FORMATS:
            raise ConfigError(f"{path}.format", f"expected text or json, got {self.format!r}")


@dataclass
class TelemetryConfig:
    admin: AdminConfig = field(default_factory=AdminConfig)
    logs: LogsConfig = field(default_factory=LogsConfig)


@dataclass
class MemoryLimiterConfig:
    """Cap on request bytes in flight across every receiver (received, decoded, not yet answered).

    Over it, clients get the retryable backpressure answer (gRPC UNAVAILABLE with RetryInfo,
    HTTP 503 with Retry-After). 0 turns the cap off.
    """

    limit: ByteSize = ByteSize(512 * 2**20)


@dataclass
class ServiceConfig:
    pipelines: dict[str, PipelineConfig] = field(default_factory=dict)
    telemetry: TelemetryConfig = field(default_factory=TelemetryConfig)
    memory_limiter: MemoryLimiterConfig = field(default_factory=MemoryLimiterConfig)
    shutdown_timeout: Duration = Duration(30.0)
