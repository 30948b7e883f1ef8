"""Transport security shared by every listening server (receivers and admin): bearer-token checks and TLS material.

Every server asks the same questions (is this `Authorization` header right? which certificate do
I serve?) so the rules live here once: a token is compared in constant time, and TLS files are
read at start so a missing or unreadable file stops the service with a clear message.
"""

from __future__ import annotations

import hmac
import ssl
from dataclasses import dataclass
from pathlib import Path

import grpc

from .settings import AuthConfig, TLSServerConfig


class TLSFileError(OSError):
    """A configured certificate or key file can't be read or used."""


# What a 401 answer carries on every HTTP server (RFC 6750).
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tailhouse"'}


@dataclass(frozen=True)
class BearerAuth:
    """Checks `Authorization: Bearer <token>` header values."""

    token: str

    @classmethod
    def from_config(cls, config: AuthConfig | None) -> "BearerAuth | None":
        """None when no auth is configured (every client accepted)."""
        return cls(config.bearer_token) if config is not None else None

    def check(self, header: str | None) -> str:
        """'' when the header carries the token; otherwise why the client is refused."""
        if not header:
            return "missing Authorization header (expected `Bearer <token>`)"
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return "Authorization header must be `Bearer <token>`"
        if not hmac.compare_digest(value.strip().encode(), self.token.encode()):
            return "invalid bearer token"
        return ""


def _read(path: str, what: str, base_dir: Path) -> bytes:
    p = Path(path)
    p = p if p.is_absolute() else base_dir / p
    try:
        return p.read_bytes()
    except OSError as exc:
        raise TLSFileError(f"cannot read TLS {what} {p}: {exc.strerror}") from exc


def _resolve(path: str, base_dir: Path) -> str:
    p = Path(path)
    return str(p if p.is_absolute() else base_dir / p)


def server_ssl_context(config: TLSServerConfig, base_dir: Path) -> ssl.SSLContext:
    """An SSLContext for an HTTPS listener (TLS 1.2+; client certificates required with a client CA)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(_resolve(config.cert_file, base_dir), _resolve(config.key_file, base_dir))
        if config.client_ca_file:
            ctx.load_verify_locations(_resolve(config.client_ca_file, base_dir))
            ctx.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise TLSFileError(f"cannot load TLS certificate {config.cert_file} / key {config.key_file}: {exc}") from exc
    return ctx


def grpc_server_credentials(config: TLSServerConfig, base_dir: Path) -> grpc.ServerCredentials:
    """gRPC server credentials from the same files."""
    cert = _read(config.cert_file, "certificate", base_dir)
    key = _read(config.key_file, "key", base_dir)
    ca = _read(config.client_ca_file, "client CA", base_dir) if config.client_ca_file else None
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=ca is not None)
