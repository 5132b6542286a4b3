"""Rejection: shape evidence that a candidate is paper texture, not a digit, and the "nothing here" rule."""

from __future__ import annotations

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


def is_suspect(e: Evidence, min_digit_height_px: int) -> bool:
    """True when a candidate's shape looks like paper texture: tiny, scattered or page-sized.

    Not thinness: a thin 1 is as narrow as a shadow edge's sliver (slivers are caught by size).
    A faint ballpoint's digit fills less of its box than texture does, but it is one curved line.
    """
    pen_line = e.piece_share >= PEN_LINE_PIECE and e.straight_span < PEN_LINE_MAX_STRAIGHT
    return (
        e.height_px < SMALL_DIGIT_HEIGHTS * min_digit_height_px
        or (e.fill < TEXTURE_FILL and not pen_line)
        or e.frame_share > PAGE_SHARE
    )


def nothing_here(confidences: list[float], suspects: list[bool]) -> bool:
    """True when a frame's candidates are all suspect and none reads sure: it shows no number."""
    return all(suspects) and max(confidences, default=0.0) < REJECT_CONFIDENCE
