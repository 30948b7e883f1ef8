"""The component registry: component type → factory, as the OpenTelemetry Collector's `components.go`.

A factory names its config dataclass (config parsing looks types up here) and creates the
component (the service looks factories up here and never names a concrete class). Adding a
receiver, processor or exporter type is its folder with a factory, plus one entry below.
"""

from __future__ import annotations

from tailhouse.exporters.clickhouse import factory as clickhouse
from tailhouse.exporters.otlp import factory as otlp_forward
from tailhouse.pipeline.components import ExporterFactory

from .processors import batch
from .processors.batch import ProcessorFactory
from .receivers.cloudflare_tail import factory as cloudflare_tail
from .receivers.factory import ReceiverFactory
from .receivers.otlp import factory as otlp

RECEIVERS: dict[str, ReceiverFactory] = {
    "otlp": otlp.FACTORY,
    "cloudflare_tail": cloudflare_tail.FACTORY,
}

PROCESSORS: dict[str, ProcessorFactory] = {
    "batch": batch.FACTORY,
}

EXPORTERS: dict[str, ExporterFactory] = {
    "clickhouse": clickhouse.FACTORY,
    "otlp": otlp_forward.OTLP,
    "otlphttp": otlp_forward.OTLPHTTP,
}


def component_type(name: str) -> str:
    """The type of a component named `type` or `type/name`."""
    return name.split("/", 1)[0]
