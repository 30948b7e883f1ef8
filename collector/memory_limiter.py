"""A cap on request bytes in flight, shared by every receiver (as the Collector's memory_limiter).

A receiver acquires a request's size before it reads or decodes it, and releases it when the
request is answered. Past the cap the request is refused with the retryable backpressure answer
(gRPC UNAVAILABLE with RetryInfo, HTTP 503 with Retry-After), so many large concurrent requests
cannot grow the process without bound. No locks: receivers share one event loop.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

RETRY_AFTER_SECONDS = 1.0


class MemoryLimitExceeded(Exception):
    """Accepting this request would pass the in-flight byte cap; the client should retry later."""

    retry_after = RETRY_AFTER_SECONDS


@dataclass
class MemoryLimiter:
    """Counts request bytes in flight against `limit_bytes` (0 = no cap)."""

    limit_bytes: int
    in_flight: int = 0
    refused: int = 0

    def try_acquire(self, nbytes: int) -> bool:
        """Reserve `nbytes`; False when that would pass the cap (one request alone always fits an idle limiter)."""
        if self.limit_bytes and self.in_flight and self.in_flight + nbytes > self.limit_bytes:
            self.refused += 1
            return False
        self.in_flight += nbytes
        return True

    def release(self, nbytes: int) -> None:
        """Give back what `try_acquire` reserved."""
        self.in_flight = max(0, self.in_flight - nbytes)

    @contextmanager
    def hold(self, nbytes: int) -> Iterator[None]:
        """Reserve `nbytes` for the block; MemoryLimitExceeded when over the cap."""
        if not self.try_acquire(nbytes):
            raise MemoryLimitExceeded(
                f"over the memory limit: {self.in_flight} request bytes in flight, cap {self.limit_bytes}; retry later")
        try:
            yield
        finally:
            self.release(nbytes)
