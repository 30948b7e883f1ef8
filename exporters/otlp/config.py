"""Config of the forwarding exporters `otlp` (OTLP/gRPC) and `otlphttp` (OTLP/HTTP, protobuf).

Field names follow the OpenTelemetry Collector's exporters of the same names, so a Collector
config block carries over: `endpoint`, `tls`, `headers`, `compression`, `timeout`,
`retry_on_failure`, `sending_queue` (the exporter's own write-ahead log).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tailhouse.pipeline.config_loader import ConfigError, Duration
from tailhouse.pipeline.exporter_config import RetryConfig, SendingConfig, SendingQueueConfig

GRPC_COMPRESSIONS = ("gzip", "none")
HTTP_COMPRESSIONS = ("gzip", "zstd", "none")


@dataclass
class ClientTLSConfig:
    """Client-side TLS. `insecure: true` sends in plaintext; otherwise the server certificate is verified
    against `ca_file` (or the system roots), and `cert_file` + `key_file` present a client certificate."""

    insecure: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    server_name_override: str = ""

    def validate(self, path: str) -> None:
        if bool(self.cert_file) != bool(self.key_file):
            raise ConfigError(path, "cert_file and key_file go together (a client certificate needs its key)")
        if self.insecure and (self.ca_file or self.cert_file):
            raise ConfigError(f"{path}.insecure", "insecure: true sends in plaintext; remove ca_file/cert_file or set it false")


def _check_headers(headers: dict[str, str], path: str) -> None:
    for name, value in headers.items():
        if not name or any(c.isspace() or c == ":" for c in name):
            raise ConfigError(f"{path}.{name}", "not a valid header name")
        if "\n" in str(value) or "\r" in str(value):
            raise ConfigError(f"{path}.{name}", "a header value must be one line")


@dataclass
class ForwardConfig:
    """What both forwarding exporters take, with the Collector's field names."""

    endpoint: str = ""
    tls: ClientTLSConfig = field(default_factory=ClientTLSConfig)
    headers: dict[str, str] = field(default_factory=dict)
    compression: str = "gzip"
    timeout: Duration = Duration(5.0)
    retry_on_failure: RetryConfig = field(default_factory=RetryConfig)
    sending: SendingConfig = field(default_factory=SendingConfig)
    sending_queue: SendingQueueConfig = field(default_factory=SendingQueueConfig)

    def _check_common(self, path: str, compressions: tuple[str, ...]) -> None:
        if self.compression not in compressions:
            raise ConfigError(f"{path}.compression", f"expected one of {', '.join(compressions)}, got {self.compression!r}")
        if self.timeout <= 0:
            raise ConfigError(f"{path}.timeout", "must be positive")
        _check_headers(self.headers, f"{path}.headers")

    def log_path(self, name: str, base_dir: Path, state_dir: Path) -> Path:
        """Folder of exporter `name`'s write-ahead logs: `sending_queue.storage`/<name>, else
        `state_dir`/queue/<name> (the service's state folder, beside the embedded store)."""
        return self.sending_queue.directory(name, base_dir, state_dir)


@dataclass
class OtlpExporterConfig(ForwardConfig):
    """`otlp`: OTLP/gRPC to `endpoint` (`host:port`, or `http://` / `https://host:port`)."""

    def validate(self, path: str) -> None:
        if not self.endpoint:
            raise ConfigError(f"{path}.endpoint", "the OTLP/gRPC endpoint to forward to (host:port) is required")
        target = self.endpoint.split("://", 1)[1] if "://" in self.endpoint else self.endpoint
        scheme = self.endpoint.split("://", 1)[0] if "://" in self.endpoint else ""
        if scheme not in ("", "http", "https"):
            raise ConfigError(f"{path}.endpoint", f"expected host:port or http(s)://host:port, got {self.endpoint!r}")
        host, sep, port = target.rstrip("/").rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ConfigError(f"{path}.endpoint", f"expected host:port, got {self.endpoint!r}")
        self._check_common(path, GRPC_COMPRESSIONS)

    @property
    def target(self) -> str:
        """host:port for the gRPC channel."""
        return (self.endpoint.split("://", 1)[1] if "://" in self.endpoint else self.endpoint).rstrip("/")

    @property
    def plaintext(self) -> bool:
        """True when the channel is not TLS: `tls.insecure`, or an `http://` endpoint."""
        return self.tls.insecure or self.endpoint.startswith("http://")


@dataclass
class OtlpHttpExporterConfig(ForwardConfig):
    """`otlphttp`: OTLP/HTTP (binary protobuf) POSTs to `<endpoint>/v1/traces`, `/v1/logs`, `/v1/metrics`."""

    def validate(self, path: str) -> None:
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{path}.endpoint", f"expected http(s)://host[:port][/base], got {self.endpoint!r}")
        self._check_common(path, HTTP_COMPRESSIONS)

    def url(self, signal: str) -> str:
        """The URL requests of `signal` (traces, logs, metrics) are POSTed to."""
        return f"{self.endpoint.rstrip('/')}/v1/{signal}"
