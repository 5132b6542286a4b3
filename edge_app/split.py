"""Touching digits: the ways a wide candidate may be cut into two to four digits, for the classifier to judge."""

from __future__ import annotations

import cv2
import numpy as np

from edge_app.normalize import stroke_width
from edge_app.segment import Candidate

SPLIT_MIN_ASPECT = 0.9  # width / height from which a group may be two touching digits
# ... when it reads unsure as one; one that reads sure is cut only from this wide (a 6 or a 0
# written wide has a tall side that reads as a 1, and the rest as a 0) ...
SURE_SPLIT_MIN_ASPECT = 1.1
# ... and from this, narrower, either may be a digit with a thin 1 touching it at either side.
ONE_BESIDE_MIN_ASPECT = 0.6
ONE_MAX_WIDTH = 0.3  # of the group's height: the widest a 1 cut from beside a digit is
ONE_MIN_HEIGHT = 0.85  # of the group's height: a 1 stands about as tall as its neighbour
ONE_MIN_ROWS = 0.95  # share of its rows a 1's stroke crosses (the cut edge of a 5 or 3 has gaps)
ONE_MAX_BEND = 0.04  # of its height: the farthest a 1's stroke strays from a straight line
ONE_MIN_WIDTH = 0.08  # of the group's height: nearer the edge a cut leaves a sliver of stroke
# Of the fullest column: touching digits meet at a bridge, overlapping ones where two strokes cross.
SPLIT_MAX_CUT_INK = 0.5
# Of the group's height: touching digits stand about as tall; a shorter part is a wide digit's
# tail or foot (the base of a 2, the top of a 7) or its loop (the 0 of a 9 cut from its stem).
SPLIT_MIN_HEIGHT = 0.75
SPLIT_SEARCH = (0.25, 0.75)  # share of the width where the cut between two digits is looked for
# Width / height of one digit among touching ones: a 1 is narrow, people write others up to
# about as wide as tall, and neighbours overlap; outside these no count of digits fits the group.
DIGIT_PITCH = (0.35, 1.1)
MAX_PARTS = 4  # the most touching digits one group is cut into
# Of the part's ink: a smaller piece at a cut edge is the tip of the neighbour's stroke.
NEIGHBOUR_TIP = 0.12
# Of the box height, squared: paper this large enclosed by strokes is a loop (of a 0, 6, 8, 9, 4);
# smaller enclosed specks are pinholes in a thick stroke.
MIN_HOLE_AREA = 0.04


def _loop_columns(mask: np.ndarray) -> np.ndarray:
    """Return, per column, whether it crosses a loop: paper enclosed by strokes.

    Cutting through a loop halves one digit (a 0 into a 6 and a 7); touching digits meet where
    the paper between them is open above or below.
    """
    paper = np.pad(~mask, 1, constant_values=True).view(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    enclosed = stats[:, cv2.CC_STAT_AREA] >= MIN_HOLE_AREA * mask.shape[0] ** 2
    enclosed[0] = False  # label 0 is the strokes themselves
    enclosed[labels[0, 0]] = False  # the paper around the digits
    return enclosed[labels[1:-1, 1:-1]].any(axis=0)


def _counts(bw: int, bh: int) -> list[int]:
    """Return the digit counts a group bw wide and bh tall may hold, the likeliest first."""
    fits = [k for k in range(2, MAX_PARTS + 1) if DIGIT_PITCH[0] <= bw / (k * bh) <= DIGIT_PITCH[1]]
    typical = bw / (0.7 * bh)  # a written digit is about 0.7 of its height wide
    return sorted(fits, key=lambda k: abs(k - typical))


def _lowest(column_ink: np.ndarray, lo: int, hi: int, limit: float) -> list[int]:
    """Return the thinnest column of lo..hi and the thinnest one well apart from it, if thin enough.

    Two: the thinnest column is often the top of a 7 or the end of a 2's base, not the bridge.
    """
    window = column_ink[lo:hi].astype(np.float32)
    best = int(np.argmin(window))
    if window[best] > limit:
        return []
    apart = max(2, (hi - lo) // 5)
    window[max(0, best - apart) : best + apart + 1] = np.inf
    second = int(np.argmin(window))
    return [lo + best] + ([lo + second] if window[second] <= limit else [])


def _cuts(column_ink: np.ndarray, k: int, limit: float) -> list[list[int]]:
    """Return ways to cut into k parts: k - 1 columns, each at thin ink near where an even cut goes.

    First the thinnest column of every window, then each window's runner-up in its place.
    """
    bw = len(column_ink)
    if k == 2:
        windows = [(int(SPLIT_SEARCH[0] * bw), int(SPLIT_SEARCH[1] * bw))]
    else:
        pitch = bw / k
        windows = [(int((j - 0.3) * pitch), int((j + 0.3) * pitch) + 1) for j in range(1, k)]
    found = [_lowest(column_ink, lo, hi, limit) for lo, hi in windows]
    if not all(found):
        return []
    best = [cuts[0] for cuts in found]
    return [best] + [best[:j] + [c[1]] + best[j + 1 :] for j, c in enumerate(found) if len(c) > 1]


def _part(mask: np.ndarray, x0: int, x1: int) -> tuple[np.ndarray, int, int] | None:
    """Return the strokes of columns x0..x1 of `mask` trimmed to their box, with its origin.

    A small piece cut off at either edge is the tip of a neighbour's overlapping stroke and is
    left out; a part with no ink is None.
    """
    piece = np.ascontiguousarray(mask[:, x0:x1]).view(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(piece, connectivity=8)
    if n < 2:
        return None
    if n > 2:
        area = stats[1:, cv2.CC_STAT_AREA]
        left = stats[1:, cv2.CC_STAT_LEFT]
        at_cut = ((left == 0) & (x0 > 0)) | (
            (left + stats[1:, cv2.CC_STAT_WIDTH] == x1 - x0) & (x1 < mask.shape[1])
        )
        tip = at_cut & (area < NEIGHBOUR_TIP * area.sum())
        if tip.all():
            return None
        piece = (~np.concatenate([[True], tip]))[labels].view(np.uint8)
    x, y, w, h = cv2.boundingRect(piece)
    return piece[y : y + h, x : x + w].view(bool), x0 + x, y


def _parts(candidate: Candidate, cuts: list[int]) -> tuple[Candidate, ...]:
    mask, (bx, by, bw, bh) = candidate.mask, candidate.box
    out = []
    edges = [0, *cuts, bw]
    for x0, x1 in zip(edges, edges[1:], strict=False):
        part = _part(mask, x0, x1)
        if part is None or part[0].shape[0] < SPLIT_MIN_HEIGHT * bh:
            return ()  # a stroke's tail or foot, not a digit (the base of a wide 2)
        piece, x, y = part
        out.append(
            Candidate(piece, (bx + x, by + y, piece.shape[1], piece.shape[0]), stroke_width(piece))
        )
    return tuple(out)


def _is_one(mask: np.ndarray, bh: int) -> bool:
    """True when a part is a straight stroke top to bottom, as a 1 is.

    The cut edge of a 5 or a 3 has gaps between its strokes; that of a 0 or a 6 is an arc.
    """
    rows = mask.any(axis=1)
    if len(rows) < ONE_MIN_HEIGHT * bh or rows.mean() < ONE_MIN_ROWS:
        return False
    y = np.flatnonzero(rows).astype(np.float64)
    x = (mask[rows] * np.arange(mask.shape[1])).sum(axis=1) / mask[rows].sum(axis=1)
    # The least-squares line through the stroke's centres in closed form (np.polyfit costs
    # twice as much for the same line).
    y -= y.mean()
    x -= x.mean()
    bend = x - (float(y @ x) / max(float(y @ y), 1e-9)) * y
    return float(np.abs(bend).max()) <= ONE_MAX_BEND * len(rows)


def _one_beside(
    candidate: Candidate, column_ink: np.ndarray, limit: float
) -> tuple[tuple[Candidate, ...], ...]:
    """Return the ways a group too narrow for two digits may be one with a thin 1 at a side.

    Only the cuts that leave a part a 1 could be: a tall stroke at most ONE_MAX_WIDTH wide.
    """
    mask, (_, _, bw, bh) = candidate.mask, candidate.box
    lo, hi = max(1, int(ONE_MIN_WIDTH * bh)), int(ONE_MAX_WIDTH * bh) + 1
    if hi >= bw:
        return ()
    options = []
    for left, (a, b) in ((True, (lo, hi)), (False, (bw - hi, bw - lo))):
        strip = mask[:, :hi] if left else mask[:, bw - hi :]
        # Most digits' sides cross far fewer rows than a 1 does: no need to cut them to know.
        if np.count_nonzero(strip.any(axis=1)) < ONE_MIN_HEIGHT * ONE_MIN_ROWS * bh:
            continue
        cut = _lowest(column_ink, a, b, limit)[:1]
        # The 1 alone first: most sides of a digit fail it, and then the rest need not be cut.
        one = (_part(mask, 0, cut[0]) if left else _part(mask, cut[0], bw)) if cut else None
        if one is not None and one[0].shape[1] <= ONE_MAX_WIDTH * bh and _is_one(one[0], bh):
            parts = _parts(candidate, cut)
            options += [parts] if parts else []
    return tuple(options)


def split_options(candidate: Candidate, reads_unsure: bool) -> tuple[tuple[Candidate, ...], ...]:
    """Return the ways a wide candidate may be touching digits, the likeliest count first; () for none.

    Touching digits meet at a thin bridge or where their strokes cross; a wide single digit (a 0,
    a 4) has no column that thin where a cut would go, and no cut goes through a loop unless it
    `reads_unsure` as one (digits that overlap enclose paper between them; the halves of a 0
    read as digits). A group too narrow for two digits is offered only the cuts that leave a
    thin, straight 1 beside a digit. Whether the parts are digits is the classifier's call.
    """
    bw, bh = candidate.box[2], candidate.box[3]
    if bw < ONE_BESIDE_MIN_ASPECT * bh or bw < 4:
        return ()
    column_ink = np.count_nonzero(candidate.mask, axis=0)
    limit = SPLIT_MAX_CUT_INK * column_ink.max()
    if bw < (SPLIT_MIN_ASPECT if reads_unsure else SURE_SPLIT_MIN_ASPECT) * bh:
        return _one_beside(candidate, column_ink, limit)
    around_loops = column_ink.copy()
    around_loops[_loop_columns(candidate.mask)] = bh  # more ink than any cut may cross
    # Cuts through loops come after those around them, not instead: the thinnest columns of the
    # whole crop are often inside a loop (a 0's sides), and the bridge between digits is lost.
    inks = (around_loops, column_ink) if reads_unsure else (around_loops,)
    options, seen = [], set()
    for k in _counts(bw, bh):
        for ink in inks:
            for cuts in _cuts(ink, k, limit):
                parts = _parts(candidate, cuts) if tuple(cuts) not in seen else ()
                seen.add(tuple(cuts))
                if parts:
                    options.append(parts)
    return tuple(options)
