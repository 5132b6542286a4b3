"""The table's band along the frame edge: a digit whose strokes touch it is cut free of it.

Where the page does not fill the frame, the table beyond it is a band of ink along a side. A
digit touching the band is one component with it, and segmentation drops that component whole
as the page. Only a component so dropped, beside a kept piece as tall as a digit (the number's
other digits), is looked at again, and only in its box: the band's straight inner edge is
found, and if strokes stand off it as far as a digit does, the band is cut off there and what
stands off it is labelled again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import cv2
import numpy as np

# Of the frame side: a dropped piece running along at least this much of a side may be a band ...
BAND_MIN_SHARE = 0.5
# ... with something standing off it, when it fills less of its box than this (a band alone, or
# a wedge of the table where the page is turned, fills about half of it or more).
BAND_MAX_FILL = 0.45
# At work size: how far the band's inner edge may stray from a straight line (grain, a blur) ...
BAND_EDGE_PX = 2
BAND_STRAIGHT_SHARE = 0.75  # ... along this share of its length at least (a shadow's rim curves)
# At work size: a digit's least height (the default min_digit_height_px). Strokes stand this far
# off the band's edge to be one (its rough edge stands off less), and a piece this tall nearby.
DIGIT_MIN_PX = 10
FREED_MIN_AREA_PX = 40  # at work size: the fewest pixels standing off that may be a digit
# Of a kept piece's height: how near a band it stands to be a digit of a number that reaches it.
NEIGHBOUR_GAP = 0.5


def may_hold_digit(box: tuple[int, int, int, int], area: int, frame: tuple[int, int]) -> bool:
    """True when a dropped piece's box (x, y, w, h, in frame pixels) may be a band with a digit."""
    x, y, w, h = box
    h_img, w_img = frame
    along_side = (x == 0 or x + w == w_img) and h >= BAND_MIN_SHARE * h_img
    along_end = (y == 0 or y + h == h_img) and w >= BAND_MIN_SHARE * w_img
    return (along_side or along_end) and area < BAND_MAX_FILL * w * h


def _beside_piece(box: list[int], pieces: list[list[int]]) -> bool:
    """True when a kept piece's box (x, y, w, h), digit-tall, comes within NEIGHBOUR_GAP of its
    height of `box`.

    A number's digits stand close together: a band beside one of them may hold another. A lone
    band, on a blank page or far from the number, is not looked at again: what it could free
    there is more likely the table's grain or a shadow than a digit.
    """
    x, y, w, h = box
    for px, py, pw, ph in pieces:
        gap = max(px - (x + w), x - (px + pw), py - (y + h), y - (py + ph))
        if ph >= DIGIT_MIN_PX and gap <= NEIGHBOUR_GAP * ph:
            return True
    return False


def _orientations(
    box: tuple[int, int, int, int], frame: tuple[int, int]
) -> Iterator[tuple[Callable[[np.ndarray], np.ndarray], int, tuple[bool, bool, bool]]]:
    """Yield, per frame side the box touches, a view maker putting that side at column 0.

    With it: the frame length of that side, and whether the view's first row, last row and last
    column lie on the frame's sides (the band's ends in the frame's corners, the far side).
    """
    x, y, w, h = box
    h_img, w_img = frame
    ends = (y == 0, y + h == h_img)
    if x == 0:
        yield (lambda a: a), h_img, (*ends, x + w == w_img)
    if x + w == w_img:
        yield (lambda a: a[:, ::-1]), h_img, (*ends, x == 0)
    ends = (x == 0, x + w == w_img)
    if y == 0:
        yield (lambda a: a.T), w_img, (*ends, y + h == h_img)
    if y + h == h_img:
        yield (lambda a: a[::-1].T), w_img, (*ends, y == 0)


def _standing_off(
    view: np.ndarray, side_px: int, ends: tuple[bool, bool, bool]
) -> np.ndarray | None:
    """Return, per row of `view` (a band along column 0), the column the band is cut at.

    None when it is no straight band along `side_px` pixels of the frame's side, or nothing
    that may be a digit stands off it away from the corners `ends` says are the frame's.
    """
    rows = np.flatnonzero(view[:, 0])
    if rows.size < BAND_MIN_SHARE * side_px:
        return None
    first, last = int(rows[0]), int(rows[-1]) + 1
    band = view[first:last]
    width = band.shape[1]
    # Each row's run of ink from the edge (a row inked all across: the box's width) and its last
    # ink (-1 in a row without any).
    run = band.argmin(axis=1)
    run[(run == 0) & band[:, 0]] = width
    far = width - 1 - band[:, ::-1].argmax(axis=1)
    far[~band[np.arange(len(far)), far]] = -1
    # The edge: a line through the medians of the band's two halves, which a digit touching it
    # (it lengthens a few runs) does not move. Partitions: np.median costs several times more.
    half = len(run) // 2
    if half == 0:
        return None
    r0 = float(np.partition(run[:half], half // 2)[half // 2])
    r1 = float(np.partition(run[half:], (len(run) - half) // 2)[(len(run) - half) // 2])
    slope = (r1 - r0) / max(1, len(run) - half)
    nearest = min(r0 - slope * (half // 2), r0 + slope * (len(run) - 1 - half // 2))
    if int(far.max()) < nearest + BAND_EDGE_PX + DIGIT_MIN_PX:
        return None  # nothing reaches as far as a digit would stand off the band
    edge = r0 + slope * (np.arange(len(run)) - half // 2)
    cut = np.ceil(edge + BAND_EDGE_PX).astype(np.intp)
    reach = far - cut
    standing = reach >= DIGIT_MIN_PX
    # Strokes standing off at the band's ends in a corner are the page's rim on the next side.
    if ends[0] and first == 0 and standing[0]:
        standing[: np.argmin(standing) or len(standing)] = False
    if ends[1] and last == view.shape[0] and standing[-1]:
        tail = standing[::-1]
        tail[: np.argmin(tail) or len(tail)] = False
    # One stretch of rows must stand off as much as a digit: ruled lines ending on the band stand
    # off in rows of their own, each too thin for one.
    standing_px = np.cumsum(np.where(standing, reach + 1, 0))
    stretches = np.diff(standing_px[np.flatnonzero(~standing)], prepend=0, append=standing_px[-1])
    if stretches.max() < FREED_MIN_AREA_PX:
        return None
    if np.count_nonzero(np.abs(run - edge) <= BAND_EDGE_PX) < BAND_STRAIGHT_SHARE * len(run):
        return None
    out = np.full(view.shape[0], cut.min())  # past the band's ends only its remnants are cut
    out[first:last] = cut
    return out


def free_digits(
    labels: np.ndarray,
    stats: np.ndarray,
    bands: list[int],
    kept: list[int],
    strong: np.ndarray,
    origin: tuple[int, int],
    frame: tuple[int, int],
    min_area: int,
) -> np.ndarray:
    """Return the stats rows of the pieces freed from dropped `bands` beside `kept` labels.

    `labels` (with its `stats`) covers the box of the frame's ink at `origin` (x, y) of a frame
    of shape `frame`; freed pieces are given labels from len(stats) on, in place. A freed piece
    holds `strong` ink and `min_area` pixels, and stays off the frame edge.
    """
    near = stats[kept, :4].tolist()
    freed: list[list[int]] = []
    for i in bands:
        if _beside_piece(stats[i, :4].tolist(), near):
            freed += _free(
                labels,
                i,
                stats[i, :4].tolist(),
                strong,
                origin,
                frame,
                len(stats) + len(freed),
                min_area,
            )
    return np.array(freed, stats.dtype).reshape(-1, 5)


def _free(
    labels: np.ndarray,
    label: int,
    box: list[int],
    strong: np.ndarray,
    origin: tuple[int, int],
    frame: tuple[int, int],
    next_label: int,
    min_area: int,
) -> list[list[int]]:
    """Cut the band off the piece `label` (its box x, y, w, h) and return the pieces it frees."""
    x, y, w, h = box
    sub = labels[y : y + h, x : x + w]
    mask = sub == label
    sides = list(_orientations((x + origin[0], y + origin[1], w, h), frame))
    if not sides:
        return []
    orient, side_px, ends = max(sides, key=lambda s: np.count_nonzero(s[0](mask)[:, 0]))
    view = orient(mask)
    cut = _standing_off(view, side_px, ends)
    if cut is None:
        return []
    start = int(cut.min())
    off = np.ascontiguousarray(view[:, start:])
    off[np.arange(off.shape[1]) < (cut - start)[:, None]] = False
    n, pieces, stats = cv2.connectedComponentsWithStats(off.view(np.uint8), connectivity=8)[:3]
    region = orient(sub)[:, start:]
    strong_off = orient(strong[y : y + h, x : x + w])[:, start:]
    height, width = off.shape
    freed = []
    for k in range(1, n):
        vx, vy, vw, vh, area = stats[k].tolist()
        if area < min_area or vw < DIGIT_MIN_PX:
            continue
        if (
            (ends[0] and vy == 0)
            or (ends[1] and vy + vh == height)
            or (ends[2] and vx + vw == width)
        ):
            continue  # on the frame edge: part of the page after all
        where = pieces == k
        new = next_label + len(freed)
        if not strong_off[where].any() or new >= np.iinfo(labels.dtype).max:
            continue
        region[where] = new
        px, py, pw, ph = cv2.boundingRect((sub == new).view(np.uint8))
        freed.append([px + x, py + y, pw, ph, area])
    return freed
