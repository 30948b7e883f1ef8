"""Exponential backoff with jitter, as the OpenTelemetry Collector's `retry_on_failure`.

The n-th wait is `initial_interval * multiplier**n`, capped at `max_interval`, then randomised
by ±`randomization_factor`; retrying stops once `max_elapsed_time` has passed (0: never).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Backoff:
    """Backoff schedule; iterate `delays()` for successive waits in seconds."""

    initial_interval: float = 1.0
    multiplier: float = 1.5
    randomization_factor: float = 0.5
    max_interval: float = 30.0
    max_elapsed_time: float = 300.0

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """Successive randomised waits; ends when the next wait would pass max_elapsed_time.

        A max_elapsed_time of 0 means no limit.
        """
        rnd = rng or random.Random()
        interval = self.initial_interval
        elapsed = 0.0
        while True:
            delta = self.randomization_factor * interval
            wait = rnd.uniform(interval - delta, interval + delta)
            if self.max_elapsed_time and elapsed + wait > self.max_elapsed_time:
                return
            elapsed += wait
            yield wait
            interval = min(interval * self.multiplier, self.max_interval)
