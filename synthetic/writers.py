"""Imagined writers with a consistent, distinctive hand: frames to test learning one user's digits."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from synthetic.glyphs import draw_strokes
from synthetic.strokes import STROKES

Strokes = list[list[tuple[float, float]]]

# A continental hand: a 1 with a long rising flag (MNIST's 1s are bare sticks, so this one reads as
# 7), a 7 crossed by a bar, a 9 with a straight stem, a closed 4 and a 2 with a loop at its foot.
CONTINENTAL: dict[str, Strokes] = {
    "1": [[(0.0, 0.42), (0.4, 0.0), (0.4, 1.0)]],
    "2": [
        [
            (0.05, 0.22),
            (0.3, 0.0),
            (0.55, 0.2),
            (0.35, 0.6),
            (0.05, 0.95),
            (0.15, 0.8),
            (0.25, 0.95),
            (0.6, 0.97),
        ]
    ],
    "4": [[(0.42, 1.0), (0.42, 0.0), (0.0, 0.62), (0.6, 0.62)], [(0.42, 0.0), (0.55, 0.1)]],
    "7": [[(0.0, 0.18), (0.05, 0.0), (0.6, 0.0), (0.25, 1.0)], [(0.08, 0.5), (0.55, 0.5)]],
    "9": [[(0.55, 0.1), (0.3, 0.0), (0.05, 0.2), (0.3, 0.42), (0.55, 0.1), (0.55, 1.0)]],
}


@dataclass(frozen=True)
class Writer:
    """How one person writes: their digit shapes, slant, width and pen."""

    name: str
    shapes: dict[str, Strokes]  # overrides of the common STROKES skeletons
    slant: float  # x shift per unit height, right-leaning when positive
    widen: float  # x scale of the skeleton
    thickness_px: tuple[int, int]  # pen width range at GLYPH_RENDER_PX, end excluded


WRITERS: dict[str, Writer] = {
    "continental": Writer("continental", CONTINENTAL, slant=0.1, widen=1.0, thickness_px=(12, 18)),
    "slanted": Writer("slanted", {}, slant=0.75, widen=0.8, thickness_px=(8, 14)),
    "backhand": Writer(
        "backhand", {"1": CONTINENTAL["1"]}, slant=-0.55, widen=1.3, thickness_px=(16, 26)
    ),
}


def writer_glyph(digit: str, writer: Writer, rng: np.random.Generator) -> np.ndarray:
    """Return `digit` in `writer`'s hand as ink alpha (float32 [0, 1]), with small natural jitter."""
    strokes = writer.shapes.get(digit) or STROKES[digit][0]
    slant = writer.slant + rng.normal(0, 0.04)
    widen = writer.widen * rng.uniform(0.93, 1.07)
    thickness = int(rng.integers(*writer.thickness_px))
    return draw_strokes(strokes, rng, slant, widen, thickness, jitter=0.015, left=0.6)


def writer_frame(
    text: str, writer: Writer, rng: np.random.Generator, size: tuple[int, int] = (640, 480)
) -> np.ndarray:
    """Return a BGR uint8 frame of `text` in `writer`'s hand on lightly shaded paper."""
    width, height = size
    digit_h = int(rng.uniform(0.28, 0.4) * height)
    paper = np.full((height, width), rng.uniform(0.8, 0.95), np.float32)
    paper *= np.linspace(rng.uniform(0.85, 1.0), 1.0, width, dtype=np.float32)[None, :]
    alpha = np.zeros((height, width), np.float32)
    x = int(rng.uniform(0.05, 0.15) * width)
    y0 = int((height - digit_h) / 2)
    for ch in text:
        g = writer_glyph(ch, writer, rng)
        w = max(2, min(round(g.shape[1] * digit_h / g.shape[0]), width - x - 2))
        resized = cv2.resize(g, (w, digit_h), interpolation=cv2.INTER_AREA)
        y = int(np.clip(y0 + rng.normal(0, 0.03 * digit_h), 2, height - digit_h - 2))
        region = alpha[y : y + digit_h, x : x + w]
        np.maximum(region, resized[: region.shape[0], : region.shape[1]], out=region)
        x += w + int(digit_h * rng.uniform(0.25, 0.4))
    img = paper * (1 - alpha) + 0.12 * alpha
    img = img * 255.0 + rng.normal(0, 3.0, img.shape)
    gray = np.clip(img, 0, 255).astype(np.uint8)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
