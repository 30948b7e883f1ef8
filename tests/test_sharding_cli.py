"""`tailhouse schema` and the trace lookup plan, from config alone (no ClickHouse needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from harness import config_text

from tailhouse.collector.config import parse_config
from tailhouse.pipeline.config_loader import ConfigError
from tailhouse.exporters.clickhouse.sharding.lookup import InvalidTraceId, trace_lookup
from tailhouse.exporters.clickhouse.sharding.shard_key import shard_of_trace

CLUSTER = """\
sharding:
  mode: %s
  shards:
    - endpoints: [http://ch-1a:8123, http://ch-1b:8123]
    - endpoints: [http://ch-2a:8123]
cluster: {name: tailhouse_cluster, replicated: true}"""


def _text(sharding: str) -> str:
    """The sharding config with the clickhouse exporter's `sharding` (and `cluster`) block given."""
    return config_text("sharding_schema", sharding=sharding)


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "tailhouse.yaml"
    path.write_text(_text(body))
    return path


@pytest.mark.parametrize("mode", ["client", "distributed"])
def test_schema_command_prints_cluster_ddl(tmp_path: Path, mode: str) -> None:
    path = _config(tmp_path, CLUSTER % mode)
    out = subprocess.run([sys.executable, "-m", "tailhouse", "schema", "--config", str(path)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    statements = [s for s in out.split(";\n\n") if s.strip()]
    assert all("ON CLUSTER `tailhouse_cluster`" in s for s in statements)
    assert "ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')" in out
    assert "ENGINE = Distributed(`tailhouse_cluster`, `tailhouse`, events, cityHash64(trace_id))" in out
    assert ("TO `tailhouse`.events_ingest AS" in out) == (mode == "distributed")
    assert "`tailhouse`.worker_logs_all" in out and "`tailhouse`.error_patterns_all" in out


def test_trace_lookup_reads_the_right_shard_or_the_distributed_table(tmp_path: Path) -> None:
    tid = "0af7651916cd43dd8448eb211c80319c"
    client = parse_config(_text(CLUSTER % "client"), tmp_path).exporters["clickhouse"]
    plan = trace_lookup(client, tid.upper())
    assert plan.shard == shard_of_trace(tid, 2)
    assert plan.endpoints == client.sharding.shards[plan.shard].endpoints
    assert f"trace_id = '{tid}'" in plan.sql and "ORDER BY timestamp" in plan.sql
    distributed = parse_config(_text(CLUSTER % "distributed"), tmp_path).exporters["clickhouse"]
    plan = trace_lookup(distributed, tid)
    assert "events_all" in plan.sql and "optimize_skip_unused_shards = 1" in plan.sql and len(plan.endpoints) == 3
    with pytest.raises(InvalidTraceId):
        trace_lookup(client, "x' OR 1=1 --")


def test_sharding_config_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sharding.mode"):
        parse_config(_text("sharding: {mode: random, shards: [{endpoints: [http://a:8123]}]}"), tmp_path)
    with pytest.raises(ConfigError, match="cluster"):
        parse_config(_text("sharding: {mode: distributed, shards: [{endpoints: [http://a:8123]}]}"), tmp_path)
    with pytest.raises(ConfigError, match="one data path"):
        parse_config(_text("sharding: {shards: [{endpoints: [chdb://a]}, {endpoints: [chdb://b]}]}"), tmp_path)
    with pytest.raises(ConfigError, match=r"shards\[0\].endpoints"):
        parse_config(_text("sharding: {shards: [{endpoints: []}]}"), tmp_path)
