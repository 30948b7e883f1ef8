"""Config of the ClickHouse exporter: endpoint, retries, sending, the write-ahead log, sharding, cluster."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tailhouse.pipeline.config_loader import ConfigError, Duration
from tailhouse.pipeline.wal import FSYNC_MODES

from .events_table import TableOptions


@dataclass
class RetryConfig:
    """Exponential backoff with jitter, as the Collector's `retry_on_failure`."""

    enabled: bool = True
    initial_interval: Duration = Duration(1.0)
    randomization_factor: float = 0.5
    multiplier: float = 1.5
    max_interval: Duration = Duration(30.0)
    max_elapsed_time: Duration = Duration(300.0)

    def validate(self, path: str) -> None:
        if not 0 <= self.randomization_factor <= 1:
            raise ConfigError(f"{path}.randomization_factor", "must be between 0 and 1")
        if self.multiplier < 1:
            raise ConfigError(f"{path}.multiplier", "must be at least 1")
        if self.initial_interval <= 0:
            raise ConfigError(f"{path}.initial_interval", "must be positive")


@dataclass
class SendingConfig:
    """How the exporter writes: parallel inserts and how much one insert may coalesce."""

    num_consumers: int = 2
    max_insert_items: int = 200_000

    def validate(self, path: str) -> None:
        if self.num_consumers <= 0:
            raise ConfigError(f"{path}.num_consumers", "must be positive")
        if self.max_insert_items <= 0:
            raise ConfigError(f"{path}.max_insert_items", "must be positive")


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
class SendingQueueConfig:
    """The exporter's write-ahead log: receivers append accepted requests here, the exporter reads them.

    A client is acknowledged once its request is in the log: fsynced (`fsync: always`, the
    default, a few milliseconds through group commit) or written to the OS (`fsync: interval`:
    a power loss may lose up to `fsync_interval` of acknowledged data; a process crash loses
    nothing). The log is always on; `enabled: false` is refused rather than silently ignored.
    """

    enabled: bool = True
    storage: str = ""  # parent directory of the logs (one folder per exporter); empty = beside the embedded store, else <config dir>/data/queue
    max_size_mib: int = 1024  # unexported request bytes; beyond it clients get backpressure (retryable)
    segment_size_mib: int = 16  # a segment file is closed (and deleted once exported) at this size
    fsync: str = "always"  # always: fsync before the ack; interval: ack after the write, fsync every fsync_interval
    fsync_interval: Duration = Duration(1.0)
    memory_mib: int = 64  # recently appended requests kept in memory for the exporter (beyond: read back from disk)

    def validate(self, path: str) -> None:
        if not self.enabled:
            raise ConfigError(f"{path}.enabled", "the write-ahead log cannot be turned off (every request is acknowledged "
                              "from it); for a weaker, faster mode use `fsync: interval`")
        if self.max_size_mib <= 0:
            raise ConfigError(f"{path}.max_size_mib", "must be positive")
        if self.segment_size_mib <= 0:
            raise ConfigError(f"{path}.segment_size_mib", "must be positive")
        if self.fsync not in FSYNC_MODES:
            raise ConfigError(f"{path}.fsync", f"expected one of {', '.join(FSYNC_MODES)}, got {self.fsync!r}")
        if self.fsync_interval <= 0:
            raise ConfigError(f"{path}.fsync_interval", "must be positive")
        if self.memory_mib < 0:
            raise ConfigError(f"{path}.memory_mib", "must not be negative")

    def directory(self, name: str, base_dir: Path, state_dir: Path) -> Path:
        """The folder of exporter `name`'s logs: `storage`/<name> (relative to the config file's folder),
        else `state_dir`/queue/<name>."""
        folder = name.replace("/", "_")
        if self.storage:
            storage = Path(self.storage)
            return (storage if storage.is_absolute() else base_dir / storage).resolve() / folder
        return state_dir / "queue" / folder


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
