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


NO_DISPLAY = "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
NO_GUI = (
    "this OpenCV build has no GUI support (opencv-python-headless); for windows run "
    "`pip uninstall -y opencv-python-headless && pip install opencv-python`"
)


def display_problem() -> str | None:
    """None when a window can open, else why not (NO_DISPLAY or NO_GUI, with the fix)."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return NO_DISPLAY
    try:
        cv2.namedWindow(WINDOW_NAME, cv2.WINDOW_NORMAL)
    except cv2.error:  # the headless build raises "not implemented" for every GUI call
        return NO_GUI
    return None


class WindowSink:
    """The annotated frame in a window; q or Esc ends the loop."""

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        cv2.imshow(WINDOW_NAME, annotate(frame, result))
        if cv2.waitKey(1) & 0xFF in QUIT_KEYS:
            raise StopRequested

    def close(self) -> None:
        with contextlib.suppress(cv2.error):
            cv2.destroyAllWindows()
