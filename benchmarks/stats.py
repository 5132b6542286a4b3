"""Timing: warm-up, timed calls with perf_counter_ns, and percentiles in microseconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

NS_PER_US = 1_000
NS_PER_S = 1_000_000_000
US_PER_MS = 1_000
NS_PER_MS = NS_PER_US * US_PER_MS


@dataclass(frozen=True)
class LatencyStats:
    """Latency of one call, in microseconds, over `count` timed calls."""

    p50_us: float
    p90_us: float
    p99_us: float
    mean_us: float
    stdev_us: float
    count: int

    @property
    def p50_ms(self) -> float:
        return self.p50_us / US_PER_MS

    @property
    def p99_ms(self) -> float:
        return self.p99_us / US_PER_MS

    @property
    def mean_ms(self) -> float:
        return self.mean_us / US_PER_MS


def summarize_ns(samples_ns: np.ndarray) -> LatencyStats:
    """Return percentiles, mean and sample standard deviation of durations given in nanoseconds."""
    us = np.asarray(samples_ns, dtype=np.float64) / NS_PER_US
    p50, p90, p99 = np.percentile(us, [50, 90, 99])
    stdev = float(us.std(ddof=1)) if len(us) > 1 else 0.0
    return LatencyStats(float(p50), float(p90), float(p99), float(us.mean()), stdev, len(us))


def time_calls(
    call: Callable[[], object], iterations: int, warmup: int, max_seconds: float = float("inf")
) -> LatencyStats:
    """Run `call` `warmup` times untimed, then time up to `iterations` calls one by one.

    Stops early after `max_seconds` of timed calls (slow baselines such as one-image Keras calls
    would otherwise take minutes); at least 10 calls are always timed.
    """
    for _ in range(warmup):
        call()
    samples = np.empty(iterations, dtype=np.int64)
    deadline = time.perf_counter_ns() + max_seconds * NS_PER_S
    count = 0
    for count in range(1, iterations + 1):
        start = time.perf_counter_ns()
        call()
        end = time.perf_counter_ns()
        samples[count - 1] = end - start
        if end > deadline and count >= 10:
            break
    return summarize_ns(samples[:count])


def throughput_per_s(call: Callable[[], object], batch: int, repeats: int) -> float:
    """Images per second of `call` (which processes `batch` images), from the median of `repeats` runs."""
    call()  # warm-up: the first batch call allocates tensors
    durations = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        call()
        durations.append(time.perf_counter_ns() - start)
    return batch * NS_PER_S / float(np.median(durations))
