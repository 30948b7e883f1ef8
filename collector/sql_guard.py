"""What `tailhouse sql` and the admin `/query` may run: read-only SQL inside ClickHouse.

Two layers. ClickHouse's own `readonly=2` refuses writes and DDL and keeps `readonly` itself from
being changed, while a query may still carry its own `SETTINGS` (as clickhouse-client users
expect, e.g. `SETTINGS max_threads = 1`). On top, queries that reach outside the
database are refused before they run, with a message naming what was found: table functions
that read or write files, URLs, object stores or other servers, `INTO OUTFILE` and `FROM INFILE`
(which chDB runs on the service's filesystem even in readonly mode), and `KILL` (allowed in
readonly mode, it could cancel the service's own inserts). Those stay refused when writes are
allowed: writes are about the tables, not the host.
"""

from __future__ import annotations

import re
from typing import Any

from clickhouse_connect.driver.client import Client

from .query import statement_format, statement_params

# Table functions (and engines used as functions) that touch the filesystem, the network or a process.
EXTERNAL_FUNCTIONS = frozenset(name.lower() for name in (
    "file", "fileCluster", "url", "urlCluster", "s3", "s3Cluster", "gcs", "cosn", "oss", "azureBlobStorage",
    "azureBlobStorageCluster", "hdfs", "hdfsCluster", "remote", "remoteSecure", "cluster", "clusterAllReplicas",
    "mysql", "postgresql", "mongodb", "redis", "sqlite", "jdbc", "odbc", "executable", "input", "dictionary",
    "iceberg", "icebergS3", "icebergAzure", "icebergHDFS", "icebergLocal", "icebergS3Cluster", "deltaLake",
    "deltaLakeS3", "deltaLakeAzure", "deltaLakeLocal", "hudi", "hive", "paimon", "ytsaurus", "arrowFlight",
    "prometheusQuery", "timeSeriesData",
))

# String literals and comments are blanked before scanning, so text such as
# `WHERE body LIKE '%url(%'` is not mistaken for a call; quoted identifiers (`file`) are unquoted.
_LITERALS = re.compile(r"'(?:[^'\\]|\\.|'')*'|--[^\n]*|#[^\n]*|/\*.*?\*/", re.DOTALL)
_QUOTED_NAME = re.compile(r"`((?:[^`\\]|\\.)*)`|\"((?:[^\"\\]|\\.)*)\"")
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_OUTFILE = re.compile(r"\bINTO\s+OUTFILE\b|\bFROM\s+INFILE\b", re.IGNORECASE)
# ClickHouse runs KILL in readonly mode: it could cancel the service's own inserts.
_KILL = re.compile(r"^\W*KILL\b", re.IGNORECASE)


class QueryRefused(ValueError):
    """The query reaches outside ClickHouse, or writes without write access."""


def _code_only(sql: str) -> str:
    code = _LITERALS.sub(lambda m: " " if m.group(0).startswith(("--", "#", "/*")) else "''", sql)
    return _QUOTED_NAME.sub(lambda m: " " + (m.group(1) if m.group(1) is not None else m.group(2)) + " ", code)


def check_query(sql: str) -> None:
    """Raise QueryRefused for an external table function, INTO OUTFILE, FROM INFILE or KILL."""
    code = _code_only(sql)
    if _KILL.match(code):
        raise QueryRefused("KILL is refused: the admin endpoint does not cancel queries or mutations "
                           "(it could cancel the service's own inserts)")
    if m := _OUTFILE.search(code):
        raise QueryRefused(f"{' '.join(m.group(0).upper().split())} is refused: the admin endpoint does not "
                           "read or write files on the service's host")
    found = sorted({m.group(1) for m in _CALL.finditer(code) if m.group(1).lower() in EXTERNAL_FUNCTIONS})
    if found:
        raise QueryRefused(f"table function {', '.join(f + '()' for f in found)} is refused: queries may not "
                           "reach files, URLs or other servers from the service")


def is_chdb(client: Any) -> bool:
    """True for an embedded chDB client (settings are session state there, not per request)."""
    return type(client).__name__ == "ChdbClient"


def make_readonly(client: Client) -> dict[str, str]:
    """Turn `client` into a read-only one; returns the settings each query must carry.

    chDB applies settings with SET on the client's own session, and a session in `readonly=2`
    cannot leave it again: so the read-only client is a dedicated one, set once. A server
    client sends settings with every request, so readonly travels with each query.
    """
    if is_chdb(client):
        # URLs are common in this data; "\/" in JSON output is valid but hard to read.
        client.set_client_setting("output_format_json_escape_forward_slashes", "0")
        client.set_client_setting("readonly", "2")
        return {}
    return {"readonly": "2"}


def run_checked(client: Client, sql: str, fmt: str, settings: dict[str, Any],
                params: dict[str, str] | None = None) -> bytes:
    """Check then run `sql`, returning ClickHouse's output in format `fmt` (a FORMAT clause in it wins).

    `params` bind the statement's `{name:Type}` placeholders (values as text, as clickhouse-client sends them).
    """
    query = sql.strip().rstrip(";")
    check_query(query)
    return bytes(client.raw_query(query, parameters=statement_params(query, params),
                                  fmt=statement_format(query, fmt), settings=settings or None))
