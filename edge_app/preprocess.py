"""From a camera frame to MNIST-like 28x28 digit crops: the ink map, segmentation and normalisation in one call."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from edge_app.ink import (
    INK_MAX,
    clip_roi,
    coarse_cells,
    detect_dark_ink,
    has_paper_step_near,
    ink_map,
    paper_cells,
    to_gray,
    work_gray,
)
from edge_app.normalize import normalize_digit, stroke_width
from edge_app.options import DEFAULT_OPTIONS, ReaderOptions
from edge_app.reject import Evidence, evidence, paper_step
from edge_app.runtime import IMAGE_SIZE_PX
from edge_app.segment import Candidate, find_digit_boxes
from edge_app.split import split_options
from edge_app.threshold import MIN_INK_THRESHOLD, stroke_threshold

__all__ = [
    "IMAGE_SIZE_PX",
    "INK_MAX",
    "MIN_INK_THRESHOLD",
    "Candidate",
    "DigitCrop",
    "clip_roi",
    "coarse_cells",
    "detect_dark_ink",
    "extract_digits",
    "find_digit_boxes",
    "ink_map",
    "normalize_digit",
    "stroke_threshold",
    "stroke_width",
    "to_gray",
    "work_gray",
]


@dataclass(frozen=True)
class DigitCrop:
    """One digit ready for the classifier."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], white on black
    box: tuple[int, int, int, int]  # x, y, w, h in original frame pixels
    # The ways it may be touching digits instead, each a tuple of parts, made on demand (the reader
    # asks only for crops that read unsure or are wide), cutting through loops if asked (see
    # edge_app.split); () when it has nowhere thin to cut.
    split: Callable[[bool], tuple[tuple[DigitCrop, ...], ...]] | None = None
    # What its shape says (see edge_app.reject), worked out when first asked: the reader asks it
    # of whole candidates only, never of the parts of a cut.
    shape_evidence: Callable[[], Evidence] | None = field(default=None, repr=False)

    # Its paper_step (see edge_app.reject) where a step of the paper level (a hard shadow's
    # edge, a fold) lies near it, else 0.0 unmeasured: on even paper it cannot be a rim.
    rim_step: Callable[[], float] | None = field(default=None, repr=False)

    @functools.cached_property
    def evidence(self) -> Evidence | None:
        """What its shape says (see edge_app.reject), or None when unknown."""
        return None if self.shape_evidence is None else self.shape_evidence()


def extract_digits(frame: np.ndarray, options: ReaderOptions = DEFAULT_OPTIONS) -> list[DigitCrop]:
    """Return the digits of `frame` (any uint8 image) as MNIST-like crops, left to right."""
    image = np.asarray(frame)
    if image.ndim not in (2, 3):
        raise ValueError(f"expected a 2-D, BGR or BGRA frame, got shape {image.shape}")
    rx, ry, rw, rh = clip_roi(options.roi, image.shape)
    if rw < 2 or rh < 2:
        return []
    # Crop first: no work outside the ROI.
    gray, scale = work_gray(image[ry : ry + rh, rx : rx + rw], options.work_size_px)
    cells = coarse_cells(gray)
    if options.polarity == "auto":
        dark_ink = detect_dark_ink(gray, cells)
    else:
        dark_ink = options.polarity == "dark-on-light"
    paper = paper_cells(cells, dark_ink)
    ink = ink_map(gray, dark_ink, cells, paper)
    threshold = stroke_threshold(ink, options.ink_threshold)

    # The ways of cutting a wide candidate share parts (a 3-way cut and a 2-way cut at the same
    # first column): each distinct part is normalised once. Box and strokes fix the whole crop.
    made: dict[tuple, DigitCrop] = {}

    def part_crop(candidate: Candidate) -> DigitCrop:
        key = (candidate.box, candidate.mask.shape, candidate.mask.tobytes())
        if key not in made:
            made[key] = new_crop(candidate)
        return made[key]

    def new_crop(candidate: Candidate) -> DigitCrop:
        x, y, w, h = candidate.box
        digit = normalize_digit(ink[y : y + h, x : x + w], candidate.mask, candidate.stroke_px)
        bx, by = rx + int(x / scale), ry + int(y / scale)
        bw = max(1, min(math.ceil((x + w) / scale) + rx, rx + rw) - bx)
        bh = max(1, min(math.ceil((y + h) / scale) + ry, ry + rh) - by)
        return DigitCrop(
            digit,
            (bx, by, bw, bh),
            lambda through_loops: tuple(
                tuple(part_crop(p) for p in parts)
                for parts in split_options(candidate, through_loops)
            ),
            lambda: evidence(candidate.mask, gray.shape[0]),
            lambda: rim_step(candidate),
        )

    def rim_step(candidate: Candidate) -> float:
        if not has_paper_step_near(paper, gray.shape, candidate.box):
            return 0.0  # the cheap test: no measuring on even paper
        mask = candidate.mask.view(np.uint8)
        return paper_step(mask, candidate.box, gray, dark_ink, candidate.stroke_px)

    return [new_crop(c) for c in find_digit_boxes(ink, threshold, options, (gray, dark_ink))]
