"""Just enough of ClickHouse's SQL lexer for a client: split a script into statements, find a FORMAT clause.

`tailhouse sql` reads scripts (stdin, `--queries-file`, the interactive prompt) that hold several
statements separated by `;`, and it must leave a statement's own `FORMAT` clause alone. Both need
to know what is code and what is a string literal, a quoted identifier, a comment or a heredoc, so
that a `;` or the word FORMAT inside `'it;s'`, `"format"` or `-- ;` is not taken for syntax.
The rules follow ClickHouse's lexer: `'…'` strings with backslash escapes and `''`, `"…"` and
`` `…` `` identifiers, `--` and `#` line comments, nested `/* */` comments, `$tag$…$tag$` heredocs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

_HEREDOC_OPEN = re.compile(r"\$([A-Za-z0-9_]*)\$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9][A-Za-z0-9_.]*")
# Words that may stand just before a FORMAT clause's own `FORMAT` but never before a column named format.
_NOT_BEFORE_CLAUSE = frozenset({"AS", "SELECT", "DISTINCT", "BY", "WHERE", "AND", "OR", "NOT", "ON", "USING"})


@dataclass(frozen=True)
class Token:
    """One lexical token: kind is word, number, string, ident (quoted), comment, punct or semicolon."""

    kind: str
    text: str
    start: int
    closed: bool = True  # False for a string, identifier, comment or heredoc still open at the end of input


def _quoted(text: str, i: int, quote: str) -> tuple[int, bool]:
    """End index of the quoted token starting at i, and whether it was closed."""
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == quote:
            if j + 1 < len(text) and text[j + 1] == quote:  # a doubled quote stands for itself
                j += 2
                continue
            return j + 1, True
        j += 1
    return len(text), False


def _block_comment(text: str, i: int) -> tuple[int, bool]:
    depth, j = 0, i
    while j < len(text):
        if text.startswith("/*", j):
            depth += 1
            j += 2
        elif text.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j, True
        else:
            j += 1
    return len(text), False


def tokens(text: str) -> Iterator[Token]:
    """ClickHouse tokens of `text`, whitespace left out."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        closed = True
        if ch in "'\"`":
            i, closed = _quoted(text, i, ch)
            kind = "string" if ch == "'" else "ident"
        elif text.startswith("--", i) or (ch == "#" and (i + 1 == n or text[i + 1] in " !\t\n")):
            end = text.find("\n", i)
            i = n if end < 0 else end
            kind = "comment"
        elif text.startswith("/*", i):
            i, closed = _block_comment(text, i)
            kind = "comment"
        elif ch == "$" and (m := _HEREDOC_OPEN.match(text, i)):
            end = text.find(m.group(0), m.end())
            closed = end >= 0
            i = end + len(m.group(0)) if closed else n
            kind = "string"
        elif m := _WORD.match(text, i):
            i, kind = m.end(), "word"
        elif m := _NUMBER.match(text, i):
            i, kind = m.end(), "number"
        elif ch == ";":
            i, kind = i + 1, "semicolon"
        else:
            i, kind = i + 1, "punct"
        yield Token(kind, text[start:i], start, closed)


def split_statements(text: str) -> list[str]:
    """The statements of a script, split at `;` outside literals and comments; empty ones dropped."""
    statements: list[str] = []
    start = 0
    code = False  # whether the current piece holds anything but comments
    for tok in tokens(text):
        if tok.kind == "semicolon":
            if code:
                statements.append(text[start:tok.start].strip())
            start, code = tok.start + 1, False
        elif tok.kind != "comment":
            code = True
    if code:
        statements.append(text[start:].strip())
    return statements


def is_incomplete(text: str) -> bool:
    """True while `text` ends inside a string, quoted identifier, comment, heredoc or open bracket."""
    depth = 0
    for tok in tokens(text):
        if not tok.closed:
            return True
        if tok.kind == "punct" and tok.text in "([{":
            depth += 1
        elif tok.kind == "punct" and tok.text in ")]}":
            depth -= 1
    return depth > 0


def ends_statement(text: str) -> bool:
    """True when the last token of `text` (comments aside) is a `;` outside any literal."""
    last = None
    for tok in tokens(text):
        if not tok.closed:
            return False
        if tok.kind != "comment":
            last = tok
    return last is not None and last.kind == "semicolon"


def has_format_clause(statement: str) -> bool:
    """Whether the statement names its own output format (`… FORMAT JSON [SETTINGS …]`).

    A column or function named `format` is not a clause: the clause's FORMAT stands outside
    brackets, is followed by a format name and then by nothing but SETTINGS (or, in an INSERT,
    the data).
    """
    toks = [t for t in tokens(statement) if t.kind not in ("comment", "semicolon")]
    is_insert = bool(toks) and toks[0].kind == "word" and toks[0].text.upper() == "INSERT"
    depth = 0
    for k, tok in enumerate(toks):
        if tok.kind == "punct" and tok.text in "([{":
            depth += 1
        elif tok.kind == "punct" and tok.text in ")]}":
            depth -= 1
        if depth or tok.kind != "word" or tok.text.upper() != "FORMAT":
            continue
        name = toks[k + 1] if k + 1 < len(toks) else None
        if name is None or name.kind not in ("word", "ident"):
            continue
        before = toks[k - 1] if k else None
        if before is not None and (before.text in (",", ".", "(") or before.text.upper() in _NOT_BEFORE_CLAUSE):
            continue
        if is_insert:
            return True
        rest = toks[k + 2:]
        if not rest or (rest[0].kind == "word" and rest[0].text.upper() == "SETTINGS"):
            return True
    return False
