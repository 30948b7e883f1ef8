"""TLS and bearer-token auth on both receivers; gRPC gzip, keepalive and stream limits."""

from __future__ import annotations

import datetime
import ssl
import time
from pathlib import Path
from typing import Iterator

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb
from harness import RunningService, config_text, http_request, start

from tailhouse.collector.config import parse_config
from tailhouse.collector.receivers.otlp.config import GrpcProtocolConfig
from tailhouse.collector.server.grpc import server_options

TOKEN = "s3cret-token"
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    """A localhost certificate (CN and SAN 127.0.0.1/localhost) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "server.crt", tmp / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningService, Path]]:
    tmp = tmp_path_factory.mktemp("secure")
    cert, key = _self_signed(tmp)
    # Relative paths: TLS files are found relative to the config file's directory.
    protocols = f"""\
grpc:
  endpoint: 127.0.0.1:0
  max_concurrent_streams: 16
  keepalive:
    server_parameters: {{time: 30s, timeout: 5s, max_connection_idle: 5m}}
    enforcement_policy: {{min_time: 10s, permit_without_stream: true}}
  tls: {{cert_file: {cert.name}, key_file: {key.name}}}
  auth: {{bearer_token: {TOKEN}}}
http:
  endpoint: 127.0.0.1:0
  tls: {{cert_file: {cert.name}, key_file: {key.name}}}
  auth: {{bearer_token: {TOKEN}}}
"""
    s = start(tmp, "otlp_protocols", mode="thread", protocols=protocols)
    yield s, cert
    s.stop()


def _request(trace_byte: int) -> bytes:
    req = trace_pb.ExportTraceServiceRequest()
    now = time.time_ns()
    req.resource_spans.add().scope_spans.add().spans.add(
        trace_id=bytes([trace_byte]) * 16, span_id=b"\x01" * 8, name=f"secure-{trace_byte}",
        start_time_unix_nano=now, end_time_unix_nano=now + 1000)
    return req.SerializeToString()


def _grpc_call(svc: RunningService, cert: Path, metadata: tuple = (), compression: grpc.Compression | None = None,
               body: bytes = b"") -> bytes:
    creds = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
    target = svc.endpoint("otlp/grpc").replace("127.0.0.1", "localhost")
    with grpc.secure_channel(target, creds) as ch:
        call = ch.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
        return call(body, metadata=metadata, timeout=30, compression=compression)


def test_grpc_tls_with_token_and_gzip(secure: tuple[RunningService, Path]) -> None:
    svc, cert = secure
    _grpc_call(svc, cert, (("authorization", f"Bearer {TOKEN}"),), grpc.Compression.Gzip, _request(0xA1))
    assert svc.store_rows(f"SELECT event_name FROM events WHERE trace_id = '{'a1' * 16}'") == [("secure-161",)]


@pytest.mark.parametrize("metadata", [(), (("authorization", "Bearer wrong"),), (("authorization", TOKEN),)])
def test_grpc_wrong_or_missing_token_is_unauthenticated(secure: tuple[RunningService, Path], metadata: tuple) -> None:
    svc, cert = secure
    with pytest.raises(grpc.RpcError) as err:
        _grpc_call(svc, cert, metadata, body=_request(0xA2))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert svc.store_rows(f"SELECT count() FROM events WHERE trace_id = '{'a2' * 16}'") == [(0,)]


def test_grpc_plaintext_client_cannot_talk_to_tls_port(secure: tuple[RunningService, Path]) -> None:
    svc, _ = secure
    with grpc.insecure_channel(svc.endpoint("otlp/grpc")) as ch:
        call = ch.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as err:
            call(_request(0xA3), metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_http_tls_and_token(secure: tuple[RunningService, Path]) -> None:
    svc, cert = secure
    url = svc.endpoint("otlp/http").replace("127.0.0.1", "localhost") + "/v1/traces"
    assert url.startswith("https://")
    ctx = ssl.create_default_context(cafile=str(cert))
    headers = {"Content-Type": "application/x-protobuf"}

    status, resp_headers, _ = http_request(url, _request(0xB1), headers, "POST", ctx)
    assert status == 401 and resp_headers["WWW-Authenticate"].startswith("Bearer")
    status, _, _ = http_request(url, _request(0xB1), {**headers, "Authorization": "Bearer nope"}, "POST", ctx)
    assert status == 401
    assert svc.store_rows(f"SELECT count() FROM events WHERE trace_id = '{'b1' * 16}'") == [(0,)]

    status, _, _ = http_request(url, _request(0xB1), {**headers, "Authorization": f"Bearer {TOKEN}"}, "POST", ctx)
    assert status == 200
    assert svc.store_rows(f"SELECT count() FROM events WHERE trace_id = '{'b1' * 16}'") == [(1,)]

    # A client that doesn't trust the certificate refuses the connection.
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        http_request(url, _request(0xB2), headers, "POST", ssl.create_default_context())


def test_grpc_keepalive_and_stream_options_from_config(tmp_path: Path) -> None:
    text = config_text("otlp_protocols", protocols="""\
grpc:
  endpoint: 127.0.0.1:0
  max_concurrent_streams: 8
  keepalive:
    server_parameters: {time: 20s, timeout: 2s, max_connection_age: 1h, max_connection_age_grace: 30s}
    enforcement_policy: {min_time: 5s, permit_without_stream: true}
""")
    grpc_cfg: GrpcProtocolConfig = parse_config(text, tmp_path).receivers["otlp"].protocols.grpc
    opts = dict(server_options(grpc_cfg))
    assert opts["grpc.max_concurrent_streams"] == 8
    assert opts["grpc.keepalive_time_ms"] == 20000
    assert opts["grpc.keepalive_timeout_ms"] == 2000
    assert opts["grpc.max_connection_age_ms"] == 3_600_000
    assert opts["grpc.max_connection_age_grace_ms"] == 30_000
    assert opts["grpc.http2.min_ping_interval_without_data_ms"] == 5000
    assert opts["grpc.keepalive_permit_without_calls"] == 1
    assert "grpc.max_connection_idle_ms" not in opts  # unset stays gRPC's default


def test_missing_tls_file_stops_start_with_its_name(tmp_path: Path) -> None:
    import asyncio

    from tailhouse.collector.intake import Intake
    from tailhouse.collector.receivers.otlp.http import OtlpHttpReceiver
    from tailhouse.pipeline.stats import Stats

    text = config_text("otlp_protocols", protocols="""\
http:
  endpoint: 127.0.0.1:0
  tls: {cert_file: nope.crt, key_file: nope.key}
""")
    http_cfg = parse_config(text, tmp_path).receivers["otlp"].protocols.http
    receiver = OtlpHttpReceiver("otlp", http_cfg, Intake("otlp", {}, Stats()), tmp_path)
    with pytest.raises(OSError, match="nope.crt"):
        asyncio.run(receiver.start())
