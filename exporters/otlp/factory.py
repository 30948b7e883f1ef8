"""The `otlp` and `otlphttp` exporter types: their configs and how the service creates them."""

from __future__ import annotations

import dataclasses
from typing import Callable

from tailhouse.pipeline.components import Endpoint, ExporterContext, ExporterFactory
from tailhouse.pipeline.sender import BatchShape

from .config import ForwardConfig, OtlpExporterConfig, OtlpHttpExporterConfig
from .exporter import OtlpForwardExporter, otlp_exporter, otlphttp_exporter


def _creator(make: Callable[..., OtlpForwardExporter]) -> Callable[..., OtlpForwardExporter]:
    def create(ctx: ExporterContext, name: str, config: ForwardConfig,
               shapes: dict[str, BatchShape]) -> OtlpForwardExporter:
        ctx.endpoints.append(Endpoint(name, name.split("/", 1)[0], config.endpoint))
        # TLS files are found relative to the config file's folder, as the receivers' are.
        files = {f: str(ctx.base_dir / getattr(config.tls, f)) for f in ("ca_file", "cert_file", "key_file")
                 if getattr(config.tls, f)}
        config = dataclasses.replace(config, tls=dataclasses.replace(config.tls, **files))
        return make(name, config, ctx.stats, config.log_path(name, ctx.base_dir, ctx.state_dir), shapes)
    return create


OTLP = ExporterFactory(OtlpExporterConfig, _creator(otlp_exporter))
OTLPHTTP = ExporterFactory(OtlpHttpExporterConfig, _creator(otlphttp_exporter))
