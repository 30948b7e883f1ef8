"""A cap on request bytes in flight, shared by every receiver (as the Collector's memory_limiter).

A receiver acquires a request's size before it reads or decodes it, and releases it when the
request is answered. Past the cap the request is refused with the retryable backpressure answer
(gRPC UNAVAILABLE with RetryInfo, HTTP 503 with Retry-After), so many large concurrent requests
cannot grow the process without bound. No locks: receivers share one event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

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

    def try_acquire(self, nbytes: int, held: int = 0) -> bool:
        """Reserve `nbytes` more for a request already holding `held`; False when that would pass the cap.

        A request alone always fits (otherwise one larger than the cap could never pass; the
        receivers' body size limits bound it).
        """
        others = self.in_flight - held
        if self.limit_bytes and others > 0 and self.in_flight + nbytes > self.limit_bytes:
            self.refused += 1
            return False
        self.in_flight += nbytes
        return True

    def grow(self, nbytes: int, held: int) -> int:
        """Grow a request's reservation from `held` to `nbytes`; returns what it now holds.

        Raises MemoryLimitExceeded (the receiver answers with its retryable backpressure).
        """
        if nbytes <= held:
            return held
        if not self.try_acquire(nbytes - held, held):
            raise MemoryLimitExceeded(f"over the memory limit ({self.in_flight} request bytes in flight, "
                                      f"cap {self.limit_bytes}); retry later")
        return nbytes

    def release(self, nbytes: int) -> None:
        """Give back what `try_acquire` reserved."""
        self.in_flight = max(0, self.in_flight - nbytes)
