"""The `otlp` and `otlphttp` exporter types: their configs and how the service creates them.

Config parsing imports every factory, so the exporters (grpc, aiohttp) are imported when one is
created, not here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tailhouse.pipeline.components import Endpoint, ExporterContext, ExporterFactory
from tailhouse.pipeline.sender import BatchShape

from .config import ForwardConfig, OtlpExporterConfig, OtlpHttpExporterConfig

if TYPE_CHECKING:
    from .exporter import OtlpForwardExporter

C = TypeVar("C", bound=ForwardConfig)


def _prepare(ctx: ExporterContext, name: str, config: C) -> tuple[C, Path]:
    """Announce the endpoint; TLS files resolved against the config file's folder (as the receivers'
    are); the folder of the exporter's logs."""
    ctx.endpoints.append(Endpoint(name, name.split("/", 1)[0], config.endpoint))
    files = {f: str(ctx.base_dir / getattr(config.tls, f)) for f in ("ca_file", "cert_file", "key_file")
             if getattr(config.tls, f)}
    config = dataclasses.replace(config, tls=dataclasses.replace(config.tls, **files))
    return config, config.log_path(name, ctx.base_dir, ctx.state_dir)


def create_otlp(ctx: ExporterContext, name: str, config: OtlpExporterConfig,
                shapes: dict[str, BatchShape]) -> OtlpForwardExporter:
    """The `otlp` (gRPC) forwarding exporter."""
    from .exporter import otlp_exporter

    config, log_dir = _prepare(ctx, name, config)
    return otlp_exporter(name, config, ctx.stats, log_dir, shapes)


def create_otlphttp(ctx: ExporterContext, name: str, config: OtlpHttpExporterConfig,
                    shapes: dict[str, BatchShape]) -> OtlpForwardExporter:
    """The `otlphttp` forwarding exporter."""
    from .exporter import otlphttp_exporter

    config, log_dir = _prepare(ctx, name, config)
    return otlphttp_exporter(name, config, ctx.stats, log_dir, shapes)


OTLP = ExporterFactory(OtlpExporterConfig, create_otlp)
OTLPHTTP = ExporterFactory(OtlpHttpExporterConfig, create_otlphttp)
