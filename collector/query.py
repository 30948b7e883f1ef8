"""How one SQL statement is sent to ClickHouse the way `clickhouse-client` would: format and parameters.

ClickHouse does all the formatting (chDB and a server know every output format); this module only
decides which format to ask for and hands `{name:Type}` parameter values over untouched.
"""

from __future__ import annotations

import re
from typing import Mapping

from .sqltext import has_format_clause

# A pretty table for people (the whole result in one table rather than one per block).
TABLE_FORMAT = "PrettyCompactMonoBlock"
# Earlier spellings of `--format` that are not ClickHouse names.
FORMAT_ALIASES = {"table": TABLE_FORMAT}
_FORMAT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:")


class QueryUsageError(ValueError):
    """A format or parameter that can't be sent to ClickHouse (named in the message)."""


def output_format(name: str | None, stdout_is_terminal: bool) -> str:
    """The ClickHouse output format for `--format name`; unset: a table on a terminal, else TSV."""
    if not name:
        return TABLE_FORMAT if stdout_is_terminal else "TSV"
    name = FORMAT_ALIASES.get(name.lower(), name)
    if not _FORMAT_NAME.fullmatch(name):
        raise QueryUsageError(f"{name!r} is not a ClickHouse format name (e.g. TSV, CSVWithNames, JSONEachRow, "
                              "PrettyCompact, Vertical, Parquet)")
    return name


class TextParam:
    """A parameter value as text in ClickHouse's escaped format, sent as is (as clickhouse-client does).

    clickhouse-connect formats Python values with `str()` when it knows no better, so this keeps
    e.g. `['a','b']` for an Array(String) or `\\N` for NULL exactly as the user wrote it.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"TextParam({self.text!r})"


def check_param_name(name: str) -> str:
    """`name` when it can be a `{name:Type}` parameter; QueryUsageError otherwise."""
    if not PARAM_NAME.fullmatch(name):
        raise QueryUsageError(f"invalid query parameter name {name!r}: use letters, digits and _")
    return name


def statement_params(statement: str, params: Mapping[str, str] | None) -> dict[str, TextParam] | None:
    """The parameters the statement refers to (unused ones are ignored, as clickhouse-client does)."""
    if not params:
        return None
    used = set(_PLACEHOLDER.findall(statement))
    bound = {check_param_name(k): TextParam(v) for k, v in params.items() if k in used}
    return bound or None


def statement_format(statement: str, fmt: str | None) -> str | None:
    """`fmt`, unless the statement has its own FORMAT clause: that one wins."""
    return None if fmt is None or has_format_clause(statement) else fmt


def clickhouse_format(name: str) -> str:
    """ClickHouse output format for a `tailhouse sql --format` name: any ClickHouse format, or `table`."""
    return output_format(name, stdout_is_terminal=True)
