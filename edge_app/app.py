"""The frame loop: frames -> read_digits -> stable text -> FrameResult -> sinks (see edge_app.sinks)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from edge_app.errors import UserError
from edge_app.options import ReaderOptions
from edge_app.plausibility import CounterCheck, CounterRule
from edge_app.preprocess import clip_roi
from edge_app.reader import read_digits
from edge_app.reload import ModelWatcher
from edge_app.result import FrameResult
from edge_app.roi import RoiControl
from edge_app.sinks import Sink, StopRequested
from edge_app.sources import Frame

FPS_SMOOTHING = 0.1  # weight of the newest frame in the FPS moving average


@dataclass(frozen=True)
class AppOptions:
    """How the frame loop runs."""

    reader: ReaderOptions = field(default_factory=ReaderOptions)
    stable: int = 1  # report a number once read the same in this many consecutive frames
    max_frames: int | None = None  # stop after this many frames (None = until the source ends)
    counter: CounterRule | None = None  # hold back readings a meter cannot show; None = rule off


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


def run(
    frames: Iterable[Frame],
    classifier,
    options: AppOptions,
    sinks: list[Sink],
    roi: RoiControl | None = None,
    watcher: ModelWatcher | None = None,
) -> int:
    """Read every frame and hand the result to each sink; return the number of frames processed.

    Stops at the end of the source, after options.max_frames, or when a sink raises StopRequested.
    Sinks are not closed here: the caller owns them. With `roi`, each frame is read with the ROI
    it holds at that moment (the web page changes it), instead of options.reader.roi. With a
    `watcher`, each frame is read by its current classifier (`classifier` is then unused), so a
    new model copied into the artifacts folder takes over between two frames.
    """
    reader = options.reader
    stable = StableText(options.stable) if options.stable > 1 else None
    counter = CounterCheck(options.counter) if options.counter else None
    fps = 0.0
    count = 0
    last = time.perf_counter()
    if options.max_frames is not None and options.max_frames <= 0:
        return 0
    for frame in frames:
        if count == 0:
            check_roi(options.reader.roi, np.asarray(frame.image).shape)
        if roi is not None and (wanted := roi.get()) != reader.roi:
            reader = replace(reader, roi=wanted)  # the reader stays a pure function of its options
        if watcher is not None:
            classifier = watcher.poll()
        reading = read_digits(frame.image, classifier, reader)
        now = time.perf_counter()
        instant = 1.0 / max(now - last, 1e-6)
        fps = instant if count == 0 else (1 - FPS_SMOOTHING) * fps + FPS_SMOOTHING * instant
        last = now
        text = stable.update(reading.text) if stable else reading.text
        plausible = None
        if counter:
            text, plausible = counter.update(text)
        result = FrameResult(
            frame=frame.index,
            source=frame.name,
            reading=reading,
            text=text,
            fps=fps,
            plausible=plausible,
            roi=reader.roi,
            model=watcher.info if watcher is not None else None,
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
