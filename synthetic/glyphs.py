"""Digit glyphs as ink alpha (float32 [0, 1]): MNIST test digits, pen-stroke skeletons, Hershey fonts.

Fonts are kept only for MNIST-free plumbing tests (golden images, web page): never train or tune on them.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from synthetic.strokes import STROKES
from train.mnist_idx import load_idx_folder

GLYPH_RENDER_PX = 200  # digits are drawn this tall, then resized: antialiased strokes
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
)


def catmull_rom(points: np.ndarray, samples: int = 12) -> np.ndarray:
    """Return a smooth curve through `points` (K, 2)."""
    if len(points) < 3:
        return points
    p = np.vstack([points[0], points, points[-1]])
    t = np.linspace(0, 1, samples, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
            )
        )
    out.append(points[-1:])
    return np.vstack(out)


def crop_to_ink(alpha: np.ndarray) -> np.ndarray:
    """Return `alpha` cropped to the box of its ink (all of it when there is none)."""
    ys, xs = np.nonzero(alpha > 0.05)
    if len(ys) == 0:
        return alpha
    return alpha[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def draw_strokes(
    strokes,
    rng: np.random.Generator,
    slant: float,
    widen: float,
    thickness: int,
    jitter: float,
    left: float = 0.4,
) -> np.ndarray:
    """Return the pen `strokes` (unit-square polylines) drawn as ink alpha (float32 [0, 1]).

    Each point moves by `jitter` (share of the digit height), the digit leans by `slant` and widens
    by `widen`; drawn GLYPH_RENDER_PX tall with a `thickness`-pixel pen, `left` of a height in.
    """
    size = GLYPH_RENDER_PX
    canvas = np.zeros((size * 2, size * 2), np.uint8)
    for stroke in strokes:
        pts = np.array(stroke, np.float64) + rng.normal(0, jitter, (len(stroke), 2))
        curve = catmull_rom(pts)
        x = (curve[:, 0] * widen + slant * (1 - curve[:, 1])) * size + size * left
        y = curve[:, 1] * size + size * 0.4
        poly = np.round(np.stack([x, y], 1) * 16).astype(np.int32)
        cv2.polylines(canvas, [poly], False, 255, thickness, cv2.LINE_AA, shift=4)
    return crop_to_ink(canvas.astype(np.float32) / 255.0)


def stroke_glyph(digit: str, rng: np.random.Generator) -> np.ndarray:
    """Return a pen-drawn `digit` as ink alpha (float32 [0, 1]), jittered, slanted, pen or marker."""
    variants = STROKES[digit]
    strokes = variants[rng.integers(len(variants))]
    slant = rng.uniform(-0.25, 0.3)
    widen = rng.uniform(0.8, 1.25)
    thickness = int(rng.choice([rng.integers(5, 10), rng.integers(10, 18), rng.integers(18, 28)]))
    return draw_strokes(strokes, rng, slant, widen, thickness, jitter=0.025)


def font_glyph(digit: str, rng: np.random.Generator) -> np.ndarray:
    """Return `digit` in a random Hershey font (sometimes italic), thin like a pen or bold like a marker."""
    font = int(rng.choice(FONTS))
    if rng.random() < 0.3:
        font |= cv2.FONT_ITALIC
    scale = cv2.getFontScaleFromHeight(font, GLYPH_RENDER_PX)
    # OpenCV 5 draws these ids with a built-in outline font where thickness means weight.
    thickness = int(rng.choice([2, 3, 5, 8, 12, 18, 24]))
    canvas = np.zeros((GLYPH_RENDER_PX * 2, GLYPH_RENDER_PX * 2), np.uint8)
    org = (GLYPH_RENDER_PX // 2, int(GLYPH_RENDER_PX * 1.5))
    cv2.putText(canvas, digit, org, font, scale, 255, thickness, cv2.LINE_AA)
    if rng.random() < 0.3:  # a felt pen: rounder and fatter than the font
        canvas = cv2.dilate(canvas, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    return crop_to_ink(canvas.astype(np.float32) / 255.0)


class MnistDigits:
    """Handwritten digits from the MNIST *test* split, by label (white on black -> ink alpha)."""

    def __init__(self, data_dir: str | os.PathLike) -> None:
        data = load_idx_folder(data_dir)
        self.images = data.x_test
        self.by_label = {str(d): np.flatnonzero(data.y_test == d) for d in range(10)}

    def glyph(self, digit: str, rng: np.random.Generator) -> np.ndarray:
        image = self.images[rng.choice(self.by_label[digit])].astype(np.float32) / 255.0
        return crop_to_ink(image)
