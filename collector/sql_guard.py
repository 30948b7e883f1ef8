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

from typing import TYPE_CHECKING, Any

from .query import statement_format, statement_params
from .sqltext import tokens

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

# Table functions (and engines used as functions) that touch the filesystem, the network or a process.
EXTERNAL_FUNCTIONS = frozenset(name.lower() for name in (
    "file", "fileCluster", "url", "urlCluster", "s3", "s3Cluster", "gcs", "cosn", "oss", "azureBlobStorage",
    "azureBlobStorageCluster", "hdfs", "hdfsCluster", "remote", "remoteSecure", "cluster", "clusterAllReplicas",
    "mysql", "postgresql", "mongodb", "redis", "sqlite", "jdbc", "odbc", "executable", "input", "dictionary",
    "iceberg", "icebergS3", "icebergAzure", "icebergHDFS", "icebergLocal", "icebergS3Cluster", "deltaLake",
    "deltaLakeS3", "deltaLakeAzure", "deltaLakeLocal", "hudi", "hive", "paimon", "ytsaurus", "arrowFlight",
    "prometheusQuery", "timeSeriesData",
))

class QueryRefused(ValueError):
    """The query reaches outside ClickHouse, or writes without write access."""


def _code(sql: str) -> list[str]:
    """The statement's code as ClickHouse reads it: comments dropped, string literals as '' (text such as
    `WHERE body LIKE '%url(%'` is no call), quoted identifiers by their name (`file`(…) is a call).

    The one lexer of `sqltext` decides what is a literal, an identifier or a comment, so a `#` or
    `--` inside `"…"` or `` `…` `` cannot hide the code after it.
    """
    out = []
    for tok in tokens(sql):
        if tok.kind == "comment":
            continue
        if tok.kind == "string":
            out.append("''")
        elif tok.kind == "ident":
            out.append(tok.text[1:-1] if tok.closed else tok.text[1:])
        else:
            out.append(tok.text)
    return out


def check_query(sql: str) -> None:
    """Raise QueryRefused for an external table function, INTO OUTFILE, FROM INFILE or KILL."""
    code = _code(sql)
    words = [c.upper() for c in code]
    # ClickHouse runs KILL in readonly mode: it could cancel the service's own inserts.
    if words[:1] == ["KILL"]:
        raise QueryRefused("KILL is refused: the admin endpoint does not cancel queries or mutations "
                           "(it could cancel the service's own inserts)")
    for first, second in zip(words, words[1:]):
        if (first, second) in (("INTO", "OUTFILE"), ("FROM", "INFILE")):
            raise QueryRefused(f"{first} {second} is refused: the admin endpoint does not "
                               "read or write files on the service's host")
    found = sorted({name for name, nxt in zip(code, code[1:]) if nxt == "(" and name.lower() in EXTERNAL_FUNCTIONS})
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


def run_sql(client: Client, sql: str, fmt: str, write: bool = False, params: dict[str, str] | None = None) -> bytes:
    """Run one statement with the client's default database and return ClickHouse's output in format `fmt`.

    Read-only unless `write` (ClickHouse `readonly=2`; the client is then left read-only);
    queries that reach outside ClickHouse are refused either way (QueryRefused). A FORMAT clause
    in the statement wins over `fmt`; `params` bind its `{name:Type}` placeholders.
    """
    if not write:
        return run_checked(client, sql, fmt, make_readonly(client), params)
    # URLs are common in this data; "\/" in JSON output is valid but hard to read.
    return run_checked(client, sql, fmt, {"output_format_json_escape_forward_slashes": 0}, params)
