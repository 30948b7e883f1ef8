"""Importance (0 CRITICAL … 3 LOW) of a row, per kind of row: one table, rendered in Python and SQL.

Each kind of row has an ordered list of arms (a condition and the importance it gives; the first
that holds wins) and a default. The conditions read facts a row has in both worlds; `FACTS` says
what each means, in Python (over `Facts`) and as a SQL template over named inputs.

Deliberate differences, stated here instead of in two code bases:

* a **span** with status Error, or a 5xx response, is HIGH, never CRITICAL: a span is one operation
  of a trace, and an error inside a trace is often handled further up;
* a **Workers invocation** whose outcome is not `ok` (exception, exceededCpu, canceled, …) or
  that threw is CRITICAL: the runtime's own verdict that the Worker failed. A 5xx response or
  an ERROR/FATAL console line makes it HIGH, at most: the invocation itself completed, so a
  FATAL line makes its own `log` row CRITICAL (the log rule) but the invocation HIGH;
* a **log** takes its importance from its severity alone (`severity.SEVERITY_IMPORTANCE`), for
  OTLP logs and Workers console lines alike;
* an uncaught **Workers exception** (its own `log` row, severity ERROR) is CRITICAL: it ended the
  invocation, which an OTLP log that merely records an exception does not say;
* a **metric** data point is LOW.

OTLP rows carrying a Workers outcome (`cloudflare.outcome`, Workers' own OTLP export) keep the
span / log rule: their importance does not read the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .severity import CRITICAL, ERROR_SEVERITY, HIGH, LOW, NORMAL, WARN

# From this HTTP response status on, a request failed on the server's side.
SERVER_ERROR_STATUS = 500
# OTLP span status code of Error (opentelemetry.proto.trace.v1.Status.StatusCode).
SPAN_STATUS_ERROR = 2
# The Workers outcome of an invocation that completed.
OK_OUTCOME = "ok"


@dataclass(frozen=True)
class Facts:
    """What the importance conditions read about one row (unset facts are 0 / '')."""

    span_status: int = 0        # OTLP status code: 0 Unset, 1 Ok, 2 Error
    http_status: int = 0        # HTTP response status, 0 when none
    outcome: str = ""           # Workers outcome of an invocation
    exceptions: int = 0         # exceptions an invocation threw
    max_log_severity: int = 0   # highest severity_number of an invocation's console lines


@dataclass(frozen=True)
class Fact:
    """A condition on a row: in Python over `Facts`, in SQL as a template over named inputs."""

    python: Callable[[Facts], bool]
    sql: str
    meaning: str


FACTS: dict[str, Fact] = {
    "span_error": Fact(lambda f: f.span_status == SPAN_STATUS_ERROR, f"{{span_status}} = {SPAN_STATUS_ERROR}",
                       "the span's status is Error"),
    "server_error": Fact(lambda f: f.http_status >= SERVER_ERROR_STATUS, f"{{http_status}} >= {SERVER_ERROR_STATUS}",
                         "the HTTP response status is 5xx"),
    "failed_outcome": Fact(lambda f: f.outcome != OK_OUTCOME, f"{{outcome}} != '{OK_OUTCOME}'",
                           "the Workers outcome is not ok"),
    "threw": Fact(lambda f: f.exceptions > 0, "{exceptions} > 0", "the invocation threw an exception"),
    "error_log": Fact(lambda f: f.max_log_severity >= ERROR_SEVERITY, f"{{max_log_severity}} >= {ERROR_SEVERITY}",
                      "a console line is ERROR or FATAL"),
    "warn_log": Fact(lambda f: f.max_log_severity >= WARN, f"{{max_log_severity}} >= {WARN}",
                     "a console line is WARN"),
}


@dataclass(frozen=True)
class Arm:
    when: str         # a name in FACTS
    importance: int


@dataclass(frozen=True)
class ImportanceRule:
    arms: tuple[Arm, ...]
    default: int = LOW


# The table. `log` rows use the severity rule (`severity.importance_of_severity`), not an entry here.
IMPORTANCE: dict[str, ImportanceRule] = {
    "span": ImportanceRule((Arm("span_error", HIGH), Arm("server_error", HIGH))),
    "invocation": ImportanceRule((Arm("failed_outcome", CRITICAL), Arm("threw", CRITICAL),
                                  Arm("server_error", HIGH), Arm("error_log", HIGH), Arm("warn_log", NORMAL))),
    "exception": ImportanceRule((), CRITICAL),
    "metric": ImportanceRule(()),
}


def importance_of(kind: str, facts: Facts) -> int:
    """Importance of a row of `kind` (span, invocation, exception, metric) with these facts."""
    rule = IMPORTANCE[kind]
    for arm in rule.arms:
        if FACTS[arm.when].python(facts):
            return arm.importance
    return rule.default


def importance_sql(kind: str, **inputs: str) -> str:
    """The same rule as a ClickHouse expression; `inputs` names the SQL of each fact input
    (`span_status=`, `http_status=`, …) the kind's conditions read.

    Consecutive arms of equal importance are joined with OR, so a rule with one level renders
    as `if(a OR b, level, default)` and longer ones as `multiIf(...)`.
    """
    rule = IMPORTANCE[kind]
    groups: list[tuple[list[str], int]] = []
    for arm in rule.arms:
        cond = FACTS[arm.when].sql.format(**inputs)
        if groups and groups[-1][1] == arm.importance:
            groups[-1][0].append(cond)
        else:
            groups.append(([cond], arm.importance))
    if not groups:
        return str(rule.default)
    arms = ", ".join(f"{' OR '.join(conds)}, {importance}" for conds, importance in groups)
    return f"if({arms}, {rule.default})" if len(groups) == 1 else f"multiIf({arms}, {rule.default})"


def span_outcome_sql(span_status: str) -> str:
    """`error` for a span with status Error, else `ok` (when the span names no outcome of its own)."""
    return f"if({span_status} = {SPAN_STATUS_ERROR}, 'error', 'ok')"


def span_outcome(span_status: int) -> str:
    """The same in Python."""
    return "error" if span_status == SPAN_STATUS_ERROR else "ok"
