"""Measure benchmark rows one after the other (so runs never compete for the CPU): per-call latency,
batch throughput, peak memory and accuracy per model x runtime x threads, then end-to-end frames."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.discovery import Model, known_accuracies, make_plan, plan_line
from benchmarks.floor import write_floor_models
from benchmarks.memory import probe_peak_rss_mb
from benchmarks.rows import FLOOR, KERAS_BATCH, EndToEnd, Result
from benchmarks.runners import (
    KERAS,
    OPENCV,
    Runner,
    Unavailable,
    open_runner,
)
from benchmarks.stats import NS_PER_S, summarize_ns, throughput_per_s, time_calls

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    """How long to measure: the full run, or --quick for CI."""

    warmup: int  # untimed calls before timing
    iterations: int  # timed one-image calls per row (at most)
    max_seconds: float  # stop a row's timed calls after this long (slow Keras calls)
    batch: int  # images per batched call for throughput
    batch_repeats: int  # timed batched calls per row
    frames: int  # timed end-to-end frames per row
    distinct_frames: int  # different camera-like frames, cycled (drawing them is slow)
    measure_rss: bool  # probe peak RSS in a fresh process per model and runtime
    seconds_per_row: float  # a rough wall time per row, for the plan line


FULL = Settings(
    warmup=200,
    iterations=3000,
    max_seconds=3.0,
    batch=256,
    batch_repeats=20,
    frames=600,
    distinct_frames=40,
    measure_rss=True,
    seconds_per_row=5.0,
)
QUICK = Settings(
    warmup=10,
    iterations=100,
    max_seconds=0.2,
    batch=256,
    batch_repeats=2,
    frames=20,
    distinct_frames=6,
    measure_rss=False,
    seconds_per_row=0.5,
)


@dataclass(frozen=True)
class Benchmark:
    """Everything one run measured."""

    results: list[Result]
    end_to_end: list[EndToEnd]
    notes: list[str]  # what could not be measured, one line each
    frame_source: str


class Bench:
    """Measures rows one after the other and keeps them with the notes on what it could not."""

    def __init__(self, settings: Settings, test_set, accuracies: dict[str, float]):
        self.settings = settings
        self.test_set = test_set  # (images, labels) when --accuracy, else None
        self.accuracies = accuracies
        rng = np.random.default_rng(0)
        # Timing inputs: the models are dense, so their speed does not depend on the pixels.
        self.batch = rng.integers(0, 256, (settings.batch, 28, 28), dtype=np.uint8)
        self.image = self.batch[0]
        self.results: list[Result] = []
        self.notes: list[str] = []
        self._rss: dict[tuple[str, str], float | None] = {}

    def _accuracy(self, model: Model, runtime: str, runner: Runner) -> float | None:
        if model.variant == FLOOR:
            return None
        key = f"{model.path.name} on {runtime}"
        if self.test_set is None:
            # The reports' accuracies come from the runtime family convert evaluated the file with
            # (TFLite interpreters, ONNX Runtime); OpenCV's own is only known when measured.
            return None if runtime == OPENCV else self.accuracies.get(model.path.name)
        if key not in self.accuracies:
            images, labels = self.test_set
            predicted = np.argmax(runner.predict(images), axis=1)
            self.accuracies[key] = float(np.mean(predicted == labels))
        return self.accuracies[key]

    def _peak_rss(self, model: Model, runtime: str, threads: int) -> float | None:
        if not self.settings.measure_rss:
            return None
        key = (str(model.path), runtime)
        if key not in self._rss:
            # Once per model and runtime, at the first thread count: threads add little memory.
            self._rss[key] = probe_peak_rss_mb(
                runtime, model.path, threads, raw=model.variant == FLOOR
            )
        return self._rss[key]

    def measure(self, model: Model, runtime: str, threads: int) -> Result | None:
        """Measure one row and append it, or note why it could not be measured."""
        try:
            runner = open_runner(
                runtime, model.path, threads, self.image, self.batch, raw=model.variant == FLOOR
            )
        except Unavailable as e:
            self.note(f"{runtime} cannot run {model.path.name}: {e}")
            return None
        s = self.settings
        latency = time_calls(runner.single, s.iterations, s.warmup, s.max_seconds)
        throughput = throughput_per_s(runner.batch, len(self.batch), s.batch_repeats)
        note = "" if runner.native_batch else "loop"
        return self._add(model, runtime, threads, latency, throughput, runner, note=note)

    def _add(
        self, model, runtime, threads, latency, throughput, runner, note="", variant=None
    ) -> Result:
        row = Result(
            variant=variant or model.variant,
            runtime=runtime,
            threads=threads,
            p50_us=latency.p50_us,
            p90_us=latency.p90_us,
            p99_us=latency.p99_us,
            mean_us=latency.mean_us,
            stdev_us=latency.stdev_us,
            throughput_per_s=throughput,
            size_bytes=None if model.variant == FLOOR else model.path.stat().st_size,
            accuracy=self._accuracy(model, runtime, runner),
            rss_mb=self._peak_rss(model, runtime, threads),
            model=model.path.name,
            note=note,
        )
        self.results.append(row)
        return row

    def keras(self, model: Model) -> None:
        """Measure the Keras baselines: one image per model() call, and predict() on a batch."""
        threads = os.cpu_count() or 1  # TensorFlow's default: one intra-op thread per core
        try:
            runner = open_runner(KERAS, model.path, threads, self.image, self.batch)
        except Unavailable as e:
            self.note(f"keras baselines skipped: {e}")
            return
        s = self.settings
        one = time_calls(runner.single, s.iterations, min(s.warmup, 20), s.max_seconds)
        calls = throughput_per_s(runner.call_batch, len(self.batch), s.batch_repeats)
        self._add(model, KERAS, threads, one, calls, runner)
        batch = time_calls(runner.batch, s.batch_repeats, 2, s.max_seconds)
        per_s = len(self.batch) * 1e6 / batch.p50_us
        self._add(model, KERAS, threads, batch, per_s, runner, variant=KERAS_BATCH)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def measure_end_to_end(
    rows: list[tuple[Model, str, int]], settings: Settings, progress: Progress
) -> tuple[list[EndToEnd], str]:
    """Time the reader's per-frame processing (preprocess + inference) on 640x480 frames."""
    from benchmarks.frames import camera_frames
    from edge_app.reader import read_digits
    from edge_app.runtime import Classifier

    if not rows:
        return [], ""
    frames, source = camera_frames(settings.distinct_frames)
    results = []
    for model, runtime, n in rows:
        progress(f"end to end: {model.path.name} on {runtime}, {n} thread(s)")
        classifier = Classifier(model.path, runtime=runtime, num_threads=n)
        for frame in frames[: min(len(frames), settings.warmup)]:
            read_digits(frame, classifier)
        samples = np.empty(settings.frames, np.int64)
        for i in range(settings.frames):
            frame = frames[i % len(frames)]
            start = time.perf_counter_ns()
            read_digits(frame, classifier)
            samples[i] = time.perf_counter_ns() - start
        stats = summarize_ns(samples)
        fps = NS_PER_S / float(samples.mean())
        results.append(EndToEnd(model.variant, runtime, n, stats.p50_ms, stats.p99_ms, fps))
    return results, source


def run(
    folder: Path,
    runtimes: tuple[str, ...],
    threads: tuple[int, ...],
    settings: Settings,
    test_set,
    progress: Progress = lambda line: None,
) -> Benchmark:
    """Measure every model in `folder` on every runtime asked for and installed."""
    with tempfile.TemporaryDirectory(prefix="mnist-edge-floor-") as tmp:
        plan = make_plan(folder, runtimes, threads, write_floor_models(Path(tmp)))
        progress(plan_line(plan, settings))
        bench = Bench(settings, test_set, known_accuracies(folder))
        bench.notes += plan.notes
        # OpenCV rows set OpenCV's process-wide thread count; the end-to-end rows need it back.
        opencv_threads = cv2.getNumThreads()
        for i, (model, runtime, n) in enumerate(plan.rows, 1):
            progress(f"[{i}/{len(plan.rows)}] {model.path.name} on {runtime}, {n} thread(s)")
            bench.measure(model, runtime, n)
        if plan.keras is not None:
            progress(f"keras baselines: {plan.keras.path.name}")
            bench.keras(plan.keras)
        cv2.setNumThreads(opencv_threads)
    end_to_end, source = measure_end_to_end(plan.end_to_end, settings, progress)
    return Benchmark(bench.results, end_to_end, bench.notes, source)
