"""Config of the ClickHouse exporter: endpoint, retries, sending, the write-ahead log, sharding, cluster."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tailhouse.pipeline.config_loader import ConfigError, Duration
from tailhouse.pipeline.exporter_config import RetryConfig, SendingConfig, SendingQueueConfig

from .events_table import TableOptions


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """(endpoint without its query, database named by `?database=NAME` or '').

    A shard endpoint may name its database, e.g. `chdb://./data/clickhouse?database=shard1`.
    """
    parts = urlsplit(endpoint)
    if not parts.query:
        return endpoint, ""
    database = parse_qs(parts.query).get("database", [""])[0]
    return endpoint.split("?", 1)[0], database


def chdb_path_of(endpoint: str, base_dir: Path) -> Path | None:
    """Filesystem path of one `chdb://PATH[?database=NAME]` endpoint (relative to `base_dir`, the
    config file's folder); None for a ClickHouse server."""
    if not endpoint.startswith("chdb://"):
        return None
    path = Path(split_endpoint(endpoint)[0][len("chdb://"):])
    return path if path.is_absolute() else (base_dir / path).resolve()


def _check_identifier(value: str, path: str) -> None:
    if not value or not value.replace("_", "").isalnum():
        raise ConfigError(path, f"expected a plain identifier, got {value!r}")


SHARDING_MODES = ("client", "distributed")


@dataclass
class ShardConfig:
    """One shard: its replicas (tried in order; the next one takes over when one is unreachable)."""

    endpoints: list[str] = field(default_factory=list)

    def validate(self, path: str) -> None:
        if not self.endpoints:
            raise ConfigError(f"{path}.endpoints", "a shard needs at least one endpoint")
        databases = set()
        for i, endpoint in enumerate(self.endpoints):
            _check_clickhouse_endpoint(endpoint, f"{path}.endpoints[{i}]")
            databases.add(split_endpoint(endpoint)[1])
        if len(databases) > 1:
            raise ConfigError(f"{path}.endpoints", "replicas of one shard must name the same database")


@dataclass
class ShardingConfig:
    """How rows are spread over shards: by `cityHash64(trace_id) % len(shards)`."""

    mode: str = "client"  # client: the collector splits batches; distributed: a Distributed table routes
    shards: list[ShardConfig] = field(default_factory=list)

    def validate(self, path: str) -> None:
        if self.mode not in SHARDING_MODES:
            raise ConfigError(f"{path}.mode", f"expected client or distributed, got {self.mode!r}")
        if not self.shards:
            raise ConfigError(f"{path}.shards", "list at least one shard")
        paths = {split_endpoint(e)[0] for s in self.shards for e in s.endpoints if e.startswith("chdb://")}
        if len(paths) > 1:
            # chDB runs one engine (one data directory) per process.
            raise ConfigError(f"{path}.shards", "chdb:// shards must share one data path (use ?database= per shard)")


@dataclass
class ClusterConfig:
    """The ClickHouse cluster (as named in the servers' remote_servers) the schema is created on."""

    name: str = ""
    replicated: bool = False  # Replicated*MergeTree tables (needs ClickHouse Keeper and {shard}/{replica} macros)

    def validate(self, path: str) -> None:
        _check_identifier(self.name, f"{path}.name")


def _check_clickhouse_endpoint(endpoint: str, path: str) -> None:
    scheme = endpoint.split("://", 1)[0] if "://" in endpoint else ""
    if scheme not in ("chdb", "http", "https"):
        raise ConfigError(path, f"expected chdb://PATH or http(s)://host:port, got {endpoint!r}")
    database = split_endpoint(endpoint)[1]
    if database:
        _check_identifier(database, f"{path} (database)")


@dataclass
class ClickHouseExporterConfig:
    endpoint: str = "chdb://./data/clickhouse"
    database: str = "tailhouse"
    username: str = ""
    password: str = ""
    create_schema: bool = True
    ttl: Duration = Duration(0)
    timeout: Duration = Duration(30.0)
    retry_on_failure: RetryConfig = field(default_factory=RetryConfig)
    sending: SendingConfig = field(default_factory=SendingConfig)
    sharding: ShardingConfig | None = None  # when set, `endpoint` is not used
    cluster: ClusterConfig | None = None
    sending_queue: SendingQueueConfig = field(default_factory=SendingQueueConfig)
    # poison requests (refused permanently by ClickHouse); empty = <queue storage>/deadletter
    dead_letter_dir: str = ""

    def validate(self, path: str) -> None:
        _check_clickhouse_endpoint(self.endpoint, f"{path}.endpoint")
        _check_identifier(self.database, f"{path}.database")
        if self.sharding is not None and self.sharding.mode == "distributed" and self.cluster is None:
            raise ConfigError(f"{path}.cluster", "sharding mode distributed needs cluster.name (the Distributed table's cluster)")
        if self.sharding is not None and self.cluster is not None:
            for i, shard in enumerate(self.sharding.shards):
                for j, endpoint in enumerate(shard.endpoints):
                    named = split_endpoint(endpoint)[1]
                    if named and named != self.database:
                        raise ConfigError(f"{path}.sharding.shards[{i}].endpoints[{j}]",
                                          "with a cluster every shard uses `database` (ON CLUSTER DDL creates one database)")

    def table_options(self) -> TableOptions:
        """Physical options of the `events` table: the TTL in whole days."""
        return TableOptions(ttl_days=int(self.ttl // 86400))

    def chdb_path(self, base_dir: Path) -> Path | None:
        """Filesystem path of the embedded store (the first shard's with sharding); None for a server."""
        endpoint = self.sharding.shards[0].endpoints[0] if self.sharding is not None else self.endpoint
        return chdb_path_of(endpoint, base_dir)

    def state_dir(self, base_dir: Path) -> Path:
        """Where local state lives by default: beside the embedded store, else `data/` in the config's folder."""
        store = self.chdb_path(base_dir) if self.sharding is None else None
        return store.parent if store is not None else (base_dir / "data").resolve()

    def log_path(self, name: str, base_dir: Path) -> Path:
        """Folder of exporter `name`'s write-ahead logs (one folder per payload kind below it)."""
        return self.sending_queue.directory(name, base_dir, self.state_dir(base_dir))

    def dead_letter_path(self, name: str, base_dir: Path) -> Path:
        """Folder where exporter `name` keeps requests ClickHouse refused permanently."""
        if self.dead_letter_dir:
            folder = Path(self.dead_letter_dir)
            return folder if folder.is_absolute() else (base_dir / folder).resolve()
        return self.log_path(name, base_dir) / "deadletter"
