"""The desktop window: the annotated frame on screen; q or Esc ends the loop."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING

import cv2

from edge_app.draw import annotate
from edge_app.sinks import StopRequested

if TYPE_CHECKING:
    import numpy as np

    from edge_app.result import FrameResult

WINDOW_NAME = "mnist-edge"
QUIT_KEYS = (ord("q"), 27)  # q or Esc closes the window


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
