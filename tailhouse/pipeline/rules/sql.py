"""ClickHouse SQL building blocks the rule tables render with (text only; nothing is executed)."""

from __future__ import annotations


def sql_string(text: str) -> str:
    """A ClickHouse string literal (backslash and quote escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def lookup(keys: str, values: str, *names: str) -> str:
    """The value of the first of `names` present in the key array `keys` ('' when none is).

    `keys` and `values` are parallel arrays (attribute keys and their rendered texts); a key that is
    present with an empty value still wins over the names after it.
    """
    expr = f"{values}[indexOf({keys}, '{names[-1]}')]"  # index 0 (absent) reads as ''
    for name in reversed(names[:-1]):
        expr = f"if(has({keys}, '{name}'), {values}[indexOf({keys}, '{name}')], {expr})"
    return expr


def has_any(keys: str, *names: str) -> str:
    """Whether any of `names` is in the key array `keys`."""
    return " OR ".join(f"has({keys}, '{n}')" for n in names)
