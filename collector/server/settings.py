"""The server-settings block every listening server shares (OTLP gRPC and HTTP, Workers tail, admin).

As the Collector's `confighttp` / `configgrpc`: endpoint, TLS, auth, timeouts and a connection cap,
with the same meaning on every port. The HTTP and gRPC servers (`http.py`, `grpc.py`) apply them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tailhouse.pipeline.config_loader import ByteSize, ConfigError, Duration


def check_endpoint(endpoint: str, path: str) -> None:
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
        check_endpoint(self.endpoint, f"{path}.endpoint")
        if self.max_connections is not None and self.max_connections < 0:
            raise ConfigError(f"{path}.max_connections", "must not be negative (0 = no cap)")

    def connection_cap(self) -> int:
        """Open connections allowed on the port; 0 = no cap."""
        return int(HTTP_SERVER_DEFAULTS["max_connections"] if self.max_connections is None else self.max_connections)


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
        """Seconds a new connection has for its handshake (configured, else the HTTP header-read default)."""
        default = HTTP_SERVER_DEFAULTS["read_header_timeout"]
        return float(default if self.read_header_timeout is None else self.read_header_timeout)
