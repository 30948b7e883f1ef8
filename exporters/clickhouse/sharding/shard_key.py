"""The shard function, identical to ClickHouse's `cityHash64(trace_id) % N`.

ClickHouse's `cityHash64` is CityHash v1.0.2 (later CityHash releases hash differently);
`clickhouse-cityhash` binds exactly that version, so a `Distributed` table with sharding key
`cityHash64(trace_id)` and this collector put a trace on the same shard.
"""

from __future__ import annotations

from clickhouse_cityhash.cityhash import CityHash64


def city_hash64(data: bytes) -> int:
    """ClickHouse's `cityHash64` of one String value."""
    return int(CityHash64(data))


def shard_of_trace(trace_id_hex: str, shards: int) -> int:
    """Shard (0-based) of a row whose stored `trace_id` is `trace_id_hex` (32 lowercase hex or '')."""
    return city_hash64(trace_id_hex.encode()) % shards


def shard_of_trace_bytes(trace_id: bytes, shards: int) -> int:
    """Shard of a row whose OTLP trace id is `trace_id` (16 raw bytes); stored as lowercase hex."""
    return city_hash64(trace_id.hex().encode()) % shards


def shard_of_key(key: bytes, shards: int) -> int:
    """Shard of a row without a trace id, spread by another stable key (its series or content)."""
    return city_hash64(key) % shards
