"""Rejection: shape evidence that a candidate is paper texture, not a digit, and the "nothing here" rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import cv2
import numpy as np


class Evidence(NamedTuple):
    """What a candidate's shape says, at work size."""

    height_px: int
    width_px: int
    fill: float  # ink share of its box
    frame_share: float  # its height as a share of the frame's
    # Measured only when the fill is low (see evidence); unmeasured, a low fill is texture. A thin
    # pen's digit is one line with no long straight run; the crumbs a grid leaves are pieces, or straight.
    piece_share: float = 0.0  # the largest connected piece's share of its ink
    straight_span: float = 1.0  # longest ink row or column as a share of the box's side


# Of the stroke width: the band of paper around a candidate whose brightness is compared.
PAPER_RING_STROKES = 2.0
# A piece on the frame edge whose paper varies more than this share of its contrast is the rim
# of a shadow or of the page: digits cut by the edge stay below 2, rims reach 20 and more.
RIM_STEP = 4.0


def paper_step(
    mask: np.ndarray,
    box: tuple[int, int, int, int],
    gray: np.ndarray,
    dark_ink: bool,
    stroke_px: float,
) -> float:
    """Return the spread (10th to 90th percentile) of the paper around a candidate over its contrast.

    A stroke lies on even paper: the paper on both its sides is alike, and it is much darker.
    The rim of a shadow (or of the page) is a step in brightness: the paper on its two sides
    differs by more than the rim is darker than its darker side. (Light ink: brighter, lighter.)
    """
    x, y, w, h = box
    r = max(2, round(PAPER_RING_STROKES * stroke_px))
    x0, y0 = max(0, x - r), max(0, y - r)
    x1, y1 = min(gray.shape[1], x + w + r), min(gray.shape[0], y + h + r)
    strokes = np.zeros((y1 - y0, x1 - x0), np.uint8)
    strokes[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = mask
    near = cv2.dilate(strokes, np.ones((2 * r + 1, 2 * r + 1), np.uint8))
    ring = (near > 0) & (cv2.dilate(strokes, np.ones((3, 3), np.uint8)) == 0)
    patch = gray[y0:y1, x0:x1]
    paper = patch[ring]
    if paper.size == 0:
        return 0.0
    low, high = _quantiles(paper, (0.1, 0.9))
    (ink,) = _quantiles(patch[strokes > 0], (0.5,))
    contrast = low - ink if dark_ink else ink - high  # against the paper nearest its own shade
    return (high - low) / max(1.0, contrast)


def is_rim(step: float) -> bool:
    """True when a piece on the frame edge with this paper_step is a step in the paper, not ink."""
    return step > RIM_STEP


# Inside the page, a digit-shaped candidate whose paper varies more than this share of its
# contrast is a shadow's or a fold's rim: pen digits on even paper stay below 3, rims on blank
# pages reach 30 to 180. A digit lying across a hard shadow's edge can reach it too, and is
# then kept only by reading sure (REJECT_CONFIDENCE) or beside a digit on even paper.
INNER_RIM_STEP = 25.0


def is_inner_rim(step: float) -> bool:
    """True when a digit-shaped candidate with this paper_step is a rim in the paper, not ink."""
    return step > INNER_RIM_STEP


def _quantiles(values: np.ndarray, shares: tuple[float, ...]) -> list[float]:
    # A partial sort: several times faster than np.percentile on the few hundred pixels of a ring.
    ks = [min(len(values) - 1, int(q * len(values))) for q in shares]
    return [float(v) for v in np.partition(values, ks)[ks]]


def evidence(mask: np.ndarray, frame_height_px: int) -> Evidence:
    """Return the Evidence of a candidate's stroke mask (its box's size) in a frame this tall."""
    h, w = mask.shape
    ink = mask.view(np.uint8)
    filled = cv2.countNonZero(ink)
    fill = filled / max(1, h * w)
    if fill >= TEXTURE_FILL or filled == 0:
        return Evidence(h, w, fill, h / frame_height_px)
    areas = cv2.connectedComponentsWithStats(ink, connectivity=8)[2][1:, cv2.CC_STAT_AREA]
    straight = max(mask.sum(axis=1).max() / w, mask.sum(axis=0).max() / h)
    return Evidence(h, w, fill, h / frame_height_px, areas.max() / filled, float(straight))


# Of min_digit_height_px: shorter is grain or a grid's crumb, seldom a digit.
SMALL_DIGIT_HEIGHTS = 2.0
TEXTURE_FILL = 0.08  # ink share of the box below which a candidate is scattered texture ...
PEN_LINE_PIECE = 0.9  # ... unless its largest piece holds this share of its ink (one pen line)
PEN_LINE_MAX_STRAIGHT = 0.8  # ... with no ink row or column this long (a ruling's remains)
PAGE_SHARE = 0.75  # of the frame height: a candidate this tall is the page (a shadow, a fold)
# A frame whose every candidate is suspect reads "" unless one of them reads at least this sure:
# blank-paper texture reads up to about 0.96 with a label-smoothed model, real digits seldom look suspect.
REJECT_CONFIDENCE = 0.97
HAIR_WIDTH_PX = 1  # at work size: a stroke this narrow is a grid line's crumb or a hair


def is_suspect(e: Evidence, min_digit_height_px: int) -> bool:
    """True when a candidate's shape looks like paper texture: tiny, scattered or page-sized.

    Not thinness, but for a hair: a thin 1 is as narrow as a shadow edge's sliver (slivers are
    caught by size), while a stroke one pixel wide at work size is what a fine grid leaves.
    A faint ballpoint's digit fills less of its box than texture does, but it is one curved line.
    """
    pen_line = e.piece_share >= PEN_LINE_PIECE and e.straight_span < PEN_LINE_MAX_STRAIGHT
    return (
        e.height_px < SMALL_DIGIT_HEIGHTS * min_digit_height_px
        or (e.fill < TEXTURE_FILL and not pen_line)
        or e.frame_share > PAGE_SHARE
        or e.width_px <= HAIR_WIDTH_PX
    )


def nothing_here(confidences: list[float], textures: Iterable[bool]) -> bool:
    """True when none of a frame's candidates reads sure and all of them look like paper texture.

    `textures` is read only as far as needed, and not at all when a digit reads sure: telling a
    rim from ink costs more than reading it.
    """
    return max(confidences, default=0.0) < REJECT_CONFIDENCE and all(textures)
