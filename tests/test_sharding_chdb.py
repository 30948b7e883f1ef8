"""The shard function and the cluster DDL checked against ClickHouse itself (chDB).

chDB runs in a subprocess: it allows one engine per process, and other tests of this worker may
run one in-process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT_HASH = """
import json, random, sys
import chdb
from tailhouse.exporters.clickhouse.sharding.shard_key import city_hash64, shard_of_trace
rng = random.Random(20240605)
ids = [''] + [rng.randbytes(16).hex() for _ in range(100_000)]
# other lengths and characters too: the function must be cityHash64 itself, not only on hex ids
ids += [''.join(rng.choice('0123456789abcdefXYZ-_ ') for _ in range(rng.randrange(0, 200))) for _ in range(5_000)]
path = sys.argv[1]
with open(path, 'w') as f:
    f.write('\\n'.join(ids) + '\\n')
out = chdb.query(f"SELECT cityHash64(c1), cityHash64(c1) % 3 FROM file('{path}', 'TSV', 'c1 String')", 'TSV').data()
rows = [line.split('\\t') for line in out.splitlines()]
assert len(rows) == len(ids), (len(rows), len(ids))
mismatch = sum(int(h) != city_hash64(s.encode()) or int(m) != shard_of_trace(s, 3) for (h, m), s in zip(rows, ids))
print(json.dumps({"ids": len(ids), "mismatches": mismatch, "empty": int(rows[0][0])}))
"""


def run_chdb_script(script: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_shard_function_equals_clickhouse_cityhash64(tmp_path: Path) -> None:
    result = run_chdb_script(SCRIPT_HASH, str(tmp_path / "ids.tsv"))
    assert result["ids"] >= 100_001
    assert result["mismatches"] == 0
    assert result["empty"] == 11160318154034397263  # the empty string is an id too


SCRIPT_DDL = """
import json, sys
import chdb
from tailhouse.exporters.clickhouse.events_table import TableOptions
from tailhouse.exporters.clickhouse.sharding.cluster_ddl import ClusterLayout, cluster_schema_statements
stmts = [s for mode in ('client', 'distributed') for replicated in (False, True)
         for s in cluster_schema_statements(ClusterLayout('tailhouse', 'tailhouse_cluster', replicated, mode),
                                            TableOptions(ttl_days=7))]
path = sys.argv[1]
with open(path, 'w') as f:
    f.writelines(json.dumps({"s": s}) + "\\n" for s in stmts)
# formatQuery throws on the first statement that does not parse, naming it
out = chdb.query(f"SELECT formatQuery(s) AS f FROM file('{path}', 'JSONEachRow', 's String')", 'JSONEachRow').data()
formatted = [json.loads(line)["f"] for line in out.splitlines() if line]
assert len(formatted) == len(stmts) and all('ON CLUSTER' in f for f in formatted)
kinds = set()
for f in formatted:
    for k, marker in (('distributed', 'Distributed('), ('replicated', 'ReplicatedMergeTree('),
                      ('replicated_aggregating', 'ReplicatedAggregatingMergeTree(')):
        if marker in f:
            kinds.add(k)
print(json.dumps({"checked": len(formatted), "kinds": sorted(kinds)}))
"""


def test_cluster_ddl_parses_in_clickhouse(tmp_path: Path) -> None:
    result = run_chdb_script(SCRIPT_DDL, str(tmp_path / "ddl.jsonl"))
    assert result["checked"] > 100
    assert result["kinds"] == ["distributed", "replicated", "replicated_aggregating"]
