"""A dropped table or view is not a permanent outage: /health names it, a restart recreates it."""

from __future__ import annotations

from pathlib import Path

import clickhouse_connect
import grpc
import pytest
from harness import RunningService, start, wait_until
from security_support import span_request

from tailhouse.exporters.clickhouse.events_table import TableOptions
from tailhouse.exporters.clickhouse.migrations import SchemaObjectMissing, migrate, restore_missing_objects

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _send(svc: RunningService, service: str, trace_byte: int) -> None:
    with grpc.insecure_channel(svc.grpc_endpoint) as channel:
        channel.unary_unary(EXPORT)(span_request(service, trace_byte=trace_byte), timeout=30)


def _count(svc: RunningService, service: str) -> int:
    return int(svc.scalar(f"SELECT count() AS n FROM events WHERE service_name = '{service}'"))


@pytest.mark.parametrize("dropped, statement", [
    ("events", "DROP TABLE events"),
    ("otlp_traces_mv", "DROP VIEW otlp_traces_mv"),
])
def test_a_dropped_object_is_named_by_health_and_recreated_on_restart(tmp_path: Path, dropped: str,
                                                                      statement: str) -> None:
    svc = start(tmp_path, "default", mode="subprocess", allow_writes=True)
    try:
        _send(svc, "before-drop", 1)
        wait_until(lambda: _count(svc, "before-drop") == 1, 30, "the first span")
        svc.query_raw(statement, write=True)
        status, health = svc.get_json("/health")
        assert status == 503
        assert f"schema objects missing: tailhouse.{dropped} (migration 1)" in health["reason"]
    finally:
        assert svc.stop() == 0
    svc.restart()
    try:
        assert any("recreating them" in line and dropped in line for line in svc.stderr_lines)
        wait_until(lambda: svc.get_json("/health")[0] == 200, 30, "/health to be ready again")
        _send(svc, "after-restart", 2)
        wait_until(lambda: _count(svc, "after-restart") == 1, 30, "a span stored after the restart")
    finally:
        assert svc.stop() == 0


def test_an_object_that_cannot_be_recreated_is_named_in_the_error(tmp_path: Path) -> None:
    """Recreating needs DDL rights: without them the repair (run by every start's migration step)
    raises SchemaObjectMissing naming the object, and `tailhouse run` exits with that message."""
    client = clickhouse_connect.get_client(dsn=f"chdb://{tmp_path / 'store'}")
    readonly = clickhouse_connect.get_client(dsn=f"chdb://{tmp_path / 'store'}")
    try:
        migrate(client, "tailhouse", TableOptions())
        client.command("DROP TABLE tailhouse.events")
        readonly.set_client_setting("readonly", "1")
        with pytest.raises(SchemaObjectMissing) as err:
            restore_missing_objects(readonly, "tailhouse", TableOptions(), lambda stmt: readonly.command(stmt))
        assert "schema objects missing and not recreated: tailhouse.events (migration 1)" in str(err.value)
        assert "readonly" in str(err.value)
        assert restore_missing_objects(client, "tailhouse", TableOptions(), lambda stmt: client.command(stmt)) == ["events"]
    finally:
        readonly.close()
        client.close()
