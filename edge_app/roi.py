"""The region of interest the web page changes while the loop runs: validation and a thread-safe handoff."""

from __future__ import annotations

import threading

Roi = tuple[int, int, int, int]  # x, y, w, h in frame pixels
ROI_KEYS = ("x", "y", "w", "h")


def parse_roi(value: object, frame_size: tuple[int, int]) -> Roi | None:
    """Return the ROI of a `{x, y, w, h}` object (None clears it) inside a (width, height) frame.

    Raises ValueError with a message for the user when it is not four whole numbers inside the frame.
    """
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != set(ROI_KEYS):
        raise ValueError('expected {"x": .., "y": .., "w": .., "h": ..} in frame pixels, or null')
    numbers = [value[k] for k in ROI_KEYS]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        raise ValueError("x, y, w and h must be whole numbers of pixels")
    x, y, w, h = numbers
    width, height = frame_size
    if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > width or y + h > height:
        raise ValueError(
            f"region {x},{y} {w}x{h} is not inside the {width}x{height} frame "
            "(x, y >= 0; w, h > 0; x + w <= width; y + h <= height)"
        )
    return x, y, w, h


class RoiControl:
    """The ROI the frame loop should use: set from an HTTP thread, read by the loop once a frame."""

    def __init__(self, roi: Roi | None = None) -> None:
        self._lock = threading.Lock()
        self._roi = roi

    def get(self) -> Roi | None:
        """The ROI to read the next frame with (None = the whole frame)."""
        with self._lock:
            return self._roi

    def set(self, roi: Roi | None) -> None:
        """Use `roi` from the next frame on (validate it with parse_roi first)."""
        with self._lock:
            self._roi = roi
