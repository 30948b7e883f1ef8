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

from exporters.clickhouse.config import (ClickHouseExporterConfig, ClusterConfig, RetryConfig, SendingConfig,
                                         SendingQueueConfig, ShardConfig, ShardingConfig, split_endpoint)
from exporters.otlp.config import OtlpExporterConfig, OtlpHttpExporterConfig

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
    """Bearer-token authentication: clients send `Authorization: Bearer <token>`."""

    bearer_token: str = ""

    def validate(self, path: str) -> None:
        if not self.bearer_token:
            raise ConfigError(f"{path}.bearer_token", "must not be empty (remove `auth` to accept unauthenticated clients)")
        if any(c.isspace() for c in self.bearer_token):
            raise ConfigError(f"{path}.bearer_token", "must not contain whitespace")


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
class GrpcProtocolConfig:
    endpoint: str = "0.0.0.0:4317"
    max_recv_msg_size_mib: int = 16
    max_concurrent_streams: int = 0  # per connection; 0 = gRPC default
    keepalive: KeepaliveConfig = field(default_factory=KeepaliveConfig)
    tls: TLSServerConfig | None = None
    auth: AuthConfig | None = None

    def validate(self, path: str) -> None:
        _check_endpoint(self.endpoint, f"{path}.endpoint")
        if self.max_recv_msg_size_mib <= 0:
            raise ConfigError(f"{path}.max_recv_msg_size_mib", "must be positive")
        if self.max_concurrent_streams < 0:
            raise ConfigError(f"{path}.max_concurrent_streams", "must not be negative")


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
class HttpProtocolConfig:
    endpoint: str = "0.0.0.0:4318"
    max_request_body_size: ByteSize = ByteSize(20 * 2**20)  # compressed and decompressed, as the Collector
    cors: CorsConfig | None = None
    tls: TLSServerConfig | None = None
    auth: AuthConfig | None = None

    def validate(self, path: str) -> None:
        _check_endpoint(self.endpoint, f"{path}.endpoint")
        if self.max_request_body_size <= 0:
            raise ConfigError(f"{path}.max_request_body_size", "must be positive")


@dataclass
class OtlpProtocols:
    grpc: GrpcProtocolConfig | None = None
    http: HttpProtocolConfig | None = None


@dataclass
class OtlpReceiverConfig:
    protocols: OtlpProtocols = field(default_factory=OtlpProtocols)

    def validate(self, path: str) -> None:
        if self.protocols.grpc is None and self.protocols.http is None:
            raise ConfigError(f"{path}.protocols", "enable at least one protocol (grpc, http)")


@dataclass
class TailHttpConfig:
    """POST /v1/tail endpoint of the cloudflare_tail receiver."""

    endpoint: str = "127.0.0.1:4319"
    # Limit of the body as sent and after gzip decompression (a larger one is answered 413).
    max_request_body_size: ByteSize = ByteSize(16 * 2**20)

    def validate(self, path: str) -> None:
        _check_endpoint(self.endpoint, f"{path}.endpoint")
        if self.max_request_body_size <= 0:
            raise ConfigError(f"{path}.max_request_body_size", "must be positive")


@dataclass
class TailGrpcConfig(GrpcProtocolConfig):
    """tailhouse.tail.v1.TailService endpoint of the cloudflare_tail receiver."""

    endpoint: str = "127.0.0.1:4320"


@dataclass
class TailAuthConfig:
    bearer_token: str = ""  # empty: no authentication

    def validate(self, path: str) -> None:
        if self.bearer_token != self.bearer_token.strip():
            raise ConfigError(f"{path}.bearer_token", "must not start or end with whitespace")


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
    auth: TailAuthConfig = field(default_factory=TailAuthConfig)
    redact: TailRedactConfig = field(default_factory=TailRedactConfig)
    # service_name of invocations whose scriptName is null
    default_service_name: str = "unknown_worker"

    def validate(self, path: str) -> None:
        if self.http is None and self.grpc is None:
            raise ConfigError(path, "enable at least one of http and grpc")
        if not self.default_service_name.strip():
            raise ConfigError(f"{path}.default_service_name", "must not be empty")


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


@dataclass
class AdminConfig:
    endpoint: str = "127.0.0.1:13133"

    def validate(self, path: str) -> None:
        _check_endpoint(self.endpoint, f"{path}.endpoint")


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
class ServiceConfig:
    pipelines: dict[str, PipelineConfig] = field(default_factory=dict)
    telemetry: TelemetryConfig = field(default_factory=TelemetryConfig)
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
