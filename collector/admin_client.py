"""How the command line reaches the store: through a running service's admin endpoint (it holds the
embedded store and the auth), else directly with a client built from the config."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

from tailhouse.exporters.clickhouse.config import ClickHouseExporterConfig
from tailhouse.pipeline.config_loader import ConfigError

from .config import Config
from .query import clickhouse_format
from .sql_guard import run_sql

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def admin_base(config: Config) -> str:
    """URL of the configured admin endpoint (loopback when it listens on every interface)."""
    admin = config.service.telemetry.admin
    host, _, port = admin.endpoint.rpartition(":")
    if host in ("0.0.0.0", "", "::", "[::]"):
        host = "127.0.0.1"
    return f"{'https' if admin.tls else 'http'}://{host}:{port}"


def admin_headers(config: Config) -> dict[str, str]:
    """The bearer token of the admin endpoint's `auth`, when it has one."""
    auth = config.service.telemetry.admin.auth
    return {"Authorization": f"Bearer {auth.bearer_token}"} if auth else {}


def error_detail(exc: urllib.error.HTTPError) -> str:
    """What the admin endpoint said when it refused: its JSON `error`, else the body as text."""
    body = exc.read().decode(errors="replace")
    try:
        return str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        return body


def admin_query(config: Config, sql: str, fmt: str, write: bool = False,
                 params: dict[str, str] | None = None) -> bytes | None:
    """Ask the running service of `config` to run the query; None when no service answers."""
    return post_query(admin_base(config), admin_headers(config), sql, fmt, write, params)


def post_query(base_url: str, headers: dict[str, str], sql: str, fmt: str, write: bool = False,
               params: dict[str, str] | None = None) -> bytes | None:
    """POST /query to the admin endpoint at `base_url`; None when nothing answers there.

    Raises RuntimeError with the endpoint's own message when it refuses the query.
    """
    query = {"format": fmt, **({"write": "1"} if write else {}), **{f"param_{k}": v for k, v in (params or {}).items()}}
    url = f"{base_url.rstrip('/')}/query?" + urllib.parse.urlencode(query)
    req = urllib.request.Request(url, data=sql.encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(error_detail(exc)) from None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def first_clickhouse_exporter(config: Config) -> ClickHouseExporterConfig:
    """The ClickHouse exporter `sql`, `schema` and `trace` read from: the first one configured."""
    for exporter in config.exporters.values():
        if isinstance(exporter, ClickHouseExporterConfig):
            return exporter
    raise ConfigError("exporters", "no clickhouse exporter to query")


class WritesNotAllowed(PermissionError):
    """`--write` without `allow_writes: true` on the admin config."""


class SqlSession:
    """Runs statements through the running service (it holds the embedded store), else directly.

    Whether a service answers is decided by the first statement; the direct client, once opened,
    serves the rest of the session.
    """

    def __init__(self, config: Config, write: bool = False) -> None:
        """Read-only unless `write`, which needs `service.telemetry.admin.allow_writes: true` on either path."""
        if write and not config.service.telemetry.admin.allow_writes:
            raise WritesNotAllowed("--write needs service.telemetry.admin.allow_writes: true in the config")
        self._config = config
        self._write = write
        self._client: Client | None = None
        self._via_service: bool | None = None

    def run(self, sql: str, fmt: str, params: dict[str, str] | None = None) -> bytes:
        """ClickHouse's output of one statement in `fmt` (a FORMAT clause in `sql` wins)."""
        if self._via_service is not False:
            out = admin_query(self._config, sql, fmt, self._write, params)
            if out is not None:
                self._via_service = True
                return out
            self._via_service = False
        return run_sql(self._direct_client(), sql, fmt, self._write, params)

    def _direct_client(self) -> Client:
        if self._client is None:
            from tailhouse.exporters.clickhouse.client import client_for

            exporter = first_clickhouse_exporter(self._config)
            self._client = client_for(exporter, self._config.chdb_path(exporter), exporter.database)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def run_query(config: Config, sql: str, fmt: str, params: dict[str, str] | None = None, write: bool = False) -> bytes:
    """Query output in `fmt`: through the running service when there is one, else directly (read-only unless `write`)."""
    session = SqlSession(config, write)
    try:
        return session.run(sql, clickhouse_format(fmt), params)
    finally:
        session.close()


def admin_post_json(config: Config, path: str, payload: dict[str, object]) -> dict[str, object] | None:
    """POST JSON to a running service's admin endpoint; None when no service answers."""
    req = urllib.request.Request(f"{admin_base(config)}{path}", data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **admin_headers(config)})
    try:
        with urllib.request.urlopen(req, timeout=600) as resp:
            return dict(json.loads(resp.read()))
    except urllib.error.HTTPError as exc:
        raise RuntimeError(error_detail(exc)) from None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def clickhouse_exporters(config: Config, only: str | None) -> list[tuple[str, ClickHouseExporterConfig]]:
    """(name, config) of every ClickHouse exporter, or of the one named `only`."""
    found = [(n, e) for n, e in config.exporters.items() if isinstance(e, ClickHouseExporterConfig)]
    if only:
        found = [(n, e) for n, e in found if n == only]
        if not found:
            raise ConfigError("exporters", f"no clickhouse exporter named {only!r}")
    return found
