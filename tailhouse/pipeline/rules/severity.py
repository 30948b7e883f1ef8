"""Log severity on the OpenTelemetry scale: level ranges, level names, importance, error threshold.

The OpenTelemetry log data model splits `SeverityNumber` 1–24 into six ranges of four
(TRACE 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24); 0 is unspecified.
The mapping views (OTLP logs), the Workers tail mapper (console levels), the reports' level
column and `--level` filters, and the live tail's `--level` all read these ranges from here.
"""

from __future__ import annotations

CRITICAL, HIGH, NORMAL, LOW = 0, 1, 2, 3

# (level name, lowest severity_number of its range), lowest first
SEVERITY_LEVELS: tuple[tuple[str, int], ...] = (
    ("TRACE", 1), ("DEBUG", 5), ("INFO", 9), ("WARN", 13), ("ERROR", 17), ("FATAL", 21),
)
# what `--level` options offer (lower case)
LEVEL_NAMES: tuple[str, ...] = tuple(n.lower() for n, _ in SEVERITY_LEVELS)
# other spellings of a level name that users type (`--level warning`)
LEVEL_ALIASES: dict[str, str] = {"WARNING": "WARN"}

_FLOOR = dict(SEVERITY_LEVELS)
TRACE, DEBUG, INFO, WARN, ERROR, FATAL = (_FLOOR[n] for n, _ in SEVERITY_LEVELS)

# from this severity_number on, a log row's outcome is `error` (and it counts as an error)
ERROR_SEVERITY = ERROR

# (lowest severity_number, importance), most severe first; below them a log is LOW
SEVERITY_IMPORTANCE: tuple[tuple[int, int], ...] = ((FATAL, CRITICAL), (ERROR, HIGH), (WARN, NORMAL))


def level_floor(name: str) -> int:
    """Lowest severity_number of a level name (case-insensitive, aliases allowed).

    Raises KeyError naming the level and the accepted names when it is not one.
    """
    upper = LEVEL_ALIASES.get(name.upper(), name.upper())
    if upper not in _FLOOR:
        raise KeyError(f"level {name!r}: expected one of {', '.join(LEVEL_NAMES)}")
    return _FLOOR[upper]


def level_names(minimum: int) -> list[str]:
    """Every level name (aliases included, upper case) whose range starts at `minimum` or above."""
    names = [n for n, lo in SEVERITY_LEVELS if lo >= minimum]
    return names + [alias for alias, n in LEVEL_ALIASES.items() if n in names]


# lower-case level name (aliases included) → lowest severity_number: what `--level` accepts
LEVELS: dict[str, int] = {
    **{n.lower(): lo for n, lo in SEVERITY_LEVELS},
    **{a.lower(): _FLOOR[n] for a, n in LEVEL_ALIASES.items()},
}


def severity_name(number: int) -> str:
    """Level name of a severity_number ('' for 0, unspecified); above 24 reads as FATAL."""
    for name, lowest in reversed(SEVERITY_LEVELS):
        if number >= lowest:
            return name
    return ""


def severity_name_sql(number: str) -> str:
    """The same as a ClickHouse expression over the SQL expression `number`."""
    arms = ", ".join(f"{number} >= {lowest}, '{name}'" for name, lowest in reversed(SEVERITY_LEVELS))
    return f"multiIf({arms}, '')"


# Rows with no severity of their own (a span, a metric point: the OTLP field does not exist there,
# and the views store 0) read as a level where a level is asked for, in the live tail's `--level`
# and display: (event_type, status_code or None for any, severity_number), first match wins.
IMPLIED_SEVERITY: tuple[tuple[str, str | None, int], ...] = (
    ("span", "Error", ERROR), ("span", None, INFO), ("metric", None, INFO),
)


def implied_severity(event_type: str, status_code: str, severity_number: int) -> int:
    """The severity a row reads as: its own, or for a span / metric point the implied one."""
    for kind, status, number in IMPLIED_SEVERITY:
        if event_type == kind and (status is None or status_code == status):
            return number
    return severity_number


def severity_at_least_sql(level: int) -> str:
    """ClickHouse condition over `events`: the row's severity, implied for spans and metric points,
    is at least `level` (what `implied_severity(...) >= level` says in Python)."""
    kinds = list(dict.fromkeys(k for k, _, _ in IMPLIED_SEVERITY))
    arms = [f"(severity_number >= {level} AND event_type NOT IN ({', '.join(repr(k) for k in kinds)}))"]
    for kind in kinds:
        rules = [(status, number) for k, status, number in IMPLIED_SEVERITY if k == kind]
        if all(number >= level for _, number in rules) and rules[-1][0] is None:
            arms.append(f"event_type = '{kind}'")
            continue
        earlier: list[str] = []
        for status, number in rules:
            cond = [f"event_type = '{kind}'", *(f"status_code != '{e}'" for e in earlier)]
            if status is not None:
                cond.append(f"status_code = '{status}'")
            if number >= level:
                arms.append("(" + " AND ".join(cond) + ")")
            if status is None:
                break
            earlier.append(status)
    return arms[0] if len(arms) == 1 else "(" + " OR ".join(arms) + ")"


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


def severity_outcome(number: int) -> str:
    """`error` from ERROR on, else `ok`: a log row's outcome when its source names none."""
    return "error" if number >= ERROR_SEVERITY else "ok"


def severity_outcome_sql(severity: str) -> str:
    """The same as a ClickHouse expression over the SQL expression `severity`."""
    return f"if({severity} >= {ERROR_SEVERITY}, 'error', 'ok')"
