"""What the live web view costs the frame loop: per-frame processing time, headless vs serving clients.

    python benchmarks/web_overhead.py [--model artifacts/model_int8.tflite] [--frames 200]
        [--rounds 4] [--clients 2] [--fps 30] [--json FILE]

One process, one model, the same in-memory frames: rounds alternate between the plain loop
(headless) and the loop with a WebSink while `--clients` browsers each stream /stream.mjpg and poll
/api/reading twice a second, as the page does. Per-frame processing time is measured from the
moment the source hands a frame over to the moment every sink has returned (read_digits + sinks),
so it is what the reader thread spends per frame. `--fps 30` delivers frames like a camera;
`--fps 0` feeds them as fast as the loop takes them (a video file, the worst case for the encoder).
"""

from __future__ import annotations

import argparse
import http.client
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from benchmarks.cli import HelpFormatter, check_output_file, write_output
from benchmarks.machine import describe, machine_info
from benchmarks.stats import US_PER_MS, LatencyStats, summarize_ns
from edge_app.app import AppOptions, run
from edge_app.artifacts import atomic_write_json
from edge_app.cli_args import (
    bounded,
    non_negative_float,
    non_negative_int,
    positive_int,
)
from edge_app.errors import cli_main
from edge_app.model import DEFAULT_MODEL, load_classifier
from edge_app.result import FrameResult
from edge_app.sinks.web import WebSink
from edge_app.sources import Frame
from synthetic import make_frame, random_text

POLL_INTERVAL_S = 0.5  # the page's /api/reading poll
DISTINCT_FRAMES = 24  # synthetic frames generated, cycled through each round
# The web view may cost the reader at most this share of its per-frame time: beyond it, a
# camera at 30 fps on a Pi starts dropping frames.
ALLOWED_OVERHEAD = 0.10
MIN_FRAMES = 10  # per round: fewer make the percentiles meaningless


class TimedFrames:
    """Cycles over frames at `fps` (0 = as fast as taken) and remembers when each was handed over."""

    def __init__(self, images: list[np.ndarray], count: int, fps: float) -> None:
        self.images, self.count, self.fps = images, count, fps
        self.handed_ns = 0
        self.handed_cpu_ns = 0  # the reader thread's CPU clock: blind to other processes' load

    def __iter__(self) -> Iterator[Frame]:
        start = time.perf_counter()
        for index in range(self.count):
            if self.fps:
                delay = start + index / self.fps - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            self.handed_ns = time.perf_counter_ns()
            self.handed_cpu_ns = time.thread_time_ns()
            yield Frame(image=self.images[index % len(self.images)], name="bench", index=index)


class Stopwatch:
    """The last sink: records, per frame, the time since the source handed it over."""

    def __init__(self, frames: TimedFrames) -> None:
        self.frames = frames
        self.wall_ns: list[int] = []
        self.cpu_ns: list[int] = []

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        self.cpu_ns.append(time.thread_time_ns() - self.frames.handed_cpu_ns)
        self.wall_ns.append(time.perf_counter_ns() - self.frames.handed_ns)

    def close(self) -> None:
        """Nothing to release."""


class Browser:
    """One client as the page behaves: an MJPEG stream read to the end, /api/reading polled."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bytes = 0
        self.polls = 0
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._stream, daemon=True),
            threading.Thread(target=self._poll, daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def _stream(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("GET", "/stream.mjpg")
        response = connection.getresponse()
        while not self.stop.is_set():
            chunk = response.read1(65536)
            if not chunk:
                break
            self.bytes += len(chunk)
        connection.close()

    def _poll(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self.stop.wait(POLL_INTERVAL_S):
            connection.request("GET", "/api/reading")
            connection.getresponse().read()
            self.polls += 1
        connection.close()


@cli_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/web_overhead.py",
        description="Per-frame processing time of the frame loop, headless vs serving the web view.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the .tflite model the app uses")
    parser.add_argument(
        "--frames", type=bounded(int, minimum=MIN_FRAMES), default=200, help="frames per round"
    )
    parser.add_argument(
        "--rounds", type=positive_int, default=4, help="rounds of each mode, alternating"
    )
    parser.add_argument(
        "--clients", type=non_negative_int, default=2, help="browsers watching in web rounds"
    )
    parser.add_argument(
        "--fps", type=non_negative_float, default=30.0, help="source frame rate; 0 = unpaced"
    )
    parser.add_argument("--threads", type=positive_int, default=1, help="interpreter threads")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="synthetic frames' seed")
    parser.add_argument(
        "--json", type=Path, default=None, help="write the per-mode rows and the overhead here"
    )
    args = parser.parse_args(argv)
    check_output_file(args.json, "--json")
    classifier = load_classifier(args.model, "auto", args.threads, False)

    rng = np.random.default_rng(args.seed)
    images = [make_frame(random_text(rng), rng)[0] for _ in range(DISTINCT_FRAMES)]
    options = AppOptions()
    web = WebSink("127.0.0.1", 0)
    browsers = [Browser(web.port) for _ in range(args.clients)]
    wall: dict[str, list[int]] = {"headless": [], "web": []}
    cpu: dict[str, list[int]] = {"headless": [], "web": []}
    paired: list[float] = []  # per round: web p50 / headless p50 - 1, rounds side by side in time
    try:
        warm = TimedFrames(images, DISTINCT_FRAMES, 0)
        run(warm, classifier, options, [web, Stopwatch(warm)])  # interpreters, caches, first JPEG
        for _ in range(args.rounds):
            p50 = {}
            for mode in ("headless", "web"):
                frames = TimedFrames(images, args.frames, args.fps)
                stopwatch = Stopwatch(frames)
                run(frames, classifier, options, [web, stopwatch] if mode == "web" else [stopwatch])
                wall[mode].extend(stopwatch.wall_ns)
                cpu[mode].extend(stopwatch.cpu_ns)
                p50[mode] = float(np.median(stopwatch.wall_ns))
            paired.append(p50["web"] / p50["headless"] - 1)
    finally:
        for browser in browsers:
            browser.stop.set()
        web.close()

    info = machine_info()
    print(f"machine: {describe(info)}")
    print(
        f"model: {args.model} ({classifier.runtime}, {args.threads} thread(s)); "
        f"{args.rounds} x {args.frames} frames per mode, alternating, 640x480, "
        f"source {'unpaced' if not args.fps else f'{args.fps:g} fps'}; "
        f"{args.clients} client(s) streaming MJPEG and polling /api/reading in web rounds"
    )
    print(
        f"{'per frame':22} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'frames':>7}"
    )
    rows: dict[tuple[str, str], LatencyStats] = {}
    for clock, samples in (("wall", wall), ("reader CPU", cpu)):
        for mode, values in samples.items():
            row = rows[clock, mode] = summarize_ns(values)
            ms = [v / US_PER_MS for v in (row.p50_us, row.p90_us, row.p99_us, row.mean_us)]
            print(f"{clock + ', ' + mode:22}", *(f"{v:8.2f}" for v in ms), f"{row.count:7d}")
    for clock in ("wall", "reader CPU"):
        web_row, headless_row = rows[clock, "web"], rows[clock, "headless"]
        print(
            f"web vs headless, {clock}: p50 {web_row.p50_us / headless_row.p50_us - 1:+.1%}, "
            f"mean {web_row.mean_us / headless_row.mean_us - 1:+.1%}"
        )
    print(
        f"web vs headless, wall p50 of adjacent rounds: median {np.median(paired):+.1%} "
        f"(bound {ALLOWED_OVERHEAD:.0%}); {web.frames_encoded} frames JPEG-encoded, "
        f"{sum(b.bytes for b in browsers) / 1e6:.1f} MB streamed, "
        f"{sum(b.polls for b in browsers)} polls answered"
    )
    if args.json:
        data = {
            "rows": [
                {"clock": clock, "mode": mode, **_ms_json(row)}
                for (clock, mode), row in rows.items()
            ],
            "paired_wall_p50_overhead": float(np.median(paired)),
            "allowed_overhead": ALLOWED_OVERHEAD,
            "frames_encoded": web.frames_encoded,
            "streamed_bytes": sum(b.bytes for b in browsers),
            "polls": sum(b.polls for b in browsers),
            "settings": {
                "model": str(args.model),
                "runtime": classifier.runtime,
                "threads": args.threads,
                "rounds": args.rounds,
                "frames": args.frames,
                "clients": args.clients,
                "fps": args.fps,
            },
            "machine": info,
        }
        write_output(args.json, "--json", lambda path: atomic_write_json(path, data))
        print(f"wrote {args.json}")
    return 0


def _ms_json(row: LatencyStats) -> dict:
    return {
        "p50_ms": round(row.p50_ms, 3),
        "p90_ms": round(row.p90_us / US_PER_MS, 3),
        "p99_ms": round(row.p99_ms, 3),
        "mean_ms": round(row.mean_ms, 3),
        "frames": row.count,
    }


if __name__ == "__main__":
    sys.exit(main())
