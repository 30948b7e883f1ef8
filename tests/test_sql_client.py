"""`tailhouse sql` as a clickhouse-client user expects it: formats, FORMAT clause, parameters, scripts, prompt.

Every output here is produced by ClickHouse itself (chDB), through the running service's admin
endpoint and directly on the store once the service has stopped; terminal behaviour runs on a real pty.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import grpc
import pyarrow.parquet as pq
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lsvc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub

from pty_support import TerminalProcess
from harness import start, write_config

CLI = [sys.executable, "-m", "tailhouse", "sql"]


def _sql(config: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*CLI, "--config", str(config), *args], input=stdin.encode() if stdin is not None else None,
                          capture_output=True, timeout=120)


def _ok(proc: subprocess.CompletedProcess[bytes]) -> str:
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def _send_logs(endpoint: str, service_name: str, bodies: list[str]) -> None:
    req = lsvc.ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = service_name
    scope = rl.scope_logs.add()
    for body in bodies:
        scope.log_records.add(time_unix_nano=time.time_ns()).body.string_value = body
    with grpc.insecure_channel(endpoint) as ch:
        LogsServiceStub(ch).Export(req, timeout=30)


def _standalone_config(tmp_path: Path) -> Path:
    """A config whose service is not running: `tailhouse sql` opens the embedded store itself."""
    return write_config(tmp_path / "tailhouse.yaml", "sql_standalone")


def _check_client_behaviour(config: Path, name: str) -> None:
    """What a clickhouse-client user relies on, against a store holding two logs of service `name`."""
    where = f"FROM events WHERE service_name = '{name}'"
    # TSV is TabSeparated: no header, so scripts can read a single value.
    assert _ok(_sql(config, "--format", "TSV", f"SELECT count() {where}")) == "2\n"
    # Not a terminal and no --format: TSV, as clickhouse-client.
    assert _ok(_sql(config, f"SELECT count() {where}")) == "2\n"
    assert _ok(_sql(config, "--format", "TSVWithNames", f"SELECT count() AS n {where}")) == "n\n2\n"
    rows = list(csv.reader(io.StringIO(_ok(_sql(config, "--format", "CSVWithNames",
                                                 f"SELECT body, severity_text {where} ORDER BY body")))))
    assert rows == [["body", "severity_text"], ["first, with a comma", ""], ["second \"quoted\"", ""]]
    assert _ok(_sql(config, "--format", "CSV", f"SELECT count() {where}")) == "2\n"
    doc = json.loads(_ok(_sql(config, "--format", "JSON", f"SELECT body {where} ORDER BY body")))
    assert [r["body"] for r in doc["data"]] == ["first, with a comma", "second \"quoted\""]
    assert doc["rows"] == 2 and doc["meta"] == [{"name": "body", "type": "String"}]
    lines = _ok(_sql(config, "--format", "JSONEachRow", f"SELECT body {where} ORDER BY body")).splitlines()
    assert [json.loads(line)["body"] for line in lines] == ["first, with a comma", "second \"quoted\""]
    vertical = _ok(_sql(config, "--format", "Vertical", f"SELECT count() AS n, any(service_name) AS s {where}"))
    assert vertical.splitlines()[0] == "Row 1:" and "n: 2" in vertical and f"s: {name}" in vertical
    markdown = _ok(_sql(config, "--format", "Markdown", f"SELECT count() AS n {where}")).splitlines()
    assert markdown[0] == "| n |" and markdown[-1] == "| 2 |"
    pretty = _ok(_sql(config, "--format", "PrettyCompact", f"SELECT count() AS n {where}"))
    assert "┌─n─┐" in pretty and "│ 2 │" in pretty
    # A FORMAT clause in the statement wins over --format (and is not a syntax error).
    clause = _ok(_sql(config, "--format", "TSV", f"SELECT count() AS n {where} FORMAT JSONEachRow"))
    assert json.loads(clause) in ({"n": 2}, {"n": "2"})
    settings = _ok(_sql(config, f"SELECT count() AS n {where} FORMAT CSVWithNames SETTINGS max_threads = 1;"))
    assert settings == '"n"\n2\n'
    # --param_NAME=VALUE binds {NAME:Type}, in both of clickhouse-client's spellings; values are ClickHouse text.
    bound = _sql(config, f"--param_svc={name}", "--param_bodies", "['first, with a comma','x']",
                 "--format", "TSV",
                 "SELECT count() FROM events WHERE service_name = {svc:String} AND body IN {bodies:Array(String)}")
    assert _ok(bound) == "1\n"
    # A parameter value with a quote needs no escaping by the user: it never becomes SQL.
    assert _ok(_sql(config, "--param_s=it's; DROP TABLE events", "SELECT {s:String}")) == "it\\'s; DROP TABLE events\n"
    # Several statements from stdin; a ; inside a literal or a comment does not split them.
    script = f"SELECT 'a;b' AS x; -- a comment; with a semicolon\nSELECT count() {where};\n/* ; */ SELECT 3"
    assert _ok(_sql(config, stdin=script)) == "a;b\n2\n3\n"
    # Parquet: binary to a pipe, and readable back (by pyarrow, which chDB ships with: reading files
    # through `file()` is refused by the read-only guard).
    parquet = _sql(config, "--format", "Parquet", f"SELECT body, service_name {where} ORDER BY body")
    assert parquet.returncode == 0, parquet.stderr.decode()
    assert parquet.stdout[:4] == b"PAR1" and parquet.stdout[-4:] == b"PAR1"
    table = pq.read_table(io.BytesIO(parquet.stdout))
    assert table.num_rows == 2 and set(table.column("service_name").to_pylist()) == {name}
    # Errors name the problem and stop the script; exit status 1.
    bad = _sql(config, stdin="SELECT 1; SELECT nope FROM events; SELECT 2")
    assert bad.returncode == 1 and bad.stdout == b"1\n" and b"nope" in bad.stderr
    missing = _sql(config, "SELECT {n:UInt8}")
    assert missing.returncode == 1 and b"n" in missing.stderr and b"not set" in missing.stderr


def test_clickhouse_client_behaviour_through_the_service_and_directly(tmp_path: Path) -> None:
    svc = start(tmp_path, "default", mode="subprocess")
    name = f"sqlcli-{uuid.uuid4().hex[:8]}"
    try:
        _send_logs(svc.grpc_endpoint, name, ["first, with a comma", 'second "quoted"'])
        assert svc.flush()  # acknowledged from the write-ahead log; in ClickHouse once flushed
        _check_client_behaviour(svc.config_path, name)
        # The admin endpoint speaks ClickHouse's HTTP spelling: ?format=…&param_NAME=…
        url = f"{svc.admin_url}/query?" + urllib.parse.urlencode(
            {"format": "TSVWithNames", "param_svc": name})
        req = urllib.request.Request(url, data=b"SELECT count() AS n FROM events WHERE service_name = {svc:String}",
                                     method="POST")
        with urllib.request.urlopen(req, timeout=60) as resp:
            assert resp.read() == b"n\n2\n"
        req = urllib.request.Request(f"{svc.admin_url}/query?format=TSV",
                                     data=b"SELECT 1 AS one FORMAT JSONEachRow", method="POST")
        with urllib.request.urlopen(req, timeout=60) as resp:
            assert json.loads(resp.read()) == {"one": 1}
    finally:
        assert svc.stop() == 0
    _check_client_behaviour(svc.config_path, name)  # no service: the CLI opens the store itself


def test_queries_file_and_ignore_error(tmp_path: Path) -> None:
    config = _standalone_config(tmp_path)
    script = tmp_path / "report.sql"
    script.write_text("SELECT 'semi;colon' AS s;\nSELECT nope;\nSELECT {n:UInt32} * 2 AS twice FORMAT TSVWithNames;\n")
    stopped = _sql(config, "--queries-file", str(script), "--param_n=21")
    assert stopped.returncode == 1 and stopped.stdout == b"semi;colon\n" and b"nope" in stopped.stderr
    kept = _sql(config, "--queries-file", str(script), "--param_n=21", "--ignore-error")
    assert kept.returncode == 1 and kept.stdout == b"semi;colon\ntwice\n42\n"
    assert _ok(_sql(config, "--queries-file", "-", stdin="SELECT 1;SELECT 2;")) == "1\n2\n"
    assert _ok(_sql(config, "-q", "SELECT 5")) == "5\n"


def test_usage_errors_name_the_problem(tmp_path: Path) -> None:
    config = _standalone_config(tmp_path)
    bad_format = _sql(config, "--format", "JSON; DROP TABLE x", "SELECT 1")
    assert bad_format.returncode == 2 and b"not a ClickHouse format name" in bad_format.stderr
    unknown = _sql(config, "--format", "Jsonish", "SELECT 1")
    assert unknown.returncode == 1 and b"Unknown format Jsonish" in unknown.stderr
    bad_param = _sql(config, "--param_a-b=1", "SELECT 1")
    assert bad_param.returncode == 2 and b"invalid query parameter name 'a-b'" in bad_param.stderr
    no_value = _sql(config, "SELECT 1", "--param_x")
    assert no_value.returncode == 2 and b"--param_x needs a value" in no_value.stderr
    empty = _sql(config, stdin="-- nothing but a comment;\n")
    assert empty.returncode == 2 and b"no query" in empty.stderr


def test_terminal_gets_a_table_and_no_binary(tmp_path: Path) -> None:
    config = _standalone_config(tmp_path)
    term = TerminalProcess.start([*CLI, "--config", str(config), "SELECT 1 AS a, 'x' AS b"])
    term.expect("┌─a─┬─b─┐")
    assert term.wait() == 0
    term = TerminalProcess.start([*CLI, "--config", str(config), "--format", "Parquet", "SELECT 1 AS a"])
    term.expect("Parquet output is binary: redirect it to a file")
    assert term.wait() == 1
    assert b"PAR1" not in term.output


def test_interactive_prompt_with_history(tmp_path: Path) -> None:
    config = _standalone_config(tmp_path)
    history = tmp_path / "history"
    argv = [*CLI, "--config", str(config), "--history-file", str(history)]
    term = TerminalProcess.start(argv)
    at = term.expect(":) ")
    term.send("SELECT 40 + 2 AS answer, 'a;b' AS s\r")
    at = term.expect("│     42 │ a;b │", since=at)
    at = term.expect("Elapsed:", since=at)
    at = term.expect(":) ", since=at)
    # A trailing backslash continues the query on the next line.
    term.send("SELECT \\\r")
    at = term.expect(":-] ", since=at)
    term.send("'two lines' AS t\r")
    at = term.expect("two lines │", since=at)
    at = term.expect(":) ", since=at)
    # An error is shown and the prompt stays.
    term.send("SELECT nope\r")
    at = term.expect("Error:", since=at)
    at = term.expect(":) ", since=at)
    term.send("exit\r")
    assert term.wait() == 0
    saved = history.read_text()
    assert "SELECT 40 + 2 AS answer, 'a;b' AS s" in saved and "SELECT 'two lines' AS t" in saved

    # A new session recalls the history: Up Up Enter runs the query two entries back.
    term = TerminalProcess.start(argv + ["--multiline"])
    at = term.expect(":) ")
    term.send("\x1b[A\x1b[A\r")
    at = term.expect(":-] ", since=at)  # --multiline: no ; yet, so the query continues
    term.send(";\r")
    at = term.expect("two lines │", since=at)
    at = term.expect(":) ", since=at)
    term.send("\x04")  # Ctrl-D
    assert term.wait() == 0
