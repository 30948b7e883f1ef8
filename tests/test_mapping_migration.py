"""Schema migration 4 (the faster mapping views): same rows as the views it replaces, on every node.

The views are rewritten for speed, not for meaning: the same OTLP bytes inserted through the
views of migration 1 and through those of migration 4 must give identical `events` rows, column by
column, but for the columns the new Cloudflare mapping fills. The requests cover span events and links (with an `exception` event), nested array and
kvlist attribute values of every type, structured log bodies, an unset log time, and every metric
point type with exemplars, flags and metadata.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tailhouse.exporters.clickhouse.events_table import TableOptions
from tailhouse.exporters.clickhouse.sharding.cluster_ddl import ClusterLayout, cluster_schema_statements

SCRIPT = r"""
import json, pathlib, sys, time
import clickhouse_connect
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lsvc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as msvc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from bench.mapping import REQUESTS
from tailhouse.pipeline.signals import Signal, otlp_kind
from tailhouse.exporters.clickhouse import migrations
from tailhouse.exporters.clickhouse.events_table import TableOptions
from tailhouse.exporters.clickhouse.exporter import LANDING_TARGETS, insert_settings_for
from tailhouse.exporters.clickhouse.landing_schema import with_schema_file

path = pathlib.Path(sys.argv[1])
client = clickhouse_connect.get_client(dsn='chdb://' + str(path))
migrations.migrate(client, 'new', TableOptions())
for stmt in migrations.schema_statements('old', TableOptions(), up_to=3):
    client.command(stmt)

def attrs(target):
    nested = AnyValue(kvlist_value=KeyValueList(values=[
        KeyValue(key='deep', value=AnyValue(array_value=ArrayValue(values=[AnyValue(int_value=1),
                 AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key='x', value=AnyValue(double_value=0.5))]))]))),
        KeyValue(key='n', value=AnyValue(double_value=float('nan')))]))
    for k, v in (('s', AnyValue(string_value='')), ('i', AnyValue(int_value=0)), ('d', AnyValue(double_value=1e300)),
                 ('b', AnyValue(bool_value=False)), ('y', AnyValue(bytes_value=b'\x00\xff')), ('u', AnyValue()),
                 ('a', AnyValue(array_value=ArrayValue(values=[AnyValue(string_value='q'), AnyValue(bool_value=True)]))),
                 ('kv', nested), ('http.request.method', AnyValue(string_value='POST')),
                 ('http.target', AnyValue(string_value='/p?q=1')), ('http.status_code', AnyValue(int_value=503)),
                 ('cloudflare.colo', AnyValue(string_value='LHR'))):
        target.add(key=k).value.CopyFrom(v)

now = time.time_ns()
tr = tsvc.ExportTraceServiceRequest()
rs = tr.resource_spans.add(schema_url='https://opentelemetry.io/schemas/1.26.0')
attrs(rs.resource.attributes)
rs.resource.dropped_attributes_count = 2
ss = rs.scope_spans.add(schema_url='scope-url')
ss.scope.name, ss.scope.version, ss.scope.dropped_attributes_count = 'lib', '1.0', 1
attrs(ss.scope.attributes)
for i in range(3):
    sp = ss.spans.add(trace_id=bytes([i + 1]) * 16, span_id=bytes([i + 1]) * 8, name=f'op{i}', kind=i,
                      start_time_unix_nano=now, end_time_unix_nano=now + i * 1000, flags=257,
                      trace_state='a=b', dropped_attributes_count=i, dropped_events_count=1, dropped_links_count=2)
    attrs(sp.attributes)
    sp.status.code, sp.status.message = i, 'msg'
    ev = sp.events.add(time_unix_nano=now + 5, name='exception', dropped_attributes_count=3)
    ev.attributes.add(key='exception.type').value.string_value = 'ValueError'
    ev.attributes.add(key='exception.stacktrace').value.string_value = 'trace'
    attrs(sp.events.add(time_unix_nano=now + 6, name='other').attributes)
    ln = sp.links.add(trace_id=b'\x09' * 16, span_id=b'\x08' * 8, trace_state='x=y', flags=1, dropped_attributes_count=4)
    attrs(ln.attributes)
lg = lsvc.ExportLogsServiceRequest()
sl = lg.resource_logs.add().scope_logs.add()
for i, body in enumerate((AnyValue(string_value='hello'), AnyValue(int_value=7), AnyValue(),
                          AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key='k', value=AnyValue(
                              array_value=ArrayValue(values=[AnyValue(bytes_value=b'z')])))])))):
    rec = sl.log_records.add(time_unix_nano=0 if i == 1 else now + i, observed_time_unix_nano=now, severity_number=4 * i + 5,
                             severity_text='X', event_name='evt', flags=1, trace_id=b'\x01' * 16, span_id=b'\x02' * 8)
    rec.body.CopyFrom(body)
    attrs(rec.attributes)
    rec.attributes.add(key='exception.message').value.string_value = 'boom'
mt = msvc.ExportMetricsServiceRequest()
sm = mt.resource_metrics.add().scope_metrics.add()
m = sm.metrics.add(name='g', unit='1')
attrs(m.metadata)
p = m.gauge.data_points.add(time_unix_nano=now, as_int=3, flags=1)
attrs(p.attributes)
ex = p.exemplars.add(time_unix_nano=now, as_double=1.5, trace_id=b'\x03' * 16, span_id=b'\x04' * 8)
attrs(ex.filtered_attributes)
m = sm.metrics.add(name='s')
m.sum.aggregation_temporality, m.sum.is_monotonic = 1, True
m.sum.data_points.add(time_unix_nano=now, as_double=2.5).exemplars.add(as_int=9)
h = sm.metrics.add(name='h').histogram
h.aggregation_temporality = 2
h.data_points.add(time_unix_nano=now, count=3, bucket_counts=[1, 2], explicit_bounds=[1.0], min=0.5)
e = sm.metrics.add(name='e').exponential_histogram.data_points.add(time_unix_nano=now, count=4, sum=2.0, scale=2,
                                                                   zero_count=1, zero_threshold=0.1, max=9.0)
e.positive.offset, e.negative.offset = 1, -2
e.positive.bucket_counts.extend([1, 2])
q = sm.metrics.add(name='q').summary.data_points.add(time_unix_nano=now, count=2, sum=3.0)
q.quantile_values.add(quantile=0.5, value=1.0)

batches = {'traces': [tr.SerializeToString()] + REQUESTS['traces'](1),
           'logs': [lg.SerializeToString()] + REQUESTS['logs'](1),
           'metrics': [mt.SerializeToString()] + REQUESTS['metrics'](1)}
for signal, requests in batches.items():
    target = LANDING_TARGETS[otlp_kind(Signal(signal))]
    body = target.frame(requests)
    for db in ('old', 'new'):
        settings = with_schema_file(insert_settings_for(target, body), path / 'format_schemas')
        client.raw_insert(f'{db}.{target.table}', None, body, settings, target.fmt)
columns = [r[0] for r in client.query("SELECT name FROM system.columns WHERE database = 'new' AND table = 'events' "
                                      "AND name != 'ingested_at' ORDER BY position").result_rows]
differ = {}
for col in columns:
    rows = {db: client.query(f"SELECT toString(`{col}`) FROM {db}.events ORDER BY event_type, event_id, timestamp, "
                             f"toString(attributes)").result_rows for db in ('old', 'new')}
    if rows['old'] != rows['new']:
        differ[col] = [(a, b) for a, b in zip(rows['old'], rows['new']) if a != b][:2]
counts = dict(client.query("SELECT event_type, count() FROM new.events GROUP BY event_type").result_rows)
print(json.dumps({"columns": len(columns), "differ": differ, "counts": counts}))
"""


def test_new_views_store_the_same_rows_as_the_views_they_replace(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "ch")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["counts"] == {"span": 1003, "log": 1004, "metric": 1005}
    assert result["columns"] >= 100
    # the one intended difference: `cloudflare.colo` now fills geo_colo (the old views left it empty)
    assert set(result["differ"]) == {"geo_colo"}
    assert all(old == [""] and new == ["LHR"] for old, new in result["differ"]["geo_colo"])


def test_migration_4_runs_on_every_cluster_node() -> None:
    """The view replacement and the lookup table's dedup window reach every shard and replica; in
    `distributed` mode the views keep writing into the Distributed ingest table."""
    for mode in ("client", "distributed"):
        stmts = cluster_schema_statements(ClusterLayout("db", "c", replicated=True, mode=mode), TableOptions())
        alters = [s for s in stmts if s.startswith("ALTER TABLE")]
        for view in ("otlp_traces_mv", "otlp_logs_mv", "otlp_metrics_mv"):
            assert any(s.startswith(f"ALTER TABLE `db`.{view} ON CLUSTER `c` MODIFY QUERY\nSELECT") for s in alters)
        assert "ALTER TABLE `db`.trace_id_ts ON CLUSTER `c` MODIFY SETTING replicated_deduplication_window = 10000" \
            in alters
        creates = [s for s in stmts if s.startswith("CREATE MATERIALIZED VIEW IF NOT EXISTS `db`.otlp_traces_mv")]
        target = "events_ingest" if mode == "distributed" else "events"
        assert len(creates) == 1 and f"TO `db`.{target} AS" in creates[0]
