"""The `batch` processor: how the exporters of a pipeline cut batches from their write-ahead logs.

It holds no data of its own (the log is the buffer); its settings become each exporter's `BatchShape`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tailhouse.pipeline.config_loader import ByteSize, ConfigError, Duration
from tailhouse.pipeline.sender import BatchShape


@dataclass
class BatchProcessorConfig:
    send_batch_size: int = 8192
    send_batch_max_bytes: ByteSize = ByteSize(32 * 2**20)
    timeout: Duration = Duration(1.0)

    def validate(self, path: str) -> None:
        if self.send_batch_size <= 0:
            raise ConfigError(f"{path}.send_batch_size", "must be positive")
        if self.send_batch_max_bytes <= 0:
            raise ConfigError(f"{path}.send_batch_max_bytes", "must be positive")
        if self.timeout <= 0:
            raise ConfigError(f"{path}.timeout", "must be positive")

    def shape(self, exporter: Any) -> BatchShape:
        """How `exporter` (its config) cuts batches from its log: these settings and the exporter's own limits."""
        return BatchShape(min_items=self.send_batch_size, timeout=float(self.timeout),
                          max_items=max(exporter.sending.max_insert_items, self.send_batch_size),
                          max_bytes=int(self.send_batch_max_bytes))


@dataclass(frozen=True)
class ProcessorFactory:
    """A processor type: its config. Processors here shape how exporters read their logs; no data
    passes through them."""

    config_type: type


FACTORY = ProcessorFactory(BatchProcessorConfig)
