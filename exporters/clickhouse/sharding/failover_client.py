"""A client over the replicas of one shard: calls go to the current replica, the next takes over.

Only errors that say a replica cannot serve right now (network trouble, the retryable ClickHouse
codes) move to the next replica; bad data fails at once, as on a single server. Inserts carry an
`insert_deduplication_token`, so an insert retried on another replica after an ambiguous failure
is stored once (replicated tables share their deduplication log through Keeper).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from clickhouse_connect.driver.client import Client

from tailhouse.pipeline.errors import first_line

from ...retry import is_retryable

log = logging.getLogger(__name__)


class FailoverClient:
    """The part of a clickhouse-connect client the exporter uses, spread over replicas."""

    def __init__(self, replicas: list[str], connect: Callable[[str], Client],
                 insert_settings: dict[str, str] | None = None, insert_tables: dict[str, str] | None = None) -> None:
        """`connect(endpoint)` makes a client; `insert_settings` are added to every insert and
        `insert_tables` redirects inserts (distributed mode: `events` rows go to `events_all`)."""
        if not replicas:
            raise ValueError("a shard needs at least one replica endpoint")
        self.replicas = list(replicas)
        self._connect = connect
        self._clients: dict[int, Client] = {}
        self._current = 0
        self._insert_settings = dict(insert_settings or {})
        self._insert_tables = dict(insert_tables or {})

    @property
    def current_endpoint(self) -> str:
        """The replica calls go to now."""
        return self.replicas[self._current]

    def _call(self, what: str, fn: Callable[[Client], Any]) -> Any:
        last: BaseException | None = None
        for step in range(len(self.replicas)):
            index = (self._current + step) % len(self.replicas)
            try:
                client = self._clients.get(index)
                if client is None:
                    client = self._clients[index] = self._connect(self.replicas[index])
                result = fn(client)
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                last = exc
                if len(self.replicas) > 1:
                    log.warning("replica %s: %s failed (%s); trying the next replica", self.replicas[index], what,
                                first_line(exc))
                continue
            if index != self._current:
                log.info("now writing to replica %s", self.replicas[index])
                self._current = index
            return result
        assert last is not None
        raise last

    def raw_insert(self, table: str, column_names: Any = None, insert_block: Any = None,
                   settings: dict[str, Any] | None = None, fmt: str | None = None, compression: str | None = None) -> Any:
        """clickhouse-connect's raw_insert on the first replica that can take it."""
        merged = {**(settings or {}), **self._insert_settings}
        target = self._insert_tables.get(table, table)
        return self._call(f"insert into {target}",
                          lambda c: c.raw_insert(target, column_names, insert_block, merged, fmt, compression))

    def command(self, cmd: str, parameters: Any = None, data: Any = None, settings: Any = None) -> Any:
        """clickhouse-connect's command on the first replica that answers."""
        return self._call("command", lambda c: c.command(cmd, parameters, data, settings))

    def query(self, query: str, parameters: Any = None, settings: Any = None) -> Any:
        """clickhouse-connect's query on the first replica that answers."""
        return self._call("query", lambda c: c.query(query, parameters, settings))

    def raw_query(self, query: str, parameters: Any = None, settings: Any = None, fmt: str | None = None) -> Any:
        """clickhouse-connect's raw_query on the first replica that answers."""
        return self._call("query", lambda c: c.raw_query(query, parameters, settings, fmt))

    def close(self) -> None:
        """Close every replica's client; the first failure is raised after all were tried."""
        errors: list[BaseException] = []
        for client in self._clients.values():
            try:
                client.close()
            except Exception as exc:  # keep closing the others
                errors.append(exc)
        self._clients.clear()
        if errors:
            raise errors[0]
