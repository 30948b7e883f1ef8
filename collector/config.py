"""Collector-style configuration: receivers, processors, exporters and service pipelines.

Components are named `type` or `type/name` (as in the OpenTelemetry Collector); the type's factory
in the registry (`components.py`) names its config dataclass, which lives beside the component.
`load_config` validates everything at start and raises `ConfigError` naming the key path of the
first problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from tailhouse.pipeline.config_loader import ConfigError, build, substitute_env

from .components import EXPORTERS, PROCESSORS, RECEIVERS, component_type
from .service_config import ServiceConfig

SIGNALS = ("traces", "logs", "metrics")


@dataclass
class Config:
    receivers: dict[str, Any]
    processors: dict[str, Any]
    exporters: dict[str, Any]
    service: ServiceConfig
    base_dir: Path

    def chdb_path(self, exporter: Any) -> Path | None:
        """Filesystem path of a ClickHouse exporter's embedded store (relative to the config file); None for a server."""
        return exporter.chdb_path(self.base_dir)

    def dead_letter_dir(self, name: str, exporter: Any) -> Path:
        """Folder where ClickHouse exporter `name` keeps requests ClickHouse refused permanently."""
        return exporter.dead_letter_path(name, self.base_dir)

    def state_dir(self) -> Path:
        """The default folder for local state: the first exporter's that keeps some (beside the embedded
        store), else `data/` in the config file's folder."""
        for exporter in self.exporters.values():
            if hasattr(exporter, "state_dir"):
                return exporter.state_dir(self.base_dir)
        return (self.base_dir / "data").resolve()


def _components(raw: object, kinds: Mapping[str, Any], section: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(section, f"expected a mapping, got {type(raw).__name__}")
    out: dict[str, Any] = {}
    for name, body in raw.items():
        kind = component_type(str(name))
        if kind not in kinds:
            raise ConfigError(f"{section}.{name}", f"unknown {section[:-1]} type {kind!r} (known: {', '.join(sorted(kinds))})")
        out[str(name)] = build(kinds[kind].config_type, body, f"{section}.{name}")
    return out


def parse_config(text: str, base_dir: Path, environ: dict[str, str] | None = None) -> Config:
    """Parse and validate config text; raises ConfigError naming the offending key path."""
    try:
        raw = yaml.safe_load(substitute_env(text, environ))
    except yaml.YAMLError as exc:
        raise ConfigError("", f"not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("", "the config file must be a mapping with receivers, processors, exporters and service")
    for key in raw:
        if key not in ("receivers", "processors", "exporters", "service", "extensions"):
            raise ConfigError(str(key), "unknown top-level key (known: receivers, processors, exporters, service)")
    cfg = Config(
        receivers=_components(raw.get("receivers"), RECEIVERS, "receivers"),
        processors=_components(raw.get("processors"), PROCESSORS, "processors"),
        exporters=_components(raw.get("exporters"), EXPORTERS, "exporters"),
        service=build(ServiceConfig, raw.get("service"), "service"),
        base_dir=base_dir,
    )
    _check_pipelines(cfg)
    return cfg


def _check_pipelines(cfg: Config) -> None:
    if not cfg.service.pipelines:
        raise ConfigError("service.pipelines", "define at least one pipeline (traces, logs or metrics)")
    for name, pipe in cfg.service.pipelines.items():
        path = f"service.pipelines.{name}"
        if name.split("/", 1)[0] not in SIGNALS:
            raise ConfigError(path, f"a pipeline is named after its signal: traces, logs or metrics (optionally /name), got {name!r}")
        for kind, names, defined in (
            ("receivers", pipe.receivers, cfg.receivers),
            ("processors", pipe.processors, cfg.processors),
            ("exporters", pipe.exporters, cfg.exporters),
        ):
            for i, comp in enumerate(names):
                if comp not in defined:
                    raise ConfigError(f"{path}.{kind}[{i}]", f"{kind[:-1]} {comp!r} is not defined under {kind}")
                allowed = getattr(defined[comp], "pipeline_signals", SIGNALS)
                if name.split("/", 1)[0] not in allowed:
                    raise ConfigError(f"{path}.{kind}[{i}]",
                                      f"{kind[:-1]} {comp!r} can only be used in {' or '.join(allowed)} pipelines")
        if not pipe.receivers:
            raise ConfigError(f"{path}.receivers", "a pipeline needs at least one receiver")
        if not pipe.exporters:
            raise ConfigError(f"{path}.exporters", "a pipeline needs at least one exporter")
        if len(pipe.processors) > 1:
            raise ConfigError(f"{path}.processors", "at most one batch processor per pipeline")


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read, substitute `${env:…}`, parse and validate a config file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("", f"cannot read config file {p}: {exc.strerror}") from exc
    return parse_config(text, p.resolve().parent)
