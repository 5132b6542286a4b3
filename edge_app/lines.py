"""Ruled and squared-paper lines: find the long straight strokes that cross a frame and take them out."""

from __future__ import annotations

import cv2
import numpy as np

LINE_SPAN = 0.8  # share of the frame side a stroke must run along to be a ruled or grid line
LINE_MAX_FILL = 0.3  # ink share of its box above which a frame-wide piece is a page border
LINE_RUN = 0.15  # share of the frame side: the straight run a line holds (digit bars are shorter)


def _long_runs(binary: np.ndarray, horizontal: bool, frame: tuple[int, int]) -> np.ndarray:
    """Return the pixels of straight runs that belong to a structure spanning LINE_SPAN of the frame."""
    h_img, w_img = frame
    side = w_img if horizontal else h_img
    run = max(3, int(LINE_RUN * side))
    kernel = np.ones((1, run) if horizontal else (run, 1), np.uint8)
    opened = cv2.morphologyEx(binary, cv2.MORPH_OPEN, kernel)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    extent = stats[1:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT]
    is_line = np.zeros(n, bool)
    is_line[1:] = extent >= LINE_SPAN * side
    return is_line[labels]


def line_mask(
    binary: np.ndarray, stats: np.ndarray, frame: tuple[int, int] | None = None
) -> np.ndarray | None:
    """Return the pixels of ruled or grid lines in a 0/1 uint8 stroke map, or None when it has none.

    `binary` may be a box of a frame of shape `frame` (default: its own shape) with all its ink.
    `stats` are the map's connected-component stats: only a sparse component spanning LINE_SPAN of
    the frame can hold a line (a filled one is the page's border), so frames without one pay nothing. A line is what a long straight
    kernel keeps (an opening) and still spans the frame, so the bar of a 7 or the base of a 2,
    which are as long as a digit is wide, stay; a digit the line crosses keeps its other strokes.
    """
    frame = binary.shape if frame is None else frame
    h_img, w_img = frame
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    sparse = stats[1:, cv2.CC_STAT_AREA] <= LINE_MAX_FILL * widths * heights
    across = (sparse & (widths >= LINE_SPAN * w_img)).any()
    down = (sparse & (heights >= LINE_SPAN * h_img)).any()
    if not (across or down):
        return None
    lines = np.zeros(binary.shape, bool)
    if across:
        lines |= _long_runs(binary, horizontal=True, frame=frame)
    if down:
        lines |= _long_runs(binary, horizontal=False, frame=frame)
    if not lines.any():
        return None
    # The line's anti-aliased rim is part of it: one pixel more on each side.
    return cv2.dilate(lines.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
