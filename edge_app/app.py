"""The frame loop: frames -> read_digits -> stable text -> sinks (JSON lines, window, saved images, web, MQTT)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import cv2
import numpy as np

from edge_app.artifacts import atomic_path
from edge_app.draw import annotate
from edge_app.errors import UserError
from edge_app.preprocess import clip_roi
from edge_app.reader import ReaderOptions, Reading, read_digits
from edge_app.sources import Frame

WINDOW_NAME = "mnist-edge"
QUIT_KEYS = (ord("q"), 27)  # q or Esc closes the window
FPS_SMOOTHING = 0.1  # weight of the newest frame in the FPS moving average
LATENCY_DECIMALS = 3
log = logging.getLogger("edge_app")


class StopRequested(Exception):
    """Raised by a sink (the window's q key) to end the frame loop cleanly."""


@dataclass(frozen=True)
class AppOptions:
    """How the frame loop runs."""

    reader: ReaderOptions = field(default_factory=ReaderOptions)
    stable: int = 1  # report a number once read the same in this many consecutive frames
    max_frames: int | None = None  # stop after this many frames (None = until the source ends)


@dataclass
class FrameResult:
    """Everything known about one processed frame."""

    frame: int
    source: str
    reading: Reading
    text: str  # what the frame reports: the number held by --stable, else this frame's reading
    fps: float

    def to_json(self) -> dict:
        """Return the --headless object promised to users (keys and order are a contract)."""
        return {
            "frame": self.frame,
            "source": self.source,
            "text": self.text,
            "digits": [
                {"digit": d.value, "confidence": round(d.confidence, 4), "box": list(d.box)}
                for d in self.reading.digits
            ],
            "latency_ms": {
                k: round(v, LATENCY_DECIMALS) for k, v in self.reading.latency_ms.items()
            },
        }


class Sink(Protocol):
    """Where results go."""

    def handle(self, result: FrameResult, frame: np.ndarray) -> None: ...

    def close(self) -> None: ...


class JsonSink:
    """One JSON object per frame on stdout (and nothing else there)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        self.stream.write(json.dumps(result.to_json()) + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


class SaveSink:
    """Annotated frames as JPEG files in a folder, written atomically."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(f"cannot create --save-dir {self.folder}: {e.strerror or e}") from e

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        stem = Path(result.source).stem or "frame"
        path = self.folder / f"{result.frame:06d}_{stem}.jpg"
        ok, data = cv2.imencode(".jpg", annotate(frame, result))
        if ok:
            with atomic_path(path) as tmp:
                tmp.write_bytes(data.tobytes())

    def close(self) -> None:
        """Nothing buffered."""


def has_display() -> bool:
    """True when a window can be shown: a display is set and OpenCV was built with a GUI."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        cv2.namedWindow(WINDOW_NAME, cv2.WINDOW_NORMAL)
    except cv2.error:  # opencv-python-headless has no GUI
        return False
    return True


class WindowSink:
    """The annotated frame in a window; q or Esc ends the loop."""

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        cv2.imshow(WINDOW_NAME, annotate(frame, result))
        if cv2.waitKey(1) & 0xFF in QUIT_KEYS:
            raise StopRequested

    def close(self) -> None:
        with contextlib.suppress(cv2.error):
            cv2.destroyAllWindows()


class StableText:
    """Holds the last text read the same way in `n` consecutive frames ("" until the first one)."""

    def __init__(self, n: int) -> None:
        self.n = max(1, n)
        self.candidate: str | None = None
        self.count = 0
        self.held = ""

    def update(self, text: str) -> str:
        """Feed one frame's text; return the stable text."""
        if text == self.candidate:
            self.count += 1
        else:
            self.candidate, self.count = text, 1
        if self.count >= self.n:
            self.held = text
        return self.held


def check_roi(roi: tuple[int, int, int, int] | None, shape: tuple[int, ...]) -> None:
    """Raise UserError unless `roi` lies inside a frame of `shape` (checked on the first frame)."""
    if roi is not None and clip_roi(roi, shape) != tuple(roi):
        raise UserError(
            f"--roi {','.join(map(str, roi))} is not inside the {shape[1]}x{shape[0]} frame; "
            "give x,y,w,h with x+w <= width and y+h <= height"
        )


def run(frames: Iterable[Frame], classifier, options: AppOptions, sinks: list[Sink]) -> int:
    """Read every frame and hand the result to each sink; return the number of frames processed.

    Stops at the end of the source, after options.max_frames, or when a sink raises StopRequested.
    Sinks are not closed here: the caller owns them.
    """
    stable = StableText(options.stable) if options.stable > 1 else None
    fps = 0.0
    count = 0
    last = time.perf_counter()
    if options.max_frames is not None and options.max_frames <= 0:
        return 0
    for frame in frames:
        if count == 0:
            check_roi(options.reader.roi, np.asarray(frame.image).shape)
        reading = read_digits(frame.image, classifier, options.reader)
        now = time.perf_counter()
        instant = 1.0 / max(now - last, 1e-6)
        fps = instant if count == 0 else (1 - FPS_SMOOTHING) * fps + FPS_SMOOTHING * instant
        last = now
        result = FrameResult(
            frame=frame.index,
            source=frame.name,
            reading=reading,
            text=stable.update(reading.text) if stable else reading.text,
            fps=fps,
        )
        count += 1
        try:
            for sink in sinks:
                sink.handle(result, frame.image)
        except StopRequested:
            break
        if options.max_frames is not None and count >= options.max_frames:
            break
    return count
