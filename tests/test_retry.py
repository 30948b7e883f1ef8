"""Backoff schedule and the retryable/permanent split, on real ClickHouse errors from chDB."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from tailhouse.exporters.retry import clickhouse_error_code, is_retryable
from tailhouse.pipeline.backoff import Backoff


def test_backoff_grows_caps_and_stops() -> None:
    b = Backoff(initial_interval=1, multiplier=2, randomization_factor=0, max_interval=5, max_elapsed_time=20)
    assert list(b.delays()) == [1, 2, 4, 5, 5]  # the next 5 would pass 20 s in total


def test_backoff_jitter_stays_within_factor() -> None:
    b = Backoff(initial_interval=2, multiplier=1, randomization_factor=0.5, max_interval=2, max_elapsed_time=0)
    gen = b.delays(random.Random(7))
    waits = [next(gen) for _ in range(200)]
    assert all(1 <= w <= 3 for w in waits) and len(set(waits)) > 100


def test_classification_of_real_clickhouse_errors() -> None:
    # chDB runs in a child process so this test process never opens an engine.
    script = r"""
import clickhouse_connect, sys, tempfile
c = clickhouse_connect.get_client(dsn='chdb://' + tempfile.mkdtemp())
for sql in ("SELEC 1", "SELECT * FROM no_such_table", "SELECT toInt8('x')"):
    try:
        c.command(sql)
    except Exception as e:
        print(type(e).__name__, '|', str(e).replace('\n', ' ')[:300])
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120).stdout
    lines = [line.split(" | ", 1) for line in out.splitlines() if " | " in line]
    assert len(lines) == 3
    errors = [DatabaseError(msg) for _, msg in lines]
    syntax, unknown_table, bad_cast = errors
    assert clickhouse_error_code(syntax) == 62 and not is_retryable(syntax)
    assert clickhouse_error_code(unknown_table) == 60 and is_retryable(unknown_table)  # detached/renamed table
    assert not is_retryable(bad_cast)


def test_network_errors_are_retryable() -> None:
    assert is_retryable(OperationalError("connection refused"))
    assert is_retryable(ConnectionResetError())
    assert not is_retryable(ValueError("bad data"))


@pytest.mark.parametrize("code, name", [(243, "NOT_ENOUGH_SPACE"), (497, "ACCESS_DENIED"),
                                        (516, "AUTHENTICATION_FAILED"), (279, "ALL_CONNECTION_TRIES_FAILED")])
def test_errors_about_the_servers_state_are_retryable(code: int, name: str) -> None:
    # As a ClickHouse server words them: the data waits in the log until the server is fixed.
    exc = DatabaseError(f"HTTPDriver received ClickHouse error code {code}\n Code: {code}. DB::Exception: ({name})")
    assert is_retryable(exc)
