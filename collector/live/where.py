"""`--where` for live events: a small, safe evaluator of a SQL boolean expression.

The same text goes to ClickHouse as a WHERE clause for `--since` (stored events), so the
grammar is a subset of ClickHouse SQL with the same meaning:

    expr    := expr OR expr | expr AND expr | NOT expr | '(' expr ')' | compare
    compare := operand (= | == | != | <> | < | <= | > | >=) operand
             | operand [NOT] LIKE|ILIKE 'pattern'          (% any text, _ one character)
             | operand [NOT] IN (operand, ...)
             | operand                                     (true when not 0 / empty)
    operand := column | attributes['key'] | resource_attributes['key'] | 'string' | number

Columns are those of a live event (`LIVE_COLUMNS`); anything else (functions, subqueries, other
columns) is refused with an error naming it, before the subscription starts. Nothing is ever
executed: the expression is parsed into closures over the event dict.
"""

from __future__ import annotations

import operator
import re
from typing import Any, Callable

from .events import LIVE_COLUMNS

Predicate = Callable[[dict[str, Any]], Any]


class WhereError(ValueError):
    """A --where expression outside the supported grammar; the message names the problem."""


_TOKEN = re.compile(r"""\s*(?:
    (?P<num>-?\d+(?:\.\d+)?) |
    (?P<str>'(?:[^'\\]|\\.|'')*') |
    (?P<op><=|>=|<>|!=|==|=|<|>|\(|\)|\[|\]|,) |
    (?P<word>[A-Za-z_][A-Za-z0-9_]*)
)""", re.VERBOSE)
_KEYWORDS = {"AND", "OR", "NOT", "LIKE", "ILIKE", "IN"}
_MAPS = ("attributes", "resource_attributes")
_COMPARE = {"=": operator.eq, "==": operator.eq, "!=": operator.ne, "<>": operator.ne, "<": operator.lt,
            "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _tokens(text: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise WhereError(f"--where: cannot read {text[pos:pos + 20]!r} (column {pos + 1})")
        pos = m.end()
        if m.group("num") is not None:
            n = m.group("num")
            out.append(("val", float(n) if "." in n else int(n)))
        elif m.group("str") is not None:
            raw = m.group("str")[1:-1]
            out.append(("val", re.sub(r"\\(.)|''", lambda g: g.group(1) or "'", raw)))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            word = m.group("word")
            out.append(("kw", word.upper()) if word.upper() in _KEYWORDS else ("id", word))
    return out


def _coerce(a: Any, b: Any) -> tuple[Any, Any]:
    """Compare numbers as numbers (a map value is text), everything else as text."""
    if isinstance(a, (int, float)) and not isinstance(b, (int, float)):
        try:
            return a, float(b)
        except (TypeError, ValueError):
            return str(a), str(b)
    if isinstance(b, (int, float)) and not isinstance(a, (int, float)):
        b2, a2 = _coerce(b, a)
        return a2, b2
    return a, b


def like_regex(pattern: str, case_insensitive: bool = False) -> re.Pattern[str]:
    """SQL LIKE pattern as a regex: % any text, _ one character, backslash escapes."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if case_insensitive else 0))


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, kind: str | None = None, value: Any = None) -> bool:
        if self.i >= len(self.toks):
            return False
        k, v = self.toks[self.i]
        return (kind is None or k == kind) and (value is None or v == value)

    def take(self, kind: str, value: Any = None) -> Any:
        if not self.peek(kind, value):
            got = self.toks[self.i][1] if self.i < len(self.toks) else "end of expression"
            raise WhereError(f"--where: expected {value or kind}, got {got!r}")
        self.i += 1
        return self.toks[self.i - 1][1]

    def parse(self) -> Predicate:
        pred = self.or_()
        if self.i != len(self.toks):
            raise WhereError(f"--where: unexpected {self.toks[self.i][1]!r}")
        return pred

    def or_(self) -> Predicate:
        left = self.and_()
        while self.peek("kw", "OR"):
            self.i += 1
            right, prev = self.and_(), left
            left = lambda e, a=prev, b=right: bool(a(e)) or bool(b(e))  # noqa: E731
        return left

    def and_(self) -> Predicate:
        left = self.not_()
        while self.peek("kw", "AND"):
            self.i += 1
            right, prev = self.not_(), left
            left = lambda e, a=prev, b=right: bool(a(e)) and bool(b(e))  # noqa: E731
        return left

    def not_(self) -> Predicate:
        if self.peek("kw", "NOT"):
            self.i += 1
            inner = self.not_()
            return lambda e: not inner(e)
        return self.compare()

    def compare(self) -> Predicate:
        left = self.operand()
        negate = False
        if self.peek("kw", "NOT"):
            self.i += 1
            negate = True
            if not (self.peek("kw", "LIKE") or self.peek("kw", "ILIKE") or self.peek("kw", "IN")):
                raise WhereError("--where: NOT here must be followed by LIKE, ILIKE or IN")
        if self.peek("op") and self.toks[self.i][1] in _COMPARE:
            op = _COMPARE[self.take("op")]
            right = self.operand()

            def cmp(e: dict[str, Any]) -> bool:
                a, b = _coerce(left(e), right(e))
                try:
                    return bool(op(a, b))
                except TypeError:
                    return bool(op(str(a), str(b)))
            return cmp
        if self.peek("kw", "LIKE") or self.peek("kw", "ILIKE"):
            ci = self.take("kw") == "ILIKE"
            pattern = self.take("val")
            if not isinstance(pattern, str):
                raise WhereError("--where: LIKE needs a 'string' pattern")
            rx = like_regex(pattern, ci)
            return lambda e: (rx.fullmatch(str(left(e))) is not None) != negate
        if self.peek("kw", "IN"):
            self.i += 1
            self.take("op", "(")
            items = [self.operand()]
            while self.peek("op", ","):
                self.i += 1
                items.append(self.operand())
            self.take("op", ")")

            def member(e: dict[str, Any]) -> bool:
                v = left(e)
                return any(_coerce(v, it(e))[0] == _coerce(v, it(e))[1] for it in items) != negate
            return member
        return lambda e: left(e) not in (0, "", None, False)

    def operand(self) -> Predicate:
        if self.peek("val"):
            v = self.take("val")
            return lambda e: v
        if self.peek("op", "("):
            self.i += 1
            inner = self.or_()
            self.take("op", ")")
            return inner
        name = self.take("id")
        if self.peek("op", "("):
            raise WhereError(f"--where: functions such as {name}() are not supported for live events")
        if name not in LIVE_COLUMNS:
            raise WhereError(f"--where: unknown column {name!r} (live events have: {', '.join(LIVE_COLUMNS)})")
        if name in _MAPS and self.peek("op", "["):
            self.i += 1
            key = self.take("val")
            self.take("op", "]")
            return lambda e: (e.get(name) or {}).get(str(key), "")
        if name in _MAPS:
            raise WhereError(f"--where: use {name}['key'] to read one attribute")
        return lambda e: e.get(name, "")


def compile_where(text: str) -> Predicate:
    """A predicate over live events for a --where expression; raises WhereError naming the problem."""
    if not text.strip():
        raise WhereError("--where: empty expression")
    return _Parser(text).parse()
