"""The reader's counters for Prometheus: fed as a sink by the frame loop, rendered as /metrics text."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from edge_app.reader import UNSURE

if TYPE_CHECKING:
    import numpy as np

    from edge_app.result import FrameResult

PREFIX = "mnist_edge"
STAGES = ("preprocess", "inference", "total")  # the reader's latency_ms keys
# Upper bounds in seconds: a Pi 4 frame takes ~5-30 ms, a desktop under 5 ms, a stuck one seconds.
LATENCY_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the Prometheus text exposition format


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class _Histogram:
    def __init__(self) -> None:
        self.buckets = [0] * len(LATENCY_BUCKETS_S)  # non-cumulative; summed when rendered
        self.count = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.count += 1
        self.sum += value
        for i, bound in enumerate(LATENCY_BUCKETS_S):
            if value <= bound:
                self.buckets[i] += 1
                break


class Metrics:
    """A Sink counting what the loop did; `render()` is the Prometheus text (thread-safe).

    `reconnects` reads the source's reconnect counter (a file has none: 0); `model` is asked at
    every scrape what runs (sha256, file, runtime), so the info metric follows a hot swap, and
    `reloads` how many new models were swapped in.
    """

    def __init__(
        self,
        model: Callable[[], dict[str, str]],
        reconnects: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.monotonic,
        reloads: Callable[[], int] = lambda: 0,
    ) -> None:
        self._lock = threading.Lock()
        self._model, self._reconnects, self._clock = model, reconnects, clock
        self._reloads = reloads
        self._frames = self._published = self._unsure = 0
        self._latency = {stage: _Histogram() for stage in STAGES}
        self._last_frame_s = clock()  # before the first frame: age since start, so alerts fire

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        """Count one processed frame."""
        unsure = sum(d.value is None for d in result.reading.digits)
        with self._lock:
            self._frames += 1
            self._unsure += unsure
            if result.text and UNSURE not in result.text:
                self._published += 1
            for stage in STAGES:
                if stage in result.reading.latency_ms:
                    self._latency[stage].observe(result.reading.latency_ms[stage] / 1000)
            self._last_frame_s = self._clock()

    def close(self) -> None:
        """Nothing to release."""

    def render(self) -> str:
        """The Prometheus text exposition of every metric, ending in a newline."""
        reconnects, reloads, model = self._reconnects(), self._reloads(), self._model()
        with self._lock:
            age_s = self._clock() - self._last_frame_s
            lines: list[str] = []

            def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]):
                lines.extend(
                    [f"# HELP {PREFIX}_{name} {help_text}", f"# TYPE {PREFIX}_{name} {kind}"]
                )
                lines.extend(f"{PREFIX}_{name}{labels} {_number(v)}" for labels, v in samples)

            metric("frames_total", "counter", "Frames read from the source and processed.",
                   [("", self._frames)])  # fmt: skip
            metric("readings_published_total", "counter",
                   "Frames that reported a whole number (not empty, no unsure digit).",
                   [("", self._published)])  # fmt: skip
            metric("unsure_digits_total", "counter",
                   "Digits read below --min-confidence (shown as ?).", [("", self._unsure)])  # fmt: skip
            metric("source_reconnects_total", "counter",
                   "Times a live source stopped delivering and was reconnected.",
                   [("", reconnects)])  # fmt: skip
            metric("model_reloads_total", "counter",
                   "New models swapped in while running.", [("", reloads)])  # fmt: skip
            metric("last_frame_age_seconds", "gauge",
                   "Seconds since the last frame (since start before the first one).",
                   [("", round(age_s, 3))])  # fmt: skip
            samples = []
            for stage, histogram in self._latency.items():
                cumulative = 0
                for bound, count in zip(LATENCY_BUCKETS_S, histogram.buckets, strict=True):
                    cumulative += count
                    samples.append((f'_bucket{{stage="{stage}",le="{bound}"}}', cumulative))
                samples.append((f'_bucket{{stage="{stage}",le="+Inf"}}', histogram.count))
                samples.append((f'_sum{{stage="{stage}"}}', round(histogram.sum, 6)))
                samples.append((f'_count{{stage="{stage}"}}', histogram.count))
            metric("stage_latency_seconds", "histogram",
                   "Time per frame in each stage of the reader.", samples)  # fmt: skip
            labels = ",".join(f'{k}="{_label(v)}"' for k, v in sorted(model.items()))
            metric("model_info", "gauge", "The model being run (always 1).",
                   [(f"{{{labels}}}", 1)])  # fmt: skip
        return "\n".join(lines) + "\n"
