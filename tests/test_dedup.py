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
from collector.otlp_requests import Signal, otlp_kind
from exporters.clickhouse.events_table import TableOptions
from exporters.clickhouse.exporter import LANDING_TARGETS, insert_settings_for
from exporters.clickhouse.landing_schema import with_schema_file
from exporters.clickhouse.migrations import migrate

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
