"""What storing can fail with, as receivers report it to clients."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (at most 300 characters), else its type: what logs and answers show."""
    text = str(exc)
    return text.splitlines()[0][:300] if text else type(exc).__name__


class ExportError(Exception):
    """Accepting or storing a request failed; `retryable` says whether the client should send it again.

    `retry_after` (seconds) is the delay receivers suggest to the client (gRPC RetryInfo,
    HTTP Retry-After).
    """

    def __init__(self, message: str, retryable: bool, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class QueueFull(ExportError):
    """A write-ahead log holds `max_size_mib` of unexported data: backpressure, the client retries."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, retryable=True, retry_after=retry_after)


class LogWriteFailed(ExportError):
    """Appending to the write-ahead log failed (disk full, I/O error): nothing was accepted, retry."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True, retry_after=1.0)
