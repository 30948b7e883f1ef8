"""Config parsing and validation: the issue's keys work as written; errors name the key path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from harness import config_text

from tailhouse.collector.config import parse_config
from tailhouse.exporters.clickhouse.config import ClickHouseExporterConfig
from tailhouse.pipeline.config_loader import ConfigError, parse_byte_size, parse_duration

# The config example of the issue, as written (the tests below change one key at a time).
ISSUE_EXAMPLE = config_text("issue_example")


def test_issue_example_parses(tmp_path: Path) -> None:
    cfg = parse_config(ISSUE_EXAMPLE, tmp_path)
    assert cfg.receivers["otlp"].protocols.grpc.endpoint == "127.0.0.1:4317"
    assert cfg.processors["batch"].send_batch_size == 8192 and cfg.processors["batch"].timeout == 1.0
    exporter = cfg.exporters["clickhouse"]
    assert isinstance(exporter, ClickHouseExporterConfig) and exporter.database == "tailhouse"
    # a relative chdb:// path is relative to the config file's folder
    assert cfg.chdb_path(exporter) == (tmp_path / "data" / "clickhouse").resolve()
    assert set(cfg.service.pipelines) == {"traces", "logs", "metrics"}
    assert cfg.service.telemetry.admin.endpoint == "127.0.0.1:13133"


def test_env_substitution_with_defaults(tmp_path: Path) -> None:
    text = ISSUE_EXAMPLE.replace("database: tailhouse", "database: ${env:TH_DB:-fallback}").replace(
        "127.0.0.1:4317", "${env:TH_GRPC}"
    )
    cfg = parse_config(text, tmp_path, environ={"TH_GRPC": "0.0.0.0:5317"})
    assert cfg.exporters["clickhouse"].database == "fallback"
    assert cfg.receivers["otlp"].protocols.grpc.endpoint == "0.0.0.0:5317"
    with pytest.raises(ConfigError, match="TH_GRPC is not set"):
        parse_config(text, tmp_path, environ={})


@pytest.mark.parametrize(
    "old, new, path, message",
    [
        ("send_batch_size: 8192", "send_batch_sise: 8192", "processors.batch.send_batch_sise", "unknown key"),
        ("send_batch_size: 8192", "send_batch_size: lots", "processors.batch.send_batch_size", "expected an integer"),
        ("timeout: 1s", "timeout: soon", "processors.batch.timeout", "expected a duration"),
        ("endpoint: 127.0.0.1:4317", "endpoint: nowhere", "receivers.otlp.protocols.grpc.endpoint", "host:port"),
        ("exporters: [clickhouse]}\n    logs", "exporters: [clickhous]}\n    logs",
         "service.pipelines.traces.exporters[0]", "'clickhous' is not defined under exporters"),
        ("processors: [batch], exporters: [clickhouse]}\n    metrics", "processors: [bach], exporters: [clickhouse]}\n    metrics",
         "service.pipelines.logs.processors[0]", "not defined under processors"),
        ("database: tailhouse", "database: [a, b]", "exporters.clickhouse.database", "expected a string"),
        ("endpoint: chdb://./data/clickhouse", "endpoint: ftp://x", "exporters.clickhouse.endpoint", "chdb://"),
        ("  otlp:\n    protocols", "  otlpx:\n    protocols", "receivers.otlpx", "unknown receiver type"),
        ("    traces:  {", "    spans:  {", "service.pipelines.spans", "named after its signal"),
    ],
)
def test_config_errors_name_the_key_path(tmp_path: Path, old: str, new: str, path: str, message: str) -> None:
    assert old in ISSUE_EXAMPLE
    with pytest.raises(ConfigError) as info:
        parse_config(ISSUE_EXAMPLE.replace(old, new, 1), tmp_path)
    assert info.value.path == path
    assert message in str(info.value)


def test_durations_and_sizes() -> None:
    assert parse_duration("1h30m", "x") == 5400 and parse_duration("250ms", "x") == 0.25
    assert parse_duration(2, "x") == 2
    assert parse_byte_size("16MiB", "x") == 16 * 2**20 and parse_byte_size(10, "x") == 10
    with pytest.raises(ConfigError):
        parse_duration("-1s", "x")


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(ISSUE_EXAMPLE)
    ok = subprocess.run([sys.executable, "-m", "tailhouse", "validate", "--config", str(good)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "valid" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(ISSUE_EXAMPLE.replace("timeout: 1s", "timeout: 1 second"))
    res = subprocess.run([sys.executable, "-m", "tailhouse", "run", "--config", str(bad)],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert "processors.batch.timeout" in res.stderr
