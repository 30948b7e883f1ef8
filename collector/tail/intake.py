"""Where the tail receivers (HTTP and gRPC) hand TraceItems over: validate, map, store, then answer.

Each item is validated and mapped on its own, so one bad item is refused (and reported) while the
others are stored. The mapped rows of a request travel as one JSONEachRow payload into the logs
of the `logs` pipelines' exporters; `export` returns once they are durable there.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tailhouse.pipeline.fanout import Fanout
from tailhouse.pipeline.signals import Signal
from tailhouse.pipeline.stats import Stats

from ..intake import append
from . import TAIL_KIND
from .mapping import TailMapper
from .validate import InvalidTraceItem, validate_trace_item

if TYPE_CHECKING:
    from ..live.hub import TailHub

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ItemError:
    """Why the item at `index` of a request was refused."""

    index: int
    message: str


@dataclass
class TailResult:
    """Outcome of one request: items stored, items refused (with reasons), rows written."""

    accepted: int = 0
    rejected: int = 0
    rows: int = 0
    errors: list[ItemError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer of the HTTP receiver."""
        return {"accepted": self.accepted, "rejected": self.rejected, "rows": self.rows,
                "errors": [{"index": e.index, "error": e.message} for e in self.errors]}


class NoItemStored(ValueError):
    """Every item of a non-empty request was refused; `result` lists why."""

    def __init__(self, result: TailResult) -> None:
        self.result = result
        first = result.errors[0].message if result.errors else ""
        more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        super().__init__(f"no TraceItem could be stored: item {result.errors[0].index}: {first}{more}"
                         if result.errors else "no TraceItem could be stored")


def encode_rows(rows: list[dict[str, Any]]) -> bytes:
    """Rows as ClickHouse JSONEachRow lines."""
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
                   for r in rows).encode()


class TailIntake:
    """Accepts TraceItems of one receiver for the logs pipelines that list it."""

    def __init__(self, receiver: str, fanout: Fanout, stats: Stats, mapper: TailMapper) -> None:
        self.receiver = receiver
        self._fanout = fanout
        self._stats = stats
        self._mapper = mapper
        self.live: TailHub | None = None  # the live-tail hub; accepted rows are offered to it

    async def export(self, items: list[Any]) -> TailResult:
        """Validate and map `items`, and return once the rows of the good ones are durable in the logs.

        Raises NoItemStored when items were given but none could be mapped, and ExportError when
        the logs could not take the rows (QueueFull, a failed write): then nothing was accepted.
        """
        stats = self._stats.of(Signal.LOGS)
        stats.requests += 1
        # Mapping a large request takes a while: off the event loop, other receivers keep serving.
        result, payload, nrows = await asyncio.to_thread(self._prepare, items, time.time() * 1000)
        stats.rejected_items += result.rejected
        if result.errors:
            log.info("%s: refused %d of %d TraceItems: %s", self.receiver, result.rejected, len(items),
                     "; ".join(f"[{e.index}] {e.message}" for e in result.errors[:5]))
        if not nrows:
            if result.errors:
                stats.refused_requests += 1
                raise NoItemStored(result)
            return result
        await append(self._stats, Signal.LOGS, self._fanout, payload, nrows)
        if self.live is not None and self.live.active:
            self.live.publish(TAIL_KIND, payload)
        result.rows = nrows
        return result

    def _prepare(self, items: list[Any], received_ms: float) -> tuple[TailResult, bytes, int]:
        """Validate and map every item: (result listing refused items, JSONEachRow payload, row count)."""
        result = TailResult()
        rows: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            try:
                mapped = self._mapper.rows(validate_trace_item(item), received_ms)
            except InvalidTraceItem as exc:
                result.errors.append(ItemError(i, str(exc)))
                continue
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                # A mapping bug must cost one item, not the request; it is logged for a fix.
                log.exception("%s: mapping TraceItem %d failed", self.receiver, i)
                result.errors.append(ItemError(i, f"could not be mapped: {exc}"))
                continue
            rows.extend(mapped)
            result.accepted += 1
        result.rejected = len(result.errors)
        return result, encode_rows(rows), len(rows)
