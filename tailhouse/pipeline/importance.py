"""Importance of a row (0 CRITICAL … 3 LOW) from a log severity: one rule for every source.

Both the ClickHouse mapping views (OTLP logs, in SQL) and the Workers tail mapper (in Python)
draw from this table, so an OTLP FATAL log and a Workers `console.fatal` get the same importance.
"""

from __future__ import annotations

CRITICAL, HIGH, NORMAL, LOW = 0, 1, 2, 3

# (lowest severity_number on the OpenTelemetry scale, importance), most severe first
SEVERITY_IMPORTANCE: tuple[tuple[int, int], ...] = ((21, CRITICAL), (17, HIGH), (13, NORMAL))
# from this severity_number on, a log row's outcome is `error`
ERROR_SEVERITY = 17


def importance_of_severity(number: int) -> int:
    """FATAL → CRITICAL, ERROR → HIGH, WARN → NORMAL, otherwise LOW."""
    for lowest, importance in SEVERITY_IMPORTANCE:
        if number >= lowest:
            return importance
    return LOW


def importance_of_severity_sql(severity: str) -> str:
    """The same rule as a ClickHouse expression over the SQL expression `severity`."""
    arms = ", ".join(f"{severity} >= {lowest}, {importance}" for lowest, importance in SEVERITY_IMPORTANCE)
    return f"multiIf({arms}, {LOW})"
