"""The exporter's durable queue: fsynced, append-only segment files of batched requests."""
