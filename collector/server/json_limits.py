"""Bounds on decoded JSON that Python's recursive code could not otherwise survive.

`json.loads` and everything that walks its result (the tail mapping) recurse once per nesting
level; a few kilobytes of `[[[[…` reach Python's recursion limit and would surface as a 500. The
tail receiver checks the depth once, iteratively, and answers 400 instead (the OTLP/JSON decoder
turns its own RecursionError into a 400 naming the depth).
"""

from __future__ import annotations

import json
from typing import Any

# Deeper than any real OTLP/JSON request (an AnyValue kvlist costs 4 levels) or tail event needs.
MAX_JSON_DEPTH = 128


class JsonTooDeep(ValueError):
    """The JSON document is nested deeper than MAX_JSON_DEPTH (or than Python can parse)."""


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise JsonTooDeep when containers in `value` nest deeper than `limit` (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            raise JsonTooDeep(f"JSON nested more than {limit} levels deep")
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))


def loads_bounded(body: bytes | str, **kwargs: Any) -> Any:
    """json.loads, refusing documents nested deeper than MAX_JSON_DEPTH with JsonTooDeep."""
    try:
        value = json.loads(body, **kwargs)
    except RecursionError:
        raise JsonTooDeep(f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from None
    check_depth(value)
    return value
