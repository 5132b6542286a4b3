"""Camera-like test frames: handwritten, font and pen-stroke digits on unevenly lit, warped, noisy paper."""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

from synthetic.strokes import STROKES
from train.mnist_idx import load_idx_folder

FRAME_SIZE_PX = (640, 480)  # width, height of a VGA webcam frame
GLYPH_RENDER_PX = 200  # digits are drawn this tall, then resized: antialiased strokes
JPEG_QUALITY_RANGE = (35, 92)  # per-frame webcam JPEG quality, blocky to clean (end excluded)
STYLES = ("mnist", "font", "stroke")
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
)


@dataclass(frozen=True)
class SceneOptions:
    """How hard the generated frames are."""

    size: tuple[int, int] = FRAME_SIZE_PX  # width, height
    no_digit_fraction: float = 0.15  # share of frames with no digit at all
    invert_fraction: float = 0.08  # share of light-on-dark frames (chalk on a board, dark mode)
    max_digits: int = 4
    styles: tuple[str, ...] = STYLES


DEFAULT_SCENE = SceneOptions()


def _catmull_rom(points: np.ndarray, samples: int = 12) -> np.ndarray:
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


def _crop_to_ink(alpha: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(alpha > 0.05)
    if len(ys) == 0:
        return alpha
    return alpha[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def stroke_glyph(digit: str, rng: np.random.Generator) -> np.ndarray:
    """Return a pen-drawn `digit` as ink alpha (float32 [0, 1]), jittered, slanted, pen or marker."""
    variants = STROKES[digit]
    strokes = variants[rng.integers(len(variants))]
    size = GLYPH_RENDER_PX
    slant = rng.uniform(-0.25, 0.3)
    widen = rng.uniform(0.8, 1.25)
    thickness = int(rng.choice([rng.integers(5, 10), rng.integers(10, 18), rng.integers(18, 28)]))
    canvas = np.zeros((size * 2, size * 2), np.uint8)
    for stroke in strokes:
        pts = np.array(stroke, np.float64) + rng.normal(0, 0.025, (len(stroke), 2))
        curve = _catmull_rom(pts)
        x = (curve[:, 0] * widen + slant * (1 - curve[:, 1])) * size + size * 0.4
        y = curve[:, 1] * size + size * 0.4
        poly = np.round(np.stack([x, y], 1) * 16).astype(np.int32)
        cv2.polylines(canvas, [poly], False, 255, thickness, cv2.LINE_AA, shift=4)
    return _crop_to_ink(canvas.astype(np.float32) / 255.0)


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
    return _crop_to_ink(canvas.astype(np.float32) / 255.0)


class MnistDigits:
    """Handwritten digits from the MNIST *test* split, by label (white on black -> ink alpha)."""

    def __init__(self, data_dir: str | os.PathLike) -> None:
        data = load_idx_folder(data_dir)
        self.images = data.x_test
        self.by_label = {str(d): np.flatnonzero(data.y_test == d) for d in range(10)}

    def glyph(self, digit: str, rng: np.random.Generator) -> np.ndarray:
        image = self.images[rng.choice(self.by_label[digit])].astype(np.float32) / 255.0
        return _crop_to_ink(image)


def _paper(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Return an off-white page (float32 BGR [0, 1]) with a lighting gradient and vignette."""
    tint = rng.uniform(0.86, 0.98) - np.array([rng.uniform(0, 0.06), rng.uniform(0, 0.03), 0.0])
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    xx, yy = xx / width - 0.5, yy / height - 0.5
    gx, gy = rng.uniform(-0.5, 0.5, 2)
    light = 1.0 + gx * xx + gy * yy
    cx, cy = rng.uniform(-0.4, 0.4, 2)
    light -= rng.uniform(0.0, 0.6) * ((xx - cx) ** 2 + (yy - cy) ** 2)
    light = np.clip(light, 0.35, 1.2) * rng.uniform(0.55, 1.0)
    return (light[..., None] * tint[None, None, :]).astype(np.float32)


def _place_row(glyphs: list[np.ndarray], rng, width: int, height: int) -> list[tuple]:
    """Return [(alpha, x, y)] laying the glyphs out left to right with gaps, inside the frame."""
    n = len(glyphs)
    max_h = min(0.55 * height, (0.85 * width) / max(1e-6, sum(0.85 for _ in glyphs) + 0.35 * n))
    digit_h = rng.uniform(min(45.0, max_h), max_h)
    sized, total = [], 0.0
    for g in glyphs:
        h = digit_h * rng.uniform(0.9, 1.1)
        w = max(2, round(g.shape[1] * h / g.shape[0]))
        w = min(w, int(0.95 * h))  # fonts like 4 or 0 can be wide: keep digits taller than wide
        alpha = cv2.resize(g, (w, round(h)), interpolation=cv2.INTER_AREA)
        gap = digit_h * rng.uniform(0.2, 0.45)
        sized.append((alpha, gap))
        total += w + gap
    x = rng.uniform(0.05 * width, max(0.05 * width + 1, width * 0.95 - total))
    y_mid = rng.uniform(0.3 * height, 0.7 * height)
    placed = []
    for alpha, gap in sized:
        y = int(
            np.clip(
                y_mid - alpha.shape[0] / 2 + rng.normal(0, 0.04 * digit_h),
                2,
                height - alpha.shape[0] - 2,
            )
        )
        xi = int(min(x, width - alpha.shape[1] - 2))
        placed.append((alpha, xi, y))
        x += alpha.shape[1] + gap
    return placed


def make_frame(
    text: str,
    rng: np.random.Generator,
    options: SceneOptions = DEFAULT_SCENE,
    mnist: MnistDigits | None = None,
) -> tuple[np.ndarray, str]:
    """Return (BGR uint8 frame showing `text` like a camera would, the text it shows).

    Each digit is drawn in a random style: an MNIST test digit (when `mnist` is given), a Hershey
    font glyph, or a pen-stroke skeleton. "" gives a page with no digit (but maybe specks).
    """
    jpeg, text = make_frame_jpeg(text, rng, options, mnist)
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR), text


def make_frame_jpeg(
    text: str,
    rng: np.random.Generator,
    options: SceneOptions = DEFAULT_SCENE,
    mnist: MnistDigits | None = None,
) -> tuple[np.ndarray, str]:
    """Return (the frame of `make_frame` as the JPEG bytes a webcam would send, the text it shows).

    The same random draws as make_frame, so a seed gives the same picture either way.
    """
    width, height = options.size
    styles = [s for s in options.styles if s != "mnist" or mnist is not None]
    page = _paper(rng, width, height)
    ink_color = rng.choice(
        [[0.12, 0.1, 0.1], [0.45, 0.2, 0.12], [0.1, 0.1, 0.35], [0.25, 0.25, 0.25]]
    ) * rng.uniform(0.6, 1.2)
    alpha_page = np.zeros((height, width), np.float32)
    glyphs = []
    for ch in text:
        style = styles[rng.integers(len(styles))]
        if style == "mnist":
            glyphs.append(mnist.glyph(ch, rng))
        elif style == "font":
            glyphs.append(font_glyph(ch, rng))
        else:
            glyphs.append(stroke_glyph(ch, rng))
    for alpha, x, y in _place_row(glyphs, rng, width, height) if glyphs else []:
        h, w = alpha.shape
        region = alpha_page[y : y + h, x : x + w]
        np.maximum(region, alpha[: region.shape[0], : region.shape[1]], out=region)
    for _ in range(rng.integers(0, 6)):  # dust and pen specks: never a digit
        cx, cy = int(rng.integers(0, width)), int(rng.integers(0, height))
        cv2.circle(alpha_page, (cx, cy), int(rng.integers(1, 3)), float(rng.uniform(0.3, 0.9)), -1)
    alpha_page *= rng.uniform(0.75, 1.0)
    img = page * (1 - alpha_page[..., None]) + ink_color[None, None, :] * alpha_page[..., None]
    if rng.random() < 0.15:  # the table beyond the page edge
        edge = int(rng.integers(10, 60))
        side = rng.integers(4)
        dark = rng.uniform(0.05, 0.3)
        if side == 0:
            img[:, :edge] = dark
        elif side == 1:
            img[:, -edge:] = dark
        elif side == 2:
            img[:edge] = dark
        else:
            img[-edge:] = dark
    src = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    dst = (src + rng.uniform(-0.05, 0.05, (4, 2)) * [width, height]).astype(np.float32)
    img = cv2.warpPerspective(
        img, cv2.getPerspectiveTransform(src, dst), (width, height), borderMode=cv2.BORDER_REPLICATE
    )
    sigma = rng.uniform(0.0, 1.6)
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img = img * 255.0 + rng.normal(0, rng.uniform(1.0, 7.0), img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < options.invert_fraction:
        img = 255 - img
    quality = int(rng.integers(*JPEG_QUALITY_RANGE))
    ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # OpenCV only fails here on an impossible image; say so rather than write garbage
        raise RuntimeError(f"OpenCV could not JPEG-encode a {img.shape} frame")
    return jpeg, text


def random_text(rng: np.random.Generator, options: SceneOptions = DEFAULT_SCENE) -> str:
    """Return a random number of 1..max_digits digits, or "" for a no-digit frame."""
    if rng.random() < options.no_digit_fraction:
        return ""
    n = int(rng.integers(1, options.max_digits + 1))
    return "".join(str(d) for d in rng.integers(0, 10, n))
