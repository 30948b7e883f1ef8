"""Which ClickHouse errors deserve a retry (the backoff schedule is `tailhouse.pipeline.backoff`)."""

from __future__ import annotations

import re

from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

__all__ = ["RETRYABLE_CLICKHOUSE_CODES", "clickhouse_error_code", "is_retryable"]

# ClickHouse error codes that describe a passing condition of the server, not of the data.
RETRYABLE_CLICKHOUSE_CODES: frozenset[int] = frozenset(
    {
        3,    # UNEXPECTED_END_OF_FILE (connection cut mid-stream)
        60,   # UNKNOWN_TABLE: table detached/renamed/being recreated
        81,   # UNKNOWN_DATABASE: database not yet (re)created
        159,  # TIMEOUT_EXCEEDED
        164,  # READONLY
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        203,  # NO_FREE_CONNECTION
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        236,  # ABORTED
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        243,  # NOT_ENOUGH_SPACE: the server's disk is full
        252,  # TOO_MANY_PARTS
        279,  # ALL_CONNECTION_TRIES_FAILED
        285,  # TOO_FEW_LIVE_REPLICAS
        319,  # UNKNOWN_STATUS_OF_INSERT
        394,  # QUERY_WAS_CANCELLED
        425,  # SYSTEM_ERROR
        439,  # CANNOT_SCHEDULE_TASK
        473,  # DEADLOCK_AVOIDED
        497,  # ACCESS_DENIED: grants are the server's state; the data waits until they are fixed
        516,  # AUTHENTICATION_FAILED: a password change on the server, not a property of the data
        999,  # KEEPER_EXCEPTION
        1000, # POCO_EXCEPTION
    }
)
_CODE = re.compile(r"Code: (\d+)")
# Messages of retryable codes that are in fact about the data: sending it again cannot help.
PERMANENT_MESSAGES: tuple[str, ...] = (
    # TOO_MANY_PARTS raised for one insert whose rows span more partitions (days) than
    # max_partitions_per_insert_block: a property of the inserted rows, not of the server.
    "Too many partitions for single INSERT block",
)


def clickhouse_error_code(exc: BaseException) -> int | None:
    """The ClickHouse error code named in an exception's message, if any."""
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return code
    m = _CODE.search(str(exc))
    return int(m.group(1)) if m else None


def is_retryable(exc: BaseException) -> bool:
    """True for network trouble and ClickHouse errors about the server's state; False for bad data."""
    if isinstance(exc, (OperationalError, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, DatabaseError):
        code = clickhouse_error_code(exc)
        if code is None:
            # No code: the client failed before ClickHouse answered (e.g. HTTP transport).
            return True
        if any(m in str(exc) for m in PERMANENT_MESSAGES):
            return False
        return code in RETRYABLE_CLICKHOUSE_CODES
    return False
