"""What a live-tail subscriber asked for, evaluated on each event before anything is sent.

Every filter given must match (AND). Topics: an event's topic is `TYPE.SERVICE.NAME`
(`span.checkout.POST /cart`, `tail.shop-worker.exception`, `log.api.console.error` …). A topic
pattern has up to three dot-separated parts matched against type, service and name in turn:

- each part is a shell glob (`*` any text, `?` one character, `[abc]` a set);
- the last part given takes the rest of the pattern, dots included (`log.api.console.*`);
- missing parts match anything (`span.checkout` = `span.checkout.*`, `tail` = `tail.*.*`);
- a literal dot inside the type or service part is written `[.]` (`span.shop[.]eu.*`).

Several `--topic`s match an event when any of them does. The same filters become a ClickHouse
WHERE clause for `--since` (`to_sql`), so stored and live events are selected alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Mapping

from tailhouse.pipeline.rules.severity import implied_severity, level_floor, severity_at_least_sql
from tailhouse.pipeline.rules.sql import sql_string

from .events import EVENT_TYPES, live_type
from .where import Predicate, compile_where


class FilterError(ValueError):
    """A filter the live tail cannot evaluate; the message names the parameter."""


def split_topic(pattern: str) -> tuple[str, str, str]:
    """(type, service, name) globs of a topic pattern; see the module docstring."""
    parts: list[str] = []
    current, depth = "", 0
    for c in pattern:
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        if c == "." and depth == 0 and len(parts) < 2:
            parts.append(current)
            current = ""
        else:
            current += c
    parts.append(current)
    while len(parts) < 3:
        parts.append("*")
    if any(p == "" for p in parts):
        raise FilterError(f"topic {pattern!r}: an empty part (use * to match anything)")
    return parts[0], parts[1], parts[2]


def glob_regex(glob: str) -> str:
    """A shell glob as an anchored RE2/Python regex (for ClickHouse `match()`)."""
    out, i = ["^"], 0
    while i < len(glob):
        c = glob[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[" and "]" in glob[i + 1:]:
            j = glob.index("]", i + 1)
            body = glob[i + 1:j]
            neg = body.startswith("!")
            out.append("[" + ("^" if neg else "") + re.escape(body[1:] if neg else body) + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out) + "$"



_TYPE_SQL = "if(source = 'tail', 'tail', event_type)"


@dataclass
class TailFilter:
    """The filters of one subscription (query parameters of GET /tail, options of `tailhouse tail`)."""

    types: list[str] = field(default_factory=list)
    service: str = ""
    level: int = 0
    trace: str = ""
    grep: str = ""
    where: str = ""
    topics: list[tuple[str, str, str]] = field(default_factory=list)
    _where: Predicate | None = None

    @classmethod
    def parse(cls, params: Mapping[str, Any], getall: Any = None) -> "TailFilter":
        """From query parameters (type, service, level, trace, grep, where, topic; type/topic repeatable)."""
        def values(name: str) -> list[str]:
            raw = getall(name, []) if getall else ([params[name]] if name in params else [])
            return [v for item in raw for v in str(item).split(",") if v.strip()]

        f = cls()
        for t in values("type"):
            if t not in EVENT_TYPES:
                raise FilterError(f"type {t!r}: expected one of {', '.join(EVENT_TYPES)}")
            f.types.append(t)
        f.service = str(params.get("service") or "")
        level = str(params.get("level") or "").lower()
        if level:
            try:
                f.level = level_floor(level)
            except KeyError as exc:
                raise FilterError(exc.args[0]) from None
        f.trace = str(params.get("trace") or "").lower()
        if f.trace and not re.fullmatch(r"[0-9a-f]{32}", f.trace):
            raise FilterError(f"trace {f.trace!r}: expected 32 hex digits")
        f.grep = str(params.get("grep") or "")
        f.where = str(params.get("where") or "")
        if f.where:
            try:
                f._where = compile_where(f.where)
            except ValueError as exc:
                raise FilterError(str(exc)) from None
        f.topics = [split_topic(t) for t in (getall("topic", []) if getall else
                                             ([params["topic"]] if "topic" in params else [])) if t]
        return f

    def matches(self, ev: dict[str, Any]) -> bool:
        """True when `ev` passes every filter."""
        kind = live_type(ev)
        if self.types and kind not in self.types:
            return False
        if self.service and not fnmatchcase(str(ev.get("service_name", "")), self.service):
            return False
        if self.level and implied_severity(kind, str(ev.get("status_code") or ""),
                                           int(ev.get("severity_number") or 0)) < self.level:
            return False
        if self.trace and ev.get("trace_id") != self.trace:
            return False
        if self.topics and not any(fnmatchcase(kind, t) and fnmatchcase(str(ev.get("service_name", "")), s)
                                   and fnmatchcase(str(ev.get("event_name", "")), n) for t, s, n in self.topics):
            return False
        if self.grep and not any(self.grep in str(ev.get(k, "")) for k in ("body", "event_name", "exception_message",
                                                                             "status_message", "http_url")):
            return False
        if self._where is not None and not self._where(ev):
            return False
        return True

    def to_sql(self) -> str:
        """The same filters as a ClickHouse condition over `events` (for --since); 1 when none."""
        conds = []
        if self.types:
            conds.append(f"{_TYPE_SQL} IN ({', '.join(sql_string(t) for t in self.types)})")
        if self.service:
            conds.append(f"match(service_name, {sql_string(glob_regex(self.service))})")
        if self.level:
            # stored spans and metric points have no severity; they read as the live ones do
            conds.append(severity_at_least_sql(self.level))
        if self.trace:
            conds.append(f"trace_id = {sql_string(self.trace)}")
        if self.topics:
            conds.append("(" + " OR ".join(
                f"(match({_TYPE_SQL}, {sql_string(glob_regex(t))}) AND match(service_name, {sql_string(glob_regex(s))})"
                f" AND match(event_name, {sql_string(glob_regex(n))}))" for t, s, n in self.topics) + ")")
        if self.grep:
            g = sql_string(self.grep)
            conds.append("(" + " OR ".join(f"position({c}, {g}) > 0" for c in
                                           ("body", "event_name", "exception_message", "status_message", "http_url"))
                         + ")")
        if self.where:
            conds.append(f"({self.where})")
        return " AND ".join(conds) or "1"
