"""Turning YAML mappings into typed config dataclasses, with errors that name the key path.

Generic over every component's config dataclass (collector and exporters alike): each field's type hint
says how to read it.
Durations accept Go-style strings (`500ms`, `1s`, `5m`, `1h30m`) or plain seconds; byte sizes
accept `64MiB`-style strings or plain bytes.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from typing import Any, Union, get_args, get_origin, get_type_hints


class ConfigError(ValueError):
    """A config problem; `path` is the dotted key path it concerns."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class Duration(float):
    """Seconds, read from `1s`/`250ms`/`2m` style strings."""


class ByteSize(int):
    """Bytes, read from `16MiB`/`512KiB`/`1GB` style strings."""


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}
_ENV = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def parse_duration(value: object, path: str) -> Duration:
    """Seconds from a duration string or a number of seconds."""
    if isinstance(value, bool):
        raise ConfigError(path, f"expected a duration such as '1s' or '250ms', got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ConfigError(path, "a duration can't be negative")
        return Duration(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "0":
            return Duration(0)
        pos, total = 0, 0.0
        for m in _DURATION_PART.finditer(text):
            if m.start() != pos:
                break
            total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
            pos = m.end()
        if pos == len(text) and pos > 0:
            return Duration(total)
    raise ConfigError(path, f"expected a duration such as '1s' or '250ms', got {value!r}")


def parse_byte_size(value: object, path: str) -> ByteSize:
    """Bytes from a size string such as `16MiB`, or a plain number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return ByteSize(value)
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m:
            unit = (m.group(2) or "B").lower()
            return ByteSize(int(float(m.group(1)) * _SIZE_UNITS[unit]))
    raise ConfigError(path, f"expected a size such as '16MiB' or a number of bytes, got {value!r}")


def substitute_env(text: str, environ: typing.Mapping[str, str] | None = None) -> str:
    """Replace `${env:NAME}` and `${env:NAME:-default}` in raw config text.

    An unset variable without a default is an error (a silently empty endpoint or token is worse).
    """
    env = os.environ if environ is None else environ

    def repl(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ConfigError("", f"environment variable {name} is not set (use ${{env:{name}:-default}} for a default)")

    return _ENV.sub(repl, text)


def _type_name(tp: object) -> str:
    if tp is Duration:
        return "duration"
    if tp is ByteSize:
        return "size"
    origin = get_origin(tp)
    if origin in (list, tuple):
        return "list"
    if origin is dict:
        return "mapping"
    if dataclasses.is_dataclass(tp):
        return "mapping"
    return getattr(tp, "__name__", str(tp))


def build(cls: type, raw: object, path: str) -> Any:
    """Construct dataclass `cls` from a YAML mapping, checking keys and types."""
    return _convert(cls, raw, path)


def _convert(tp: Any, raw: object, path: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if raw is None:
            return None
        return _convert(args[0], raw, path)
    if tp is Any:
        return raw
    if tp is Duration:
        return parse_duration(raw, path)
    if tp is ByteSize:
        return parse_byte_size(raw, path)
    if dataclasses.is_dataclass(tp):
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(path, f"expected a mapping, got {type(raw).__name__}")
        hints = get_type_hints(tp)
        fields = {f.name: f for f in dataclasses.fields(tp) if f.init}
        kwargs: dict[str, Any] = {}
        for key, value in raw.items():
            sub = f"{path}.{key}" if path else str(key)
            if key not in fields:
                known = ", ".join(sorted(fields)) or "none"
                raise ConfigError(sub, f"unknown key (known keys here: {known})")
            kwargs[key] = _convert(hints[key], value, sub)
        obj = tp(**kwargs)
        check = getattr(obj, "validate", None)
        if callable(check):
            check(path)
        return obj
    if origin is list:
        (item_t,) = get_args(tp)
        if not isinstance(raw, list):
            raise ConfigError(path, f"expected a list, got {type(raw).__name__}")
        return [_convert(item_t, v, f"{path}[{i}]") for i, v in enumerate(raw)]
    if origin is dict:
        key_t, val_t = get_args(tp)
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise ConfigError(path, f"expected a mapping, got {type(raw).__name__}")
        return {str(k): _convert(val_t, v, f"{path}.{k}") for k, v in raw.items()}
    if tp is bool:
        if not isinstance(raw, bool):
            raise ConfigError(path, f"expected true or false, got {raw!r}")
        return raw
    if tp is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ConfigError(path, f"expected an integer, got {raw!r}")
        return raw
    if tp is float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ConfigError(path, f"expected a number, got {raw!r}")
        return float(raw)
    if tp is str:
        if raw is None:
            return ""
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            raise ConfigError(path, f"expected a string, got {type(raw).__name__}")
        return str(raw)
    raise ConfigError(path, f"unsupported config type {_type_name(tp)}")
