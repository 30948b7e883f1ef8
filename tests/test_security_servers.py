"""One server-settings block on every port: each accepted TLS and auth setting is enforced where it is set.

`test_every_server_block_enforces_its_tls_and_auth` walks the parsed config for every
`ServerSettings` block (so a server added later is covered without editing the test) and checks
its port: plaintext refused when TLS is set, no token or a wrong one refused, its own token accepted.
"""

from __future__ import annotations

import dataclasses
import ssl
import urllib.error
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest
from harness import RunningService, config_text, http_request, start
from security_support import port_of
from test_transport_security import _self_signed

from tailhouse.collector.config import parse_config
from tailhouse.collector.server.settings import GrpcServerSettings, HttpServerSettings, ServerSettings
from tailhouse.pipeline.config_loader import ConfigError

# Placeholder of every_server_tls.yaml -> the token of that server block.
TOKENS = {"otlp_grpc_token": "tok-otlp-grpc", "otlp_http_token": "tok-otlp-http", "tail_http_token": "tok-tail-http",
          "tail_grpc_token": "tok-tail-grpc", "admin_token": "tok-admin"}

# A request path per HTTP protocol: a port whose protocol is missing here fails the walk.
HTTP_PATHS = {"otlp/http": ("/v1/traces", "POST"), "tail/http": ("/v1/tail", "POST"), "http": ("/stats", "GET")}
GRPC_METHODS = {"otlp/grpc": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                "tail/grpc": "/tailhouse.tail.v1.TailService/Export"}


def server_blocks(node: Any, path: str) -> Iterator[tuple[str, ServerSettings]]:
    """Every ServerSettings block under a config node, with its key path."""
    if isinstance(node, ServerSettings):
        yield path, node
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            yield from server_blocks(getattr(node, f.name), f"{path}.{f.name}")
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from server_blocks(value, f"{path}.{key}")


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningService, Path]]:
    tmp = tmp_path_factory.mktemp("every-server")
    cert, key = _self_signed(tmp)
    svc = start(tmp, "every_server_tls", mode="thread", cert_file=cert.name, key_file=key.name, **TOKENS)
    try:
        yield svc, cert
    finally:
        svc.stop()


def _http_status(url: str, method: str, token: str | None, context: ssl.SSLContext | None) -> int | str:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    try:
        return http_request(url, b"[]" if method == "POST" else None, headers, method, context=context)[0]
    except (urllib.error.URLError, ConnectionError, ssl.SSLError, OSError) as exc:
        return f"no answer ({type(exc).__name__})"


def _grpc_code(target: str, method: str, token: str | None, creds: grpc.ChannelCredentials | None) -> grpc.StatusCode:
    channel = grpc.secure_channel(target, creds) if creds else grpc.insecure_channel(target)
    with channel:
        metadata = (("authorization", f"Bearer {token}"),) if token else None
        try:
            channel.unary_unary(method)(b"", metadata=metadata, timeout=5)
        except grpc.RpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def test_every_server_block_enforces_its_tls_and_auth(secured: tuple[RunningService, Path]) -> None:
    svc, cert = secured
    blocks = [*server_blocks(svc.config.receivers, "receivers"), *server_blocks(svc.config.service, "service")]
    assert len(blocks) == 5
    context = ssl.create_default_context(cafile=str(cert))
    creds = grpc.ssl_channel_credentials(cert.read_bytes())
    for path, block in blocks:
        endpoint = next((e for e in svc.service.endpoints if e.settings is block), None)
        assert endpoint is not None, f"{path} is accepted by the config but no port serves it"
        assert block.tls is not None and block.auth is not None
        token = block.auth.bearer_token
        port = port_of(endpoint.address)
        if isinstance(block, GrpcServerSettings):
            target, method = f"localhost:{port}", GRPC_METHODS[endpoint.protocol]
            assert _grpc_code(target, method, token, None) == grpc.StatusCode.UNAVAILABLE, f"{path}: plaintext"
            assert _grpc_code(target, method, None, creds) == grpc.StatusCode.UNAUTHENTICATED, f"{path}: no token"
            assert _grpc_code(target, method, "wrong", creds) == grpc.StatusCode.UNAUTHENTICATED, f"{path}: wrong"
            other = next(t for t in TOKENS.values() if t != token)
            assert _grpc_code(target, method, other, creds) == grpc.StatusCode.UNAUTHENTICATED, f"{path}: other's"
            assert _grpc_code(target, method, token, creds) not in (grpc.StatusCode.UNAUTHENTICATED,
                                                                   grpc.StatusCode.UNAVAILABLE), f"{path}: token"
        else:
            assert isinstance(block, HttpServerSettings)
            route, method = HTTP_PATHS[endpoint.protocol]
            plain = _http_status(f"http://127.0.0.1:{port}{route}", method, token, None)
            assert not isinstance(plain, int), f"{path}: plaintext answered {plain}"
            url = f"https://localhost:{port}{route}"
            assert _http_status(url, method, None, context) == 401, f"{path}: no token"
            assert _http_status(url, method, "wrong", context) == 401, f"{path}: wrong token"
            other = next(t for t in TOKENS.values() if t != token)
            assert _http_status(url, method, other, context) == 401, f"{path}: another server's token"
            assert _http_status(url, method, token, context) not in (401, 403), f"{path}: its token"


def _parse(tmp_path: Path, replace: tuple[str, str] = ("", ""), tail: str = "", admin: str = "127.0.0.1:13133") -> Any:
    return parse_config(config_text("server_blocks", tail=tail, admin=admin).replace(*replace), tmp_path, environ={})


@pytest.mark.parametrize("server, replace", [
    ("receivers.otlp.protocols.grpc", ("grpc: {endpoint: 127.0.0.1:4317}", "grpc: {endpoint: 127.0.0.1:4317, auth: {bearer_token: ''}}")),
    ("receivers.otlp.protocols.http", ("http: {endpoint: 127.0.0.1:4318}", "http: {endpoint: 127.0.0.1:4318, auth: {bearer_token: ''}}")),
    ("receivers.cloudflare_tail.http", ("http: {endpoint: 127.0.0.1:4319}", "http: {endpoint: 127.0.0.1:4319, auth: {bearer_token: ''}}")),
    ("receivers.cloudflare_tail.grpc", ("grpc: {endpoint: 127.0.0.1:4320}", "grpc: {endpoint: 127.0.0.1:4320, auth: {bearer_token: ''}}")),
    ("service.telemetry.admin", ("admin: {endpoint: 127.0.0.1:13133}", "admin: {endpoint: 127.0.0.1:13133, auth: {bearer_token: ''}}")),
])
def test_an_empty_token_means_the_same_everywhere_a_config_error(tmp_path: Path, server: str,
                                                                  replace: tuple[str, str]) -> None:
    with pytest.raises(ConfigError) as err:
        _parse(tmp_path, replace)
    assert err.value.path == f"{server}.auth.bearer_token"


def test_receiver_wide_tail_auth_applies_to_both_ports_and_conflicts_are_errors(tmp_path: Path) -> None:
    cfg = _parse(tmp_path, tail=", auth: {bearer_token: shared}")
    tail = cfg.receivers["cloudflare_tail"]
    assert tail.server_auth(tail.http).bearer_token == tail.server_auth(tail.grpc).bearer_token == "shared"
    with pytest.raises(ConfigError) as err:
        _parse(tmp_path, ("grpc: {endpoint: 127.0.0.1:4320}", "grpc: {endpoint: 127.0.0.1:4320, auth: {bearer_token: x}}"),
               tail=", auth: {bearer_token: shared}")
    assert err.value.path == "receivers.cloudflare_tail.grpc.auth"


@pytest.mark.parametrize("replace, path", [
    (("grpc: {endpoint: 127.0.0.1:4317}", "grpc: {endpoint: 127.0.0.1:4317, read_timeout: 5s}"),
     "receivers.otlp.protocols.grpc.read_timeout"),
    (("grpc: {endpoint: 127.0.0.1:4320}", "grpc: {endpoint: 127.0.0.1:4320, idle_timeout: 5s, keepalive: "
                                          "{server_parameters: {max_connection_idle: 1m}}}"),
     "receivers.cloudflare_tail.grpc.idle_timeout"),
    (("http: {endpoint: 127.0.0.1:4319}", "http: {endpoint: 127.0.0.1:4319, keepalive: {}}"),
     "receivers.cloudflare_tail.http.keepalive"),
    (("http: {endpoint: 127.0.0.1:4319}", "http: {endpoint: 127.0.0.1:4319, max_connections: -1}"),
     "receivers.cloudflare_tail.http.max_connections"),
])
def test_a_setting_a_server_cannot_honour_is_a_config_error(tmp_path: Path, replace: tuple[str, str], path: str) -> None:
    with pytest.raises(ConfigError) as err:
        _parse(tmp_path, replace)
    assert err.value.path == path


def test_admin_beyond_loopback_needs_auth(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        _parse(tmp_path, admin="0.0.0.0:13133")
    assert err.value.path == "service.telemetry.admin.auth"
    cfg = _parse(tmp_path, ("admin: {endpoint: 0.0.0.0:13133}", "admin: {endpoint: 0.0.0.0:13133, auth: {bearer_token: t}}"),
                 admin="0.0.0.0:13133")
    assert cfg.service.telemetry.admin.auth.bearer_token == "t"
