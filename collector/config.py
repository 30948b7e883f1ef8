"""Collector-style configuration: receivers, processors, exporters and service pipelines.

Components are named `type` or `type/name` (as in the OpenTelemetry Collector); the type picks
the config dataclass. `load_config` validates everything at start and raises `ConfigError`
naming the key path of the first problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from tailhouse.exporters.clickhouse.config import (ClickHouseExporterConfig, ClusterConfig, RetryConfig, SendingConfig,
                                         SendingQueueConfig, ShardConfig, ShardingConfig, split_endpoint)
from tailhouse.exporters.otlp.config import OtlpExporterConfig, OtlpHttpExporterConfig

from .config_loader import ByteSize, ConfigError, Duration, build, substitute_env

__all__ = ["ClickHouseExporterConfig", "ClusterConfig", "RetryConfig", "SendingConfig", "SendingQueueConfig",
           "ShardConfig", "ShardingConfig", "split_endpoint"]

SIGNALS = ("traces", "logs", "metrics")


def _check_endpoint(endpoint: str, path: str) -> None:
    host, sep, port = endpoint.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(path, f"expected host:port, got {endpoint!r}")


@dataclass
class TLSServerConfig:
    """Server-side TLS: PEM certificate chain and key; a client CA file turns on mutual TLS."""

    cert_file: str = ""
    key_file: str = ""
    client_ca_file: str = ""

    def validate(self, path: str) -> None:
        if not self.cert_file:
            raise ConfigError(f"{path}.cert_file", "TLS needs a certificate file (PEM)")
        if not self.key_file:
            raise ConfigError(f"{path}.key_file", "TLS needs a private key file (PEM)")


@dataclass
class AuthConfig:
    """Bearer-token authentication: clients send `Authorization: Bearer <token>`.

    The same on every server: an `auth` block with an empty token is a config error (a token
    read from an unset environment variable must not silently turn authentication off);
    leave `auth` out to accept unauthenticated clients.
    """

    bearer_token: str = ""

    def validate(self, path: str) -> None:
        if not self.bearer_token:
            raise ConfigError(f"{path}.bearer_token", "must not be empty (remove `auth` to accept unauthenticated clients)")
        if any(c.isspace() for c in self.bearer_token):
            raise ConfigError(f"{path}.bearer_token", "must not contain whitespace")


@dataclass
class ServerSettings:
    """What every listening server (OTLP gRPC and HTTP, tail HTTP and gRPC, admin) is configured with.

    One block, one meaning: `tls` and `auth` are enforced on every port that accepts them, the
    timeouts and the connection cap bound what one slow or idle client can hold. A setting a
    server kind cannot honour is refused at start (see `GrpcServerSettings.validate`).
    Timeouts left unset take the server kind's default; 0 turns one off.
    """

    endpoint: str = ""
    tls: TLSServerConfig | None = None
    auth: AuthConfig | None = None
    # Go's http.Server ReadHeaderTimeout / ReadTimeout / IdleTimeout.
    read_header_timeout: Duration | None = None  # connect (or end of the last response) to complete headers
    read_timeout: Duration | None = None  # whole request read, headers and body
    idle_timeout: Duration | None = None  # a keep-alive connection with no request in progress
    max_connections: int | None = None  # open connections on this port; beyond it new ones are closed

    def validate(self, path: str) -> None:
        _check_endpoint(self.endpoint, f"{path}.endpoint")
        if self.max_connections is not None and self.max_connections < 0:
            raise ConfigError(f"{path}.max_connections", "must not be negative (0 = no cap)")


HTTP_SERVER_DEFAULTS = {"read_header_timeout": 10.0, "read_timeout": 60.0, "idle_timeout": 60.0,
                        "max_connections": 1000}


@dataclass
class HttpServerSettings(ServerSettings):
    """An HTTP server: the shared settings plus the request body cap (as sent and decompressed)."""

    max_request_body_size: ByteSize = ByteSize(20 * 2**20)

    def validate(self, path: str) -> None:
        super().validate(path)
        if self.max_request_body_size <= 0:
            raise ConfigError(f"{path}.max_request_body_size", "must be positive")

    def timeout(self, name: str) -> float:
        """A timeout in seconds (configured, else the HTTP default); 0 = none."""
        value = getattr(self, name)
        return float(HTTP_SERVER_DEFAULTS[name] if value is None else value)

    def connection_cap(self) -> int:
        """Open connections allowed on the port; 0 = no cap."""
        return int(HTTP_SERVER_DEFAULTS["max_connections"] if self.max_connections is None else self.max_connections)


@dataclass
class KeepaliveServerParameters:
    """gRPC server keepalive, as the Collector's `keepalive.server_parameters` (0 = gRPC default)."""

    max_connection_idle: Duration = Duration(0)
    max_connection_age: Duration = Duration(0)
    max_connection_age_grace: Duration = Duration(0)
    time: Duration = Duration(0)
    timeout: Duration = Duration(0)


@dataclass
class KeepaliveEnforcementPolicy:
    """How often clients may ping (`min_time`) and whether without active calls."""

    min_time: Duration = Duration(0)
    permit_without_stream: bool = False


@dataclass
class KeepaliveConfig:
    server_parameters: KeepaliveServerParameters = field(default_factory=KeepaliveServerParameters)
    enforcement_policy: KeepaliveEnforcementPolicy = field(default_factory=KeepaliveEnforcementPolicy)


@dataclass
class GrpcServerSettings(ServerSettings):
    """A gRPC server: the shared settings plus gRPC's message size, streams and keepalive.

    `read_header_timeout` bounds the connection handshake (TLS and HTTP/2 preface, grpc
    `server_handshake_timeout_ms`, default 10s), `idle_timeout` closes connections without calls
    (`max_connection_idle`), `max_connections` caps open connections (default 1000). gRPC has no
    per-request read timeout (a call's deadline is the client's), so `read_timeout` is refused.
    """

    endpoint: str = "0.0.0.0:4317"
    max_recv_msg_size_mib: int = 16
    max_concurrent_streams: int = 0  # per connection; 0 = gRPC default
    keepalive: KeepaliveConfig = field(default_factory=KeepaliveConfig)

    def validate(self, path: str) -> None:
        super().validate(path)
        if self.max_recv_msg_size_mib <= 0:
            raise ConfigError(f"{path}.max_recv_msg_size_mib", "must be positive")
        if self.max_concurrent_streams < 0:
            raise ConfigError(f"{path}.max_concurrent_streams", "must not be negative")
        if self.read_timeout is not None:
            raise ConfigError(f"{path}.read_timeout", "not supported on gRPC servers (a call's deadline is set by "
                                                      "the client); use read_header_timeout and idle_timeout")
        if self.idle_timeout is not None and self.keepalive.server_parameters.max_connection_idle:
            raise ConfigError(f"{path}.idle_timeout",
                              "set either idle_timeout or keepalive.server_parameters.max_connection_idle, not both")

    def handshake_timeout(self) -> float:
        return float(10.0 if self.read_header_timeout is None else self.read_header_timeout)

    def connection_cap(self) -> int:
        return int(HTTP_SERVER_DEFAULTS["max_connections"] if self.max_connections is None else self.max_connections)


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


@dataclass
class BatchProcessorConfig:
    send_batch_size: int = 8192
    send_batch_max_bytes: ByteSize = ByteSize(32 * 2**20)
    timeout: Duration = Duration(1.0)

    def validate(self, path: str) -> None:
        if self.send_batch_size <= 0:
            raise ConfigError(f"{path}.send_batch_size", "must be positive")
        if self.send_batch_max_bytes <= 0:
            raise ConfigError(f"{path}.send_batch_max_bytes", "must be positive")
        if self.timeout <= 0:
            raise ConfigError(f"{path}.timeout", "must be positive")


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


# component type -> config dataclass
RECEIVER_TYPES: dict[str, type] = {"otlp": OtlpReceiverConfig, "cloudflare_tail": CloudflareTailReceiverConfig}
PROCESSOR_TYPES: dict[str, type] = {"batch": BatchProcessorConfig}
EXPORTER_TYPES: dict[str, type] = {"clickhouse": ClickHouseExporterConfig, "otlp": OtlpExporterConfig,
                                   "otlphttp": OtlpHttpExporterConfig}


@dataclass
class Config:
    receivers: dict[str, Any]
    processors: dict[str, Any]
    exporters: dict[str, Any]
    service: ServiceConfig
    base_dir: Path

    def chdb_path(self, exporter: ClickHouseExporterConfig) -> Path | None:
        """Filesystem path of a `chdb://` endpoint (relative paths are relative to the config file)."""
        endpoint = exporter.endpoint
        if exporter.sharding is not None:
            endpoint = exporter.sharding.shards[0].endpoints[0]
        return self.chdb_path_of(endpoint)

    def chdb_path_of(self, endpoint: str) -> Path | None:
        """Filesystem path of one `chdb://PATH[?database=NAME]` endpoint; None for a server."""
        if not endpoint.startswith("chdb://"):
            return None
        raw = split_endpoint(endpoint)[0][len("chdb://"):]
        p = Path(raw)
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def queue_dir(self, name: str, exporter: ClickHouseExporterConfig) -> Path:
        """Directory of exporter `name`'s write-ahead logs (one folder per payload kind below it)."""
        q = exporter.sending_queue
        folder = name.replace("/", "_")
        if q.storage:
            p = Path(q.storage)
            return (p if p.is_absolute() else (self.base_dir / p)).resolve() / folder
        return self._data_dir(exporter) / "queue" / folder

    def forward_queue_dir(self, name: str, exporter: OtlpExporterConfig | OtlpHttpExporterConfig) -> Path:
        """Directory of forwarding exporter `name`'s write-ahead logs: `sending_queue.storage`/<name>, else
        in the `queue/` folder beside the first clickhouse exporter's state (`data/queue/` without one)."""
        folder = name.replace("/", "_")
        if exporter.sending_queue.storage:
            p = Path(exporter.sending_queue.storage)
            return (p if p.is_absolute() else (self.base_dir / p)).resolve() / folder
        store = next((e for e in self.exporters.values() if isinstance(e, ClickHouseExporterConfig)), None)
        base = self._data_dir(store) if store is not None else (self.base_dir / "data").resolve()
        return base / "queue" / folder

    def dead_letter_dir(self, name: str, exporter: ClickHouseExporterConfig) -> Path:
        """Directory where exporter `name` writes requests ClickHouse refused permanently."""
        if exporter.dead_letter_dir:
            p = Path(exporter.dead_letter_dir)
            return p if p.is_absolute() else (self.base_dir / p).resolve()
        return self.queue_dir(name, exporter) / "deadletter"

    def _data_dir(self, exporter: ClickHouseExporterConfig) -> Path:
        """Where local state lives: beside the embedded store, else `data/` next to the config file."""
        store = self.chdb_path(exporter) if exporter.sharding is None else None
        return store.parent if store is not None else (self.base_dir / "data").resolve()


def _components(raw: object, kinds: dict[str, type], section: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(section, f"expected a mapping, got {type(raw).__name__}")
    out: dict[str, Any] = {}
    for name, body in raw.items():
        kind = str(name).split("/", 1)[0]
        if kind not in kinds:
            raise ConfigError(f"{section}.{name}", f"unknown {section[:-1]} type {kind!r} (known: {', '.join(sorted(kinds))})")
        out[str(name)] = build(kinds[kind], body, f"{section}.{name}")
    return out


def parse_config(text: str, base_dir: Path, environ: dict[str, str] | None = None) -> Config:
    """Parse and validate config text; raises ConfigError naming the offending key path."""
    try:
        raw = yaml.safe_load(substitute_env(text, environ))
    except yaml.YAMLError as exc:
        raise ConfigError("", f"not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("", "the config file must be a mapping with receivers, processors, exporters and service")
    for key in raw:
        if key not in ("receivers", "processors", "exporters", "service", "extensions"):
            raise ConfigError(str(key), "unknown top-level key (known: receivers, processors, exporters, service)")
    cfg = Config(
        receivers=_components(raw.get("receivers"), RECEIVER_TYPES, "receivers"),
        processors=_components(raw.get("processors"), PROCESSOR_TYPES, "processors"),
        exporters=_components(raw.get("exporters"), EXPORTER_TYPES, "exporters"),
        service=build(ServiceConfig, raw.get("service"), "service"),
        base_dir=base_dir,
    )
    _check_pipelines(cfg)
    return cfg


def _check_pipelines(cfg: Config) -> None:
    if not cfg.service.pipelines:
        raise ConfigError("service.pipelines", "define at least one pipeline (traces, logs or metrics)")
    for name, pipe in cfg.service.pipelines.items():
        path = f"service.pipelines.{name}"
        if name.split("/", 1)[0] not in SIGNALS:
            raise ConfigError(path, f"a pipeline is named after its signal: traces, logs or metrics (optionally /name), got {name!r}")
        for kind, names, defined in (
            ("receivers", pipe.receivers, cfg.receivers),
            ("processors", pipe.processors, cfg.processors),
            ("exporters", pipe.exporters, cfg.exporters),
        ):
            for i, comp in enumerate(names):
                if comp not in defined:
                    raise ConfigError(f"{path}.{kind}[{i}]", f"{kind[:-1]} {comp!r} is not defined under {kind}")
                allowed = getattr(defined[comp], "pipeline_signals", SIGNALS)
                if name.split("/", 1)[0] not in allowed:
                    raise ConfigError(f"{path}.{kind}[{i}]",
                                      f"{kind[:-1]} {comp!r} can only be used in {' or '.join(allowed)} pipelines")
        if not pipe.receivers:
            raise ConfigError(f"{path}.receivers", "a pipeline needs at least one receiver")
        if not pipe.exporters:
            raise ConfigError(f"{path}.exporters", "a pipeline needs at least one exporter")
        if len(pipe.processors) > 1:
            raise ConfigError(f"{path}.processors", "at most one batch processor per pipeline")


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read, substitute `${env:…}`, parse and validate a config file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("", f"cannot read config file {p}: {exc.strerror}") from exc
    return parse_config(text, p.resolve().parent)
