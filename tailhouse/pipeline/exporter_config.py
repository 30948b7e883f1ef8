"""What every exporter built on a write-ahead log is configured with: its log, its sending, its retries.

The Collector's `sending_queue`, `retry_on_failure` and sending settings, shared by the ClickHouse
and the forwarding exporters (each exporter's config has these blocks under the same keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config_loader import ConfigError, Duration
from .wal import FSYNC_MODES


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
