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


def evidence(mask: np.ndarray, frame_height_px: int) -> Evidence:
    """Return the Evidence of a candidate's stroke mask (its box's size) in a frame this tall."""
    h, w = mask.shape
    fill = cv2.countNonZero(mask.view(np.uint8)) / max(1, h * w)
    return Evidence(h, w, fill, h / frame_height_px)


# Of min_digit_height_px: shorter is grain or a grid's crumb, seldom a digit.
SMALL_DIGIT_HEIGHTS = 2.0
TEXTURE_FILL = 0.08  # ink share of the box below which a candidate is scattered texture
PAGE_SHARE = 0.75  # of the frame height: a candidate this tall is the page (a shadow, a fold)
# A frame whose every candidate is suspect reads "" unless one of them reads at least this sure:
# blank-paper texture reads up to about 0.96 with a label-smoothed model, real digits seldom look suspect.
REJECT_CONFIDENCE = 0.97


def is_suspect(e: Evidence, min_digit_height_px: int) -> bool:
    """True when a candidate's shape looks like paper texture: tiny, scattered or page-sized.

    Not thinness: a thin 1 is as narrow as a shadow edge's sliver (slivers are caught by size).
    """
    return (
        e.height_px < SMALL_DIGIT_HEIGHTS * min_digit_height_px
        or e.fill < TEXTURE_FILL
        or e.frame_share > PAGE_SHARE
    )


def nothing_here(confidences: list[float], suspects: list[bool]) -> bool:
    """True when a frame's candidates are all suspect and none reads sure: it shows no number."""
    return all(suspects) and max(confidences, default=0.0) < REJECT_CONFIDENCE
