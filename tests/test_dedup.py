"""Idempotent inserts: the same batch inserted twice through the landing table is stored once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import json, os, pathlib, sys, time
import clickhouse_connect
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc
from tailhouse.pipeline.signals import Signal, otlp_kind
from tailhouse.exporters.clickhouse.events_table import TableOptions
from tailhouse.exporters.clickhouse.exporter import LANDING_TARGETS, insert_settings_for
from tailhouse.exporters.clickhouse.landing_schema import with_schema_file
from tailhouse.exporters.clickhouse.migrations import migrate

client = clickhouse_connect.get_client(dsn='chdb://' + sys.argv[1])
migrate(client, 'tailhouse', TableOptions())

def batch(n):
    req = tsvc.ExportTraceServiceRequest()
    ss = req.resource_spans.add().scope_spans.add()
    for i in range(n):
        ss.spans.add(trace_id=os.urandom(16), span_id=os.urandom(8), name=f"s{i}", start_time_unix_nano=time.time_ns())
    return req.SerializeToString()

target = LANDING_TARGETS[otlp_kind(Signal.TRACES)]
a = target.frame([batch(3), batch(2)])
b = target.frame([batch(4)])
for body in (a, a, b, a, b):  # a and b each retried
    settings = with_schema_file(insert_settings_for(target, body), pathlib.Path(sys.argv[1]) / 'format_schemas')
    client.raw_insert('tailhouse.' + target.table, None, body, settings, target.fmt)
spans = client.query('SELECT count() FROM tailhouse.events').result_rows[0][0]
lookups = client.query('SELECT uniqExact(trace_id) FROM tailhouse.trace_id_ts').result_rows[0][0]
print(json.dumps({"spans": spans, "lookup_traces": lookups}))
"""


def test_retried_batches_are_stored_once(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "ch")], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"spans": 9, "lookup_traces": 9}


EVERY_TARGET = r"""
import json, os, pathlib, sys, time
import clickhouse_connect
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc
from tailhouse.pipeline.signals import Signal, otlp_kind
from tailhouse.collector.tail import TAIL_KIND
from tailhouse.exporters.clickhouse import migrations
from tailhouse.exporters.clickhouse.events_table import TableOptions
from tailhouse.exporters.clickhouse.exporter import LANDING_TARGETS, insert_settings_for
from tailhouse.exporters.clickhouse.landing_schema import with_schema_file

path = pathlib.Path(sys.argv[1])
client = clickhouse_connect.get_client(dsn='chdb://' + str(path))
# a store created by the release before migration 4, then upgraded in place
everything = migrations.MIGRATIONS[:]
migrations.MIGRATIONS[:] = [m for m in everything if m.version < 4]
migrations.migrate(client, 'tailhouse', TableOptions())
migrations.MIGRATIONS[:] = everything
applied = migrations.migrate(client, 'tailhouse', TableOptions())

req = tsvc.ExportTraceServiceRequest()
ss = req.resource_spans.add().scope_spans.add()
for i in range(5):
    ss.spans.add(trace_id=os.urandom(16), span_id=os.urandom(8), name=f"s{i}", start_time_unix_nano=time.time_ns())
spans = LANDING_TARGETS[otlp_kind(Signal.TRACES)]
now = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
rows = [{"event_id": f"t{i}", "event_type": "tail", "event_name": "fetch", "source": "tail", "timestamp": now,
         "service_name": "w", "outcome": "ok", "trace_id": f"{i:032x}"} for i in range(3)]
rows += [{"event_id": "l1", "event_type": "log", "event_name": "exception", "source": "tail", "timestamp": now,
          "service_name": "w", "exception_type": "Error", "exception_message": "boom", "trace_id": f"{0:032x}"}]
tail = LANDING_TARGETS[TAIL_KIND]
tail_body = tail.frame([(json.dumps(r) + "\n").encode() for r in rows])
for _ in range(2):  # the same batch twice, with the same token: a retry or a replay
    for target, body, token in ((spans, spans.frame([req.SerializeToString()]), "tok-spans"),
                                (tail, tail_body, "tok-tail")):
        settings = insert_settings_for(target, body, token)
        if target.fmt == "Protobuf":
            settings = with_schema_file(settings, path / 'format_schemas')
        client.raw_insert('tailhouse.' + target.table, None, body, settings, target.fmt)
counts = {t: client.query(f'SELECT count() FROM tailhouse.{t}').result_rows[0][0]
          for t in ('events', 'trace_id_ts', 'worker_endpoint_hourly_state', 'error_patterns_state')}
print(json.dumps({"applied": applied, **counts}))
"""


def test_every_insert_target_deduplicates_a_replayed_batch(tmp_path: Path) -> None:
    """Each table an insert writes through (events and every materialized view's target) stores a
    batch sent twice with the same insert_deduplication_token once, also on a store upgraded in place."""
    out = subprocess.run([sys.executable, "-c", EVERY_TARGET, str(tmp_path / "ch")], capture_output=True, text=True,
                         timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # migration 4 (trace_id_ts deduplicates) and 5 (the views' URL rule) run on the upgrade
    assert result["applied"] == [4, 5]
    # 5 spans + 4 tail rows; trace_id_ts: one row per distinct trace id per insert block (5 span + 3 tail)
    assert result == {"applied": [4, 5], "events": 9, "trace_id_ts": 8, "worker_endpoint_hourly_state": 1,
                      "error_patterns_state": 1}
