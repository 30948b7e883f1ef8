"""clickhouse-connect clients for `chdb://` (embedded) and `http(s)://` (server) endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client

if TYPE_CHECKING:
    from .config import ClickHouseExporterConfig


def make_client(endpoint: str, chdb_path: Path | None, username: str = "", password: str = "",
                timeout: float = 30.0, database: str | None = None) -> Client:
    """A client for the endpoint; the same insert/query code then runs against either backend.

    chDB allows one engine (data directory) per process; every client made here for the same
    path shares that engine, which is what lets several inserts run in parallel.
    """
    if chdb_path is not None:
        chdb_path.mkdir(parents=True, exist_ok=True)
        return clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}", database=database)
    url = urlparse(endpoint)
    return clickhouse_connect.get_client(
        host=url.hostname or "localhost",
        port=url.port or (8443 if url.scheme == "https" else 8123),
        interface=url.scheme,
        username=unquote(url.username) if url.username else (username or "default"),
        password=unquote(url.password) if url.password else password,
        connect_timeout=min(timeout, 10.0),
        send_receive_timeout=timeout,
        autogenerate_session_id=False,
        database=database or "",
    )


def client_for(config: "ClickHouseExporterConfig", chdb_path: Path | None, database: str | None = None,
               endpoint: str | None = None) -> Client:
    """A client with an exporter config's credentials and timeout (`endpoint` overrides the config's)."""
    return make_client(endpoint or config.endpoint, chdb_path, config.username, config.password, config.timeout,
                       database)
