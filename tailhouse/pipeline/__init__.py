"""The pipeline's contracts, shared by receivers and exporters (neither imports the other).

- `signals`: signals and payload kinds;
- `errors`: what storing can fail with (`ExportError`, `QueueFull`);
- `wal`: the write-ahead log receivers append to and exporters read from;
- `sender`: the generic queued sender (log → batches → push → commit);
- `exporter_logs`: an exporter's logs and senders (open, health, flush, close); `exporter_config`:
  their config blocks (`sending_queue`, `sending`, `retry_on_failure`);
- `fanout`: appending one request to every exporter log of its pipelines;
- `components`: the `Exporter` and `Receiver` protocols, the exporter factory contract;
- `stats`: the counters behind /stats and /metrics; `backoff`: retry delays; `config_loader`:
  YAML → config dataclasses; `rules`: the mapping rules every source shares (with their SQL).
"""
