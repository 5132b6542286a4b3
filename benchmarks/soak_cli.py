"""Soak test: a looping camera-like video through the app's headless frame loop; latency, fps, RSS over time.

    python benchmarks/soak.py [--frames 50000] [--model artifacts/model_int8.tflite] [--json FILE]

A reader left running for days must not leak memory or slow down: this reports p50/p99 latency and
frames/s per window of frames, and RSS after warm-up and at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks.cli import HelpFormatter, check_output_file, run_module, write_output
from benchmarks.memory import peak_rss_mb, rss_mb
from benchmarks.stats import NS_PER_MS, NS_PER_S, summarize_ns
from edge_app.artifacts import atomic_write_json
from edge_app.cli_args import positive_int
from edge_app.errors import UserError, cli_main

DEFAULT_FRAMES = 50_000
WINDOW_FRAMES = 5_000
MIN_WINDOWS = 10  # short runs are cut into this many windows instead
VIDEO_FRAMES = 40  # distinct frames in the looping video
VIDEO_TIMEOUT_S = 600
WARMUP_FRAMES = 100  # untimed: the classifier builds one interpreter per batch size it meets
MAX_RSS_GROWTH_MB = 20.0


@dataclass(frozen=True)
class Window:
    """Latency and speed over one window of consecutive frames."""

    frames: int
    p50_ms: float
    p99_ms: float
    fps: float  # frames / wall time of the window, video decoding included


@dataclass(frozen=True)
class SoakResult:
    frames: int
    model: str
    rss_start_mb: float  # after loading the model and the warm-up frames
    rss_end_mb: float
    rss_peak_mb: float
    windows: list[Window]

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_end_mb - self.rss_start_mb

    def to_json(self) -> dict:
        data = asdict(self)
        data["rss_growth_mb"] = round(self.rss_growth_mb, 1)
        return data


def window_size(frames: int) -> int:
    """Return WINDOW_FRAMES, or less so that short runs still have MIN_WINDOWS windows."""
    return max(1, min(WINDOW_FRAMES, frames // MIN_WINDOWS))


def make_video(path: Path, count: int) -> Path:
    """Write the looping video in a child process, so drawing frames adds nothing to the RSS measured."""
    result = run_module(
        "benchmarks.frames",
        "--video",
        str(path.resolve()),
        "--count",
        str(count),
        "--seed",
        "7",
        timeout=VIDEO_TIMEOUT_S,
    )
    if result.returncode != 0 or not path.exists():
        raise RuntimeError(f"could not write the soak video: {result.stderr.strip()[-500:]}")
    return path


class WindowSink:
    """A sink of the app's frame loop: per-window latency percentiles and frames/s, RSS after warm-up.

    Latency is the reader's own per-frame total (preprocessing + classification); frames/s is wall
    time over the window, so decoding, JSON output and the loop itself count too.
    """

    def __init__(self, frames: int, window: int, on_window: Callable[[int, Window], None] | None):
        self.frames, self.window, self.on_window = frames, window, on_window
        self.windows: list[Window] = []
        self.rss_start_mb = 0.0
        self._seen, self._done, self._count = 0, 0, 0
        self._samples = np.empty(window, np.float64)
        self._start = time.perf_counter_ns()

    def handle(self, result, frame: np.ndarray) -> None:
        self._seen += 1
        if self._seen <= WARMUP_FRAMES:
            if self._seen == WARMUP_FRAMES:
                self.rss_start_mb = rss_mb()
                self._start = time.perf_counter_ns()
            return
        self._samples[self._count] = result.reading.latency_ms["total"]
        self._count, self._done = self._count + 1, self._done + 1
        if self._count == self.window or self._done == self.frames:
            elapsed = time.perf_counter_ns() - self._start
            latency = summarize_ns(self._samples[: self._count] * NS_PER_MS)
            fps = self._count * NS_PER_S / elapsed
            self.windows.append(
                Window(
                    self._count, round(latency.p50_ms, 3), round(latency.p99_ms, 3), round(fps, 1)
                )
            )
            if self.on_window is not None:
                self.on_window(self._done, self.windows[-1])
            self._count, self._start = 0, time.perf_counter_ns()

    def close(self) -> None:
        pass


def soak(
    model: Path,
    frames: int,
    threads: int = 1,
    window: int | None = None,
    video_frames: int = VIDEO_FRAMES,
    on_window: Callable[[int, Window], None] | None = None,
) -> SoakResult:
    """Run `frames` frames (after warm-up) through the app's headless frame loop; return the windows and RSS.

    The loop is `edge_app.app.run` reading a looping video through `edge_app.sources`, with the
    `--headless` JSON sink (written to os.devnull) and a WindowSink that measures.
    `on_window(frames done, window)` is called as each window completes (progress on long runs).
    """
    from edge_app.app import AppOptions, run
    from edge_app.runtime import Classifier
    from edge_app.sinks.json import JsonSink
    from edge_app.sources import open_source

    classifier = Classifier(model, num_threads=threads)
    meter = WindowSink(frames, window or window_size(frames), on_window)
    with tempfile.TemporaryDirectory(prefix="mnist-edge-soak-") as tmp:
        video = make_video(Path(tmp) / "soak.avi", video_frames)
        source = open_source(str(video), loop=True)
        with open(os.devnull, "w") as devnull:
            json_sink = JsonSink(devnull)
            try:
                run(
                    source,
                    classifier,
                    AppOptions(max_frames=WARMUP_FRAMES + frames),
                    [json_sink, meter],
                )
            finally:
                json_sink.close()
                source.close()
    return SoakResult(
        frames,
        str(model),
        round(meter.rss_start_mb, 1),
        round(rss_mb(), 1),
        round(peak_rss_mb(), 1),
        meter.windows,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/soak.py",
        description="Frames of a looping camera-like video through the digit reader: latency and "
        "frames/s per window, RSS after warm-up and at the end.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--frames", type=positive_int, default=DEFAULT_FRAMES, help="timed frames")
    parser.add_argument(
        "--model",
        type=Path,
        default=Path("artifacts/model_int8.tflite"),
        help="the .tflite to read with",
    )
    parser.add_argument("--threads", type=positive_int, default=1, help="interpreter threads")
    parser.add_argument(
        "--window",
        type=positive_int,
        default=None,
        help=f"frames per window (default {WINDOW_FRAMES}, fewer for short runs)",
    )
    parser.add_argument(
        "--video-frames",
        type=positive_int,
        default=VIDEO_FRAMES,
        help="distinct frames in the looping video",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the result here")
    return parser


def _print_window(done: int, w: Window) -> None:
    if done == w.frames:  # the first window: the header goes out only once the model loaded
        print(f"{'frames':>8} {'p50 ms':>8} {'p99 ms':>8} {'frames/s':>9}")
    print(f"{done:>8} {w.p50_ms:>8.2f} {w.p99_ms:>8.2f} {w.fps:>9.0f}", flush=True)


@cli_main
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check_output_file(args.json, "--json")
    if not args.model.is_file():
        raise UserError(
            f"no model {args.model}; make it with `python -m train && python -m convert`"
        )
    result = soak(
        args.model, args.frames, args.threads, args.window, args.video_frames, _print_window
    )
    first, last = result.windows[0], result.windows[-1]
    print(
        f"{result.frames} frames of {result.model}: RSS {result.rss_start_mb:.1f} -> "
        f"{result.rss_end_mb:.1f} MB ({result.rss_growth_mb:+.1f} MB, bound {MAX_RSS_GROWTH_MB:.0f}), "
        f"p99 first/last window {first.p99_ms:.2f}/{last.p99_ms:.2f} ms"
    )
    if args.json:
        write_output(args.json, "--json", lambda path: atomic_write_json(path, result.to_json()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
