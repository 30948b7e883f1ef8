"""A stock SDK producer faster than a 1-second acknowledgement would allow loses nothing.

The SDK's default `BatchSpanProcessor` exports one batch of at most 512 spans at a time and waits
for the answer; meanwhile new spans wait in a queue of 2,048 and are dropped when it is full. If
an acknowledgement took ~1 s (a batch timeout plus an insert), such a producer could deliver at
most ~512 spans/s. Acknowledging from the write-ahead log lets it deliver every span it creates.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from harness import start

RATE = 1500      # spans per second: three times what 1-second acks would let through
SECONDS = 4


def test_stock_batch_span_processor_at_three_times_the_one_second_ack_limit(tmp_path: Path) -> None:
    svc = start(tmp_path, "default", mode="subprocess", batch_timeout="1s")
    run = uuid.uuid4().hex[:10]
    try:
        provider = TracerProvider(resource=Resource.create({"service.name": "fast-producer", "run": run}))
        exporter = OTLPSpanExporter(endpoint=svc.grpc_endpoint, insecure=True)
        provider.add_span_processor(BatchSpanProcessor(exporter))  # the SDK's defaults, as users run it
        tracer = provider.get_tracer("rate-test")
        created = 0
        t0 = time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < SECONDS:
            if created >= elapsed * RATE:
                time.sleep(0.001)
                continue
            with tracer.start_as_current_span("GET /items", attributes={"n": created}):
                pass
            created += 1
        provider.shutdown()  # exports what is still queued
        assert created >= RATE * SECONDS * 0.9, f"the producer itself fell behind ({created} spans)"
        stored = svc.scalar(f"SELECT count() FROM events WHERE resource_attributes['run'] = '{run}'")
        distinct = svc.scalar(f"SELECT uniqExact(span_id) FROM events WHERE resource_attributes['run'] = '{run}'")
        assert (int(stored), int(distinct)) == (created, created), "every created span is stored, once"
    finally:
        assert svc.stop() == 0
