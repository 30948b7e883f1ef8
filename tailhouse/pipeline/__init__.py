"""The pipeline's contracts, shared by receivers and exporters (neither imports the other).

- `signals`: signals and payload kinds;
- `errors`: what storing can fail with (`ExportError`, `QueueFull`);
- `wal`: the write-ahead log receivers append to and exporters read from;
- `sender`: the generic queued sender (log → batches → push → commit);
- `fanout`: appending one request to every exporter log of its pipelines;
- `components`: the `Exporter` and `Receiver` protocols.
"""
