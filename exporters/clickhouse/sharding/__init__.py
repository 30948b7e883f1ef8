"""Trace-locality sharding: every row of a trace goes to shard `cityHash64(trace_id) % N`."""
