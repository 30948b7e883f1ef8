"""HTTP and correlation columns from attributes: which keys fill them, in which order, and what
derives from a URL. One table (`HTTP_COLUMNS`); the OTLP mapping views render it as SQL
(`column_sql`), the live tail and the Workers tail mapper apply it in Python (`columns_from`).

Stable OpenTelemetry semantic-convention keys come first, their deprecated names after
(`http.request.method` > `http.method`, `url.full` > `http.url`, `server.address` > `http.host`,
`http.response.status_code` > `http.status_code`, `user_agent.original` > `http.user_agent`).
A key that is present wins even when its value is empty (an attribute set to '' was sent).
`http_host` and `http_path` fall back to the host and path of the URL; `http.target` (a request
target, `/p?q=1`) gives its path; `http.route` (a template) only when no real path is known.
`request_id` falls back to Cloudflare's ray id (`cloudflare.ray_id`, the row's own, else its
resource's).

Host and path of a URL are read with one regular expression each (RFC 3986, appendix B), which
Python's `re` and ClickHouse's RE2 evaluate alike, so both sides agree by construction: the host
without user info, port or IPv6 brackets, as sent (case kept); the path without query or
fragment, '' when the URL has none. Schema migration 4 installed views that used ClickHouse's
`domain()` and `path()` instead (`LEGACY_URL_PARTS_SQL`); `domain()` reads '' for a host without
a dot (`localhost`, `payments`, an IPv6 literal) or with user info, which Python's rule and the
semantic conventions (`server.address` is the name as used) do not. Migration 5 replaced them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from .sql import has_any, lookup, sql_string


@dataclass(frozen=True)
class Key:
    """An attribute key; `part` = 'path' takes the path of its value (a URL or request target)."""

    name: str
    part: str = ""


@dataclass(frozen=True)
class PartOf:
    """Fallback: a part ('host' or 'path') of another column's value."""

    part: str
    column: str


@dataclass(frozen=True)
class Cloudflare:
    """Fallback: the row's `cloudflare.<name>` attribute, else its resource's."""

    name: str

    @property
    def key(self) -> str:
        return f"cloudflare.{self.name}"


@dataclass(frozen=True)
class ColumnRule:
    """How one column is filled: the first of `keys` present, else `fallback`, else ''/0."""

    column: str
    keys: tuple[Key, ...]
    fallback: PartOf | Cloudflare | None = None
    number: bool = False  # a UInt16 column: the text as a number, 0 when it is not one in 0…65535

    @property
    def stable_key(self) -> str:
        """The key a forwarder writes the column back as (the current semantic-convention name)."""
        return self.keys[0].name


# Cloudflare's ray id: what `request_id` falls back to (and what a forwarder writes it back as)
RAY_ID = Cloudflare("ray_id")


def _keys(*names: str) -> tuple[Key, ...]:
    return tuple(Key(n) for n in names)


HTTP_COLUMNS: tuple[ColumnRule, ...] = (
    ColumnRule("http_method", _keys("http.request.method", "http.method")),
    ColumnRule("http_url", _keys("url.full", "http.url")),
    ColumnRule("http_host", _keys("server.address", "http.host"), PartOf("host", "http_url")),
    ColumnRule("http_path", (Key("url.path"), Key("http.target", "path"), Key("http.route")), PartOf("path", "http_url")),
    ColumnRule("http_status_code", _keys("http.response.status_code", "http.status_code"), number=True),
    ColumnRule("user_agent", _keys("user_agent.original", "http.user_agent")),
    ColumnRule("correlation_id", _keys("correlation_id", "correlation.id")),
    ColumnRule("request_id", _keys("request_id", "http.request.id", "request.id"), RAY_ID),
    ColumnRule("session_id", _keys("session.id", "session_id")),
)
RULES: dict[str, ColumnRule] = {r.column: r for r in HTTP_COLUMNS}

# ---- parts of a URL ----------------------------------------------------------------------------

# RFC 3986 appendix B, reduced to what each part needs; no construct whose meaning differs
# between Python `re` and RE2 (no `.`, no lookaround, no backreference).
HOST_PATTERN = r"^(?:[^:/?#]+:)?//(?:[^/?#@]*@)?(\[[^/?#]*\]|[^/?#:]*)"
PATH_PATTERN = r"^(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)"
_HOST, _PATH = re.compile(HOST_PATTERN), re.compile(PATH_PATTERN)


def url_host(url: str) -> str:
    """Host of a URL: no user info, port or IPv6 brackets; '' when it has no authority."""
    m = _HOST.match(url)
    return m.group(1).strip("[]") if m else ""


def url_path(url: str) -> str:
    """Path of a URL or request target, without query and fragment ('' when it has none)."""
    m = _PATH.match(url)
    return m.group(1) if m else ""


URL_PARTS: dict[str, Callable[[str], str]] = {"host": url_host, "path": url_path}
# SQL templates over one expression `{}` (the URL), per part
URL_PARTS_SQL: dict[str, str] = {
    "host": "trim(BOTH '[]' FROM extract({}, " + sql_string(HOST_PATTERN).replace("{", "{{").replace("}", "}}") + "))",
    "path": "extract({}, " + sql_string(PATH_PATTERN).replace("{", "{{").replace("}", "}}") + ")",
}
# What schema migration 4's views used (kept so that released migration renders as it did).
LEGACY_URL_PARTS_SQL: dict[str, str] = {"host": "domain({})", "path": "path({})"}

_NUMBER = re.compile(r"\+?[0-9]+")


def status_number(text: str) -> int:
    """`toUInt16OrZero` in Python: decimal digits (an optional '+') in 0…65535, else 0."""
    if not _NUMBER.fullmatch(text):
        return 0
    n = int(text)
    return n if n <= 65535 else 0


# ---- Python ------------------------------------------------------------------------------------

def columns_from(attributes: Mapping[str, str], resource: Mapping[str, str] | None = None,
                 columns: Iterable[str] | None = None) -> dict[str, str | int]:
    """The columns of `HTTP_COLUMNS` (or only `columns`) from a row's attributes (values as their text)
    and its resource's."""
    wanted = list(columns) if columns is not None else list(RULES)
    return {c: column_value(c, attributes, resource or {}) for c in wanted}


def column_value(column: str, attributes: Mapping[str, str], resource: Mapping[str, str]) -> str | int:
    """One column by its rule (see `columns_from`)."""
    rule = RULES[column]
    value = _text(rule, attributes, resource)
    return status_number(value) if rule.number else value


def _text(rule: ColumnRule, attributes: Mapping[str, str], resource: Mapping[str, str]) -> str:
    for key in rule.keys:
        if key.name in attributes:
            text = attributes[key.name]
            return URL_PARTS[key.part](text) if key.part else text
    if isinstance(rule.fallback, PartOf):
        return URL_PARTS[rule.fallback.part](str(column_value(rule.fallback.column, attributes, resource)))
    if isinstance(rule.fallback, Cloudflare):
        key = rule.fallback.key
        return attributes[key] if key in attributes else resource.get(key, "")
    return ""


# ---- SQL ---------------------------------------------------------------------------------------

def column_sql(column: str, keys: str, values: str, cloudflare: Callable[[str], str],
               url_parts: Mapping[str, str] = URL_PARTS_SQL) -> str:
    """A ClickHouse expression for `column` over the parallel arrays `keys` / `values` (attribute
    keys and their rendered texts); `cloudflare(name)` is the SQL of a Cloudflare fallback and
    `url_parts` the SQL templates of URL parts (`LEGACY_URL_PARTS_SQL` renders migration 4's views)."""
    rule = RULES[column]
    names = [k.name for k in rule.keys]
    if isinstance(rule.fallback, PartOf):
        fallback = url_parts[rule.fallback.part].format(column_sql(rule.fallback.column, keys, values, cloudflare,
                                                                   url_parts))
    elif isinstance(rule.fallback, Cloudflare):
        fallback = cloudflare(rule.fallback.name)
    else:
        fallback = ""
    if any(k.part for k in rule.keys):
        arms = []
        for k in rule.keys:
            value = f"{values}[indexOf({keys}, '{k.name}')]"
            arms.append(f"has({keys}, '{k.name}'), {url_parts[k.part].format(value) if k.part else value}")
        expr = f"multiIf({', '.join(arms)}, {fallback or repr('')})"
    elif fallback:
        expr = f"if({has_any(keys, *names)}, {lookup(keys, values, *names)}, {fallback})"
    else:
        expr = lookup(keys, values, *names)
    return f"toUInt16OrZero({expr})" if rule.number else expr
