"""The shared mapping rules: the SQL views and the Python tail mapper give the same importance."""

from __future__ import annotations

import json
import subprocess
import sys

from tailhouse.exporters.clickhouse.otlp_views import logs_view_select
from tailhouse.pipeline.rules.severity import importance_of_severity, importance_of_severity_sql

# In a child process: chDB runs one engine per process, and the test workers have their own.
EVALUATE = r"""
import json, sys, tempfile, clickhouse_connect
client = clickhouse_connect.get_client(dsn=f"chdb://{tempfile.mkdtemp()}")
rows = client.query(sys.argv[1]).result_rows
print(json.dumps([[int(a), int(b)] for a, b in rows]))
"""


def test_sql_and_python_agree_on_every_severity() -> None:
    sql = f"SELECT n, {importance_of_severity_sql('n')} FROM (SELECT toUInt8(number) AS n FROM numbers(25))"
    out = subprocess.run([sys.executable, "-c", EVALUATE, sql], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    by_sql = dict(json.loads(out.stdout))
    assert by_sql == {n: importance_of_severity(n) for n in range(25)}
    assert [by_sql[n] for n in (24, 21, 20, 17, 16, 13, 12, 9, 1, 0)] == [0, 0, 1, 1, 2, 2, 3, 3, 3, 3]


def test_the_logs_view_uses_the_shared_rule() -> None:
    lines = [line.strip().rstrip(",") for line in logs_view_select("tailhouse").splitlines()]
    severity = next(line for line in lines if line.endswith(" AS severity_number")).removesuffix(" AS severity_number")
    assert f"{importance_of_severity_sql(severity)} AS importance" in lines
