"""Ruled and squared-paper lines: find the long straight strokes that cross a frame and take them out."""

from __future__ import annotations

import cv2
import numpy as np

LINE_SPAN = 0.8  # share of the frame side a stroke must run along to be a ruled or grid line
LINE_MAX_FILL = 0.3  # ink share of its box above which a frame-wide piece is a page border
LINE_RUN = 0.15  # share of the frame side: the straight run a line holds (digit bars are shorter)
# Share of the frame side: the gap between two runs of one line, which grain or a faint pen
# breaks. Runs joined across such gaps must still span LINE_SPAN, which a number's bars do not.
LINE_GAP = 0.12
# At work size: the gap across a removed line (its width and rim) a crossing stroke is bridged
# over, and how far aside of a line pixel each of its two ends may be (a thin pen's slanted
# stroke shifts a pixel or more per row across the gap).
CROSSING_PX = 7
CROSSING_SLANT_PX = 5
CROSSING_MIN_INK = 2  # ink pixels on each side: a stroke brings two or more, a speck of grain one
LINE_TILT_PX = 2  # at work size: how far aside a tilted line's run may step
THICK_STROKE_PX = 5  # at work size: a ruling is thinner than this
_THICK_KERNEL = np.ones((THICK_STROKE_PX, THICK_STROKE_PX), np.uint8)
# At work size: a gap the threshold leaves in a faint line, filled before its runs are measured.
DASH_GAP_PX = 5
DASH_MIN_LENGTH = 0.06  # share of the frame side: the shortest piece that may be a line's dash ...
DASH_MIN_ASPECT = 6  # length / thickness from which a piece may be a dash of a broken line ...
DASH_MAX_THICKNESS_PX = 7  # ... at work size, tilt included
DASH_MIN_COUNT = 3  # a broken line is several dashes
# Beside lines found, a loose piece this much longer than it is across (tilt included) ...
LOOSE_DASH_ASPECT = 8
LOOSE_DASH_THICKNESS_PX = 2  # ... and at most this thick on average is the rest of a faint line


def _long_runs(binary: np.ndarray, horizontal: bool, frame: tuple[int, int]) -> np.ndarray:
    """Return the pixels of straight runs that belong to a structure spanning LINE_SPAN of the frame."""
    h_img, w_img = frame
    side = w_img if horizontal else h_img
    run, gap = max(3, int(LINE_RUN * side)), max(1, int(LINE_GAP * side))
    kernel = np.ones((1, run) if horizontal else (run, 1), np.uint8)
    # A tilted line steps a pixel aside every few pixels and a faint one breaks into dashes: a
    # pixel's band across it and small gaps along it filled in first, its run is long again.
    band = 1 + 2 * LINE_TILT_PX
    across = np.ones((band, 1) if horizontal else (1, band), np.uint8)
    along = np.ones((1, DASH_GAP_PX) if horizontal else (DASH_GAP_PX, 1), np.uint8)
    banded = cv2.morphologyEx(cv2.dilate(binary, across), cv2.MORPH_CLOSE, along)
    # Narrowed back by the band, so a stroke lying along the line (the base of a 2) is not taken.
    opened = cv2.erode(cv2.morphologyEx(banded, cv2.MORPH_OPEN, kernel), across) & binary
    # Bridge the gaps of a broken line: its dashes join (8-connected, so a tilted line's steps too).
    bridge = np.ones((1, gap) if horizontal else (gap, 1), np.uint8)
    joined = cv2.dilate(opened, bridge)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    extent = stats[1:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT] - (gap - 1)
    is_line = np.zeros(n, bool)
    is_line[1:] = extent >= LINE_SPAN * side
    # A stroke thicker than a ruling is a digit's, however long (the bar of a 4 on a line).
    thin = cv2.morphologyEx(binary, cv2.MORPH_OPEN, _THICK_KERNEL) == 0
    return is_line[labels] & (opened > 0) & thin


def _may_hold_lines(
    lengths: np.ndarray, thickness: np.ndarray, sparse: np.ndarray, side: int
) -> bool:
    """True when components of these lengths along one direction may be lines across `side` pixels.

    A whole line is a sparse component spanning LINE_SPAN of the frame; a broken one is dashes,
    long and thin pieces that together are as long.
    """
    spanning = lengths >= LINE_SPAN * side
    if (sparse & spanning).any():
        return True
    # A spanning filled piece is the rim of the table or page, not a dash.
    dashes = (
        ~spanning
        & (lengths >= DASH_MIN_LENGTH * side)
        & (lengths >= DASH_MIN_ASPECT * thickness)
        & (thickness <= DASH_MAX_THICKNESS_PX)
    )
    return int(dashes.sum()) >= DASH_MIN_COUNT and int(lengths[dashes].sum()) >= LINE_SPAN * side


def line_mask(
    binary: np.ndarray, stats: np.ndarray, frame: tuple[int, int] | None = None
) -> np.ndarray | None:
    """Return the pixels of ruled or grid lines in a 0/1 uint8 stroke map, or None when it has none.

    `binary` may be a box of a frame of shape `frame` (default: its own shape) with all its ink.
    `stats` are the map's connected-component stats: only a sparse component spanning LINE_SPAN of
    the frame (a filled one is the page's border), or dashes as long together, can hold a line, so
    frames without one pay nothing. A line is what a short straight kernel keeps (an opening),
    joined across small gaps, that still spans the frame, so the bar of a 7 or the base of a 2,
    which are as long as a digit is wide, stay; a digit the line crosses keeps its other strokes.
    """
    frame = binary.shape if frame is None else frame
    h_img, w_img = frame
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    sparse = stats[1:, cv2.CC_STAT_AREA] <= LINE_MAX_FILL * widths * heights
    across = _may_hold_lines(widths, heights, sparse, w_img)
    down = _may_hold_lines(heights, widths, sparse, h_img)
    if not (across or down):
        return None
    grow = np.ones((3, 3), np.uint8)  # the line's anti-aliased rim is part of it: a pixel more
    found = [
        cv2.dilate(_long_runs(binary, horizontal, frame).view(np.uint8), grow)
        for horizontal, wanted in ((True, across), (False, down))
        if wanted
    ]
    lines = found[0] if len(found) == 1 else found[0] | found[1]
    if not lines.any():
        return None
    # Where a stroke crosses a line, the line's pixels are the stroke's: keep them, so the digit
    # stays one piece. A crossing pixel has stroke on both sides of the line within a line's
    # width, each side up to CROSSING_SLANT_PX aside (a closing of the two would need a box of
    # ink around it, which a thin slanted stroke never fills).
    rest = binary & (1 - lines)
    crossed = np.zeros(binary.shape, np.uint8)
    reach, aside = CROSSING_PX, 1 + 2 * CROSSING_SLANT_PX
    for horizontal, wanted in ((True, across), (False, down)):
        if wanted:
            # Ink counted within `reach` before and after each pixel across the line: a box
            # (width, height) anchored at its far ends.
            size = (aside, reach) if horizontal else (reach, aside)
            ends = ((CROSSING_SLANT_PX, reach - 1), (CROSSING_SLANT_PX, 0))
            if not horizontal:
                ends = tuple(e[::-1] for e in ends)
            before, after = (
                cv2.boxFilter(
                    rest, -1, size, anchor=a, normalize=False, borderType=cv2.BORDER_CONSTANT
                )
                for a in ends
            )
            crossed |= (before >= CROSSING_MIN_INK) & (after >= CROSSING_MIN_INK)
    lines &= 1 - crossed
    _add_dashes(lines, binary, frame, across, down)
    return lines.view(bool)


def _add_dashes(
    lines: np.ndarray, binary: np.ndarray, frame: tuple[int, int], across: bool, down: bool
) -> None:
    """Add to `lines`, in place, the loose dashes of `binary` along the lines that were found.

    Where a faint line fades below the threshold its runs no longer join across the frame: the
    dashes left would be merged with the digits beside them. A dash is a piece as thin as a line
    and DASH_MIN_LENGTH of the frame long, with no other ink within CROSSING_PX across it: the
    half of a digit's bar a line was taken out of has the other half there.
    """
    rest = binary & (1 - lines)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    areas = stats[:, cv2.CC_STAT_AREA]
    for wanted, horizontal in ((across, True), (down, False)):
        length, thickness = (widths, heights) if horizontal else (heights, widths)
        side = frame[1] if horizontal else frame[0]
        is_dash = (
            (length >= DASH_MIN_LENGTH * side)
            & (length >= LOOSE_DASH_ASPECT * thickness)
            & (areas <= LOOSE_DASH_THICKNESS_PX * length)
        )
        is_dash[0] = False
        if not (wanted and is_dash.any()):
            continue
        dashes = is_dash[labels]
        reach = 1 + 2 * CROSSING_PX
        near = cv2.dilate(
            rest & ~dashes, np.ones((reach, 1) if horizontal else (1, reach), np.uint8)
        )
        is_dash[np.unique(labels[dashes & (near > 0)])] = False
        lines |= is_dash[labels].view(np.uint8)
