"""A receiver type is its factory plus one registry entry: config parsing and the service need nothing else.

The `replay` receiver below is defined here, outside the package, as a new receiver folder
would define it (a config dataclass and a `ReceiverFactory`). Registered with one entry in
`RECEIVERS`, it is accepted by the config, wired into pipelines by the service, and what it
appends reaches ClickHouse (embedded, real) like any receiver's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
from fault_support import trace_request

from tailhouse.collector import components
from tailhouse.collector.config import parse_config
from tailhouse.pipeline.config_loader import ConfigError
from tailhouse.collector.intake import Intake
from tailhouse.collector.receivers.factory import BuildContext, ReceiverFactory, RunningReceiver
from tailhouse.collector.service import Service
from tailhouse.pipeline.components import Endpoint
from tailhouse.pipeline.fanout import Fanout
from tailhouse.pipeline.signals import Signal, otlp_kind


@dataclass
class ReplayReceiverConfig:
    """Sends the OTLP trace request stored in `file` once, at start."""

    file: str = ""

    def validate(self, path: str) -> None:
        if not self.file:
            raise ConfigError(f"{path}.file", "name the file of an OTLP ExportTraceServiceRequest")


@dataclass
class ReplayReceiver:
    name: str

    async def stop(self, grace: float) -> None:
        return None


async def _start(ctx: BuildContext, name: str, config: ReplayReceiverConfig,
                 feeds: dict[Signal, Fanout]) -> list[RunningReceiver]:
    intake = Intake(name, feeds, ctx.stats)
    await intake.export(Signal.TRACES, (ctx.base_dir / config.file).read_bytes())
    ctx.endpoints.append(Endpoint(name, "replay", config.file, config))
    return [ReplayReceiver(name)]


REPLAY = ReceiverFactory(ReplayReceiverConfig, lambda signal: [otlp_kind(signal)], _start)

CONFIG = """
receivers:
  replay:
    file: request.bin
exporters:
  clickhouse:
    endpoint: chdb://./store
service:
  pipelines:
    traces: {receivers: [replay], exporters: [clickhouse]}
  telemetry:
    admin: {endpoint: "127.0.0.1:0"}
"""


def test_an_unregistered_type_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown receiver type 'replay' \(known: cloudflare_tail, otlp\)"):
        parse_config(CONFIG, tmp_path)


def test_a_registered_receiver_is_configured_started_and_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(components.RECEIVERS, "replay", REPLAY)
    with pytest.raises(ConfigError, match=r"receivers\.replay\.file"):
        parse_config(CONFIG.replace("file: request.bin", "file: ''"), tmp_path)

    (tmp_path / "request.bin").write_bytes(trace_request("replayed", "span", 25))
    config = parse_config(CONFIG, tmp_path)
    assert isinstance(config.receivers["replay"], ReplayReceiverConfig)

    async def run() -> tuple[int, list[Endpoint]]:
        service = Service(config)
        await service.start()
        try:
            assert await service.flush(60)
            client = service.query_exporter().query_client()
            rows = await asyncio.to_thread(
                lambda: client.query("SELECT count() FROM events WHERE service_name = 'replayed'").result_rows)
            return rows[0][0], list(service.endpoints)
        finally:
            await service.stop()

    stored, endpoints = asyncio.run(run())
    assert stored == 25
    assert [e.protocol for e in endpoints if e.component == "replay"] == ["replay"]
