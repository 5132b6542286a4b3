"""The stroke threshold of an ink map: how strong ink must be to start a stroke, faint pen and page borders included."""

from __future__ import annotations

import cv2
import numpy as np

from edge_app.ink import BACKGROUND_CELL_PX, BACKGROUND_SPAN_CELLS, INK_MAX

MIN_INK_THRESHOLD = 0.22  # faintest ink trusted to start a stroke: above unblurred sensor noise
NOISE_MARGIN = 3.0  # a stroke starts this many times above the paper grain
FAINT_INK_THRESHOLD = 0.12  # lowest ink level a stroke may start at on clean paper
# A page border narrower than the paper level's closing span reads as ink. The strongest ink this
# near the frame edge may be such a border ...
BORDER_SPAN_PX = BACKGROUND_SPAN_CELLS * BACKGROUND_CELL_PX
# The table or a deep shadow beyond the page is at least this strong (as black ink is); a weaker
# band holds the threshold below MIN_INK_THRESHOLD anyway.
BORDER_MIN_INK = 0.5
BORDER_SOLID_SHARE = 0.5  # ... when the cell around it holds this share of its strength (a band)
BORDER_TRIES = 6  # borders looked past, one side (or one step of a wedge) at a time
# Past a border, the page's own strongest ink sets the threshold only if the page is plain: at
# most PLAIN_PAGE_SHARE of it above PLAIN_PAGE_INK (ruled or squared paper's lines are more) ...
PLAIN_PAGE_INK = 0.12
PLAIN_PAGE_SHARE = 0.01
# ... and it holds a stroke: STROKE_SHARE of it at least STROKE_STRENGTH of the strongest (a pen's
# stroke has many pixels that strong; a speck of grain, as at a shadow's rim, a few).
STROKE_STRENGTH = 0.5
STROKE_SHARE = 0.001
_BORDER_RADIUS_PX = BACKGROUND_CELL_PX // 2


def stroke_threshold(ink: np.ndarray, ceiling: float) -> float:
    """Return the ink level that starts a stroke: `ceiling`, lowered for faint ink.

    Faint ink (a thin ballpoint in shade, a grey MNIST stroke) lowers it to half the darkest ink
    (see ink_peak: not a page border's). The floor is set by the paper itself: NOISE_MARGIN times
    its grain (the mean of the ink map, which sparse strokes barely raise), never below
    FAINT_INK_THRESHOLD nor above MIN_INK_THRESHOLD, so clean paper lets a faint pen through and
    grainy paper stays blank.
    """
    grain = cv2.mean(ink)[0] / INK_MAX
    floor = min(max(FAINT_INK_THRESHOLD, NOISE_MARGIN * grain), MIN_INK_THRESHOLD)
    faint = 0.5 * ink_peak(ink) / INK_MAX
    return float(min(max(faint, floor), ceiling))


def _run_end(line: np.ndarray, start: int, limit: float) -> int:
    """Return the index just past the run of `line` at or above `limit` that begins at `start`."""
    below = np.flatnonzero(line[start:] < limit)
    return start + (int(below[0]) if below.size else len(line) - start)


def ink_peak(ink: np.ndarray) -> float:
    """Return the strongest ink of the page, past the page borders along the frame edge.

    The table or a shadow beyond the page's edge, in a band narrower than the closing span of the
    paper level, is as strong as black ink: it would keep the threshold up and a faint pen's
    digits below it. Such a band is strong ink near the frame edge that fills the cell around it;
    the page is cut back past it and looked at again. Frames whose strongest ink lies inside the
    page (most) pay one minMaxLoc. The page past a border counts only when it looks plain and
    holds a stroke (PLAIN_PAGE_SHARE, STROKE_SHARE): else the border's strength stands.
    """
    h, w = ink.shape
    if ink.size == 0:
        return 0.0
    _, first, _, (x, y) = cv2.minMaxLoc(ink)
    if BORDER_SPAN_PX <= x < w - BORDER_SPAN_PX and BORDER_SPAN_PX <= y < h - BORDER_SPAN_PX:
        return float(first)  # inside the page: most frames stop here
    if first < BORDER_MIN_INK * INK_MAX:
        return float(first)  # too weak for the table: a shadow's soft rim, or a stroke
    x0, y0, x1, y1 = 0, 0, w, h
    for _ in range(BORDER_TRIES):
        if x1 <= x0 or y1 <= y0:
            return float(first)
        _, peak, _, (x, y) = cv2.minMaxLoc(ink[y0:y1, x0:x1])
        x, y = x + x0, y + y0
        sides = (x - x0, x1 - 1 - x, y - y0, y1 - 1 - y)
        nearest = min(range(4), key=sides.__getitem__)
        if sides[nearest] >= BORDER_SPAN_PX:
            break
        r, limit = _BORDER_RADIUS_PX, BORDER_SOLID_SHARE * peak
        if cv2.mean(ink[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1])[0] < limit:
            break  # a stroke near the edge, not a band
        # Cut past the band where it lies (a wedge's next step is found on the next try).
        if nearest == 0:
            x0 = _run_end(ink[y], x, limit) + r
        elif nearest == 1:
            x1 = w - (_run_end(ink[y, ::-1], w - 1 - x, limit) + r)
        elif nearest == 2:
            y0 = _run_end(ink[:, x], y, limit) + r
        else:
            y1 = h - (_run_end(ink[::-1, x], h - 1 - y, limit) + r)
    if (x0, y0, x1, y1) == (0, 0, w, h) or x1 <= x0 or y1 <= y0:
        return float(first)
    page = ink[y0:y1, x0:x1]
    high = float(cv2.minMaxLoc(page)[1])
    # Counts over a level, not a histogram: two thresholds cost less than a calcHist of the page.
    lines = cv2.countNonZero(cv2.threshold(page, PLAIN_PAGE_INK * INK_MAX, 1, cv2.THRESH_BINARY)[1])
    strokes = cv2.countNonZero(cv2.threshold(page, STROKE_STRENGTH * high, 1, cv2.THRESH_BINARY)[1])
    if lines > PLAIN_PAGE_SHARE * page.size or strokes < STROKE_SHARE * page.size:
        return float(first)
    return high
