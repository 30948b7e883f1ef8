"""The batch processor: flush on items, bytes and age; one batch per payload kind."""

from __future__ import annotations

import asyncio

from collector.batching.batcher import Batch, Batcher
from collector.config import BatchProcessorConfig
from collector.config_loader import ByteSize, Duration
from collector.otlp_requests import Signal


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_flush_on_item_count() -> None:
    async def main() -> list[Batch]:
        out: list[Batch] = []

        async def sink(b: Batch) -> None:
            out.append(b)

        b = Batcher(Signal.TRACES, BatchProcessorConfig(send_batch_size=10, timeout=Duration(60)), sink)
        b.start()
        await b.add("k", b"x" * 3, 6)
        assert out == []
        await b.add("k", b"y", 4)  # reaches 10 items
        await b.close()
        return out

    out = _run(main())
    assert len(out) == 1 and out[0].items == 10 and [r.payload for r in out[0].requests] == [b"xxx", b"y"]


def test_flush_on_bytes_and_separate_kinds() -> None:
    async def main() -> list[Batch]:
        out: list[Batch] = []

        async def sink(b: Batch) -> None:
            out.append(b)

        cfg = BatchProcessorConfig(send_batch_size=1000, send_batch_max_bytes=ByteSize(8), timeout=Duration(60))
        b = Batcher(Signal.LOGS, cfg, sink)
        b.start()
        await b.add("a", b"12345", 1)
        await b.add("b", b"123", 1)
        assert out == []
        await b.add("a", b"678", 1)  # kind a reaches 8 bytes; kind b stays open
        assert [(x.kind, x.nbytes) for x in out] == [("a", 8)]
        await b.close()  # close flushes kind b
        return out

    out = _run(main())
    assert [(x.kind, x.items) for x in out] == [("a", 2), ("b", 1)]


def test_flush_on_timeout() -> None:
    async def main() -> tuple[float, list[Batch]]:
        out: list[Batch] = []

        async def sink(b: Batch) -> None:
            out.append(b)

        b = Batcher(Signal.METRICS, BatchProcessorConfig(send_batch_size=1000, timeout=Duration(0.1)), sink)
        b.start()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await b.add("k", b"p", 1)
        while not out:
            await asyncio.sleep(0.01)
        waited = loop.time() - t0
        await b.close()
        return waited, out

    waited, out = _run(main())
    assert len(out) == 1 and 0.09 <= waited < 5
