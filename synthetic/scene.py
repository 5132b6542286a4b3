"""Camera-like test frames: handwritten and pen-stroke digits on unevenly lit, warped, noisy paper.

Each frame also draws a few real-photo conditions (synthetic.conditions) and says which.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from synthetic import conditions as C
from synthetic.glyphs import MnistDigits, crop_to_ink, font_glyph, stroke_glyph

FRAME_SIZE_PX = (640, 480)  # width, height of a VGA webcam frame
JPEG_QUALITY_RANGE = (35, 92)  # per-frame webcam JPEG quality, blocky to clean (end excluded)
STYLES = ("mnist", "stroke", "font")
DEFAULT_STYLES = ("mnist", "stroke")  # fonts are for MNIST-free plumbing tests only
INVERTED = "inverted"  # recorded beside the conditions: light ink on a dark page
WARP_FRACTION = 0.05  # perspective: corners move up to this share of the frame
EDGE_WARP_FRACTION = 0.01  # ... and only this much when a digit sits on the frame edge


@dataclass(frozen=True)
class SceneOptions:
    """How hard the generated frames are."""

    size: tuple[int, int] = FRAME_SIZE_PX  # width, height
    no_digit_fraction: float = 0.15  # share of frames with no digit at all
    invert_fraction: float = 0.08  # share of light-on-dark frames (chalk on a board, dark mode)
    max_digits: int = 4
    styles: tuple[str, ...] = DEFAULT_STYLES
    conditions: tuple[str, ...] = C.CONDITIONS  # which may appear, each in its share of frames


DEFAULT_SCENE = SceneOptions()


@dataclass(frozen=True)
class SyntheticFrame:
    """One generated frame: the webcam JPEG, the text it shows, the conditions it was drawn with."""

    jpeg: np.ndarray
    text: str
    conditions: tuple[str, ...]


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


def _rule_paper(page: np.ndarray, rng: np.random.Generator, conditions: list[str]) -> None:
    """Draw squared or ruled lines (grey or blue) on the page, under the ink."""
    colour = np.array([(1.0, 1.0, 1.0), (0.35, 0.8, 1.0)][rng.integers(2)], np.float32)
    darkness = colour * rng.uniform(0.12, 0.35)
    if "squared_paper" in conditions:
        step = int(rng.integers(18, 41))
        offset = (int(rng.integers(step)), int(rng.integers(step)))
        C.squared_grid(page, step, darkness, offset)
    if "ruled_paper" in conditions:
        step = int(rng.integers(28, 61))
        C.ruled_lines(page, step, darkness, int(rng.integers(step)))


def _glyph(ch: str, style: str, rng, mnist: MnistDigits | None, soft: bool) -> np.ndarray:
    if style == "mnist":
        glyph = mnist.glyph(ch, rng)
    elif style == "font":
        glyph = font_glyph(ch, rng)
    else:
        glyph = stroke_glyph(ch, rng)
    if soft:  # the digit as a 16x16 scan shows it, upscaled
        glyph = crop_to_ink(C.low_resolution(glyph, 16, rng.uniform(0.03, 0.1)))
    return glyph


def _place_row(
    glyphs, rng, width: int, height: int, conditions: list[str], small: int
) -> list[tuple]:
    """Return [(alpha, x, y)] laying the glyphs out left to right (x, y may reach past the frame).

    Glyph `small` (-1: none) is drawn about half as tall as the others, on their baseline.
    """
    n = len(glyphs)
    max_h = min(0.55 * height, (0.85 * width) / max(1e-6, 1.2 * n))
    digit_h = rng.uniform(min(45.0, max_h), max_h)
    gaps = (-0.15, 0.0) if "touching" in conditions else (0.2, 0.45)
    sized = []
    for i, g in enumerate(glyphs):
        h = digit_h * rng.uniform(0.9, 1.1) * (rng.uniform(0.4, 0.6) if i == small else 1.0)
        w = max(2, round(g.shape[1] * h / g.shape[0]))
        w = min(w, int(0.95 * h))  # keep digits taller than wide, as people write them
        sized.append(
            (
                cv2.resize(g, (w, round(h)), interpolation=cv2.INTER_AREA),
                digit_h * rng.uniform(*gaps),
            )
        )
    total = sum(a.shape[1] + gap for a, gap in sized) - sized[-1][1]
    x = rng.uniform(0.05 * width, max(0.05 * width + 1, width * 0.95 - total))
    y_mid = rng.uniform(0.3 * height, 0.7 * height)
    edge, past = None, 0.0
    if "frame_edge" in conditions:  # up to 8% of a digit past the edge, or a few pixels short
        edge, past = ("left", "right", "top", "bottom")[rng.integers(4)], rng.uniform(-0.04, 0.08)
        x = {"left": -past * digit_h, "right": width - total + past * digit_h}.get(edge, x)
    bottom = y_mid + digit_h / 2
    placed = []
    for i, (alpha, gap) in enumerate(sized):
        h = alpha.shape[0]
        y = (bottom - h if i == small else y_mid - h / 2) + rng.normal(0, 0.04 * digit_h)
        if edge == "top":
            y = -past * h
        elif edge == "bottom":
            y = height - h + past * h
        else:
            y = np.clip(y, 2, height - h - 2)
        if edge not in ("left", "right"):
            x = min(x, width - alpha.shape[1] - 2)
        placed.append((alpha, int(x), int(y)))
        x += alpha.shape[1] + gap
    return placed


def _paste_max(page: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    """Merge `alpha` into `page` at (x, y) by maximum, clipped at the frame edge."""
    h, w = alpha.shape
    y0, x0 = max(0, y), max(0, x)
    y1, x1 = min(page.shape[0], y + h), min(page.shape[1], x + w)
    if y1 > y0 and x1 > x0:
        region = page[y0:y1, x0:x1]
        np.maximum(region, alpha[y0 - y : y1 - y, x0 - x : x1 - x], out=region)


def _table_edge(img: np.ndarray, rng: np.random.Generator) -> None:
    """The table beyond the page edge: a dark band along one side."""
    edge, dark = int(rng.integers(10, 60)), rng.uniform(0.05, 0.3)
    side = rng.integers(4)
    band = [np.s_[:, :edge], np.s_[:, -edge:], np.s_[:edge], np.s_[-edge:]][side]
    img[band] = dark


def make_frame(
    text: str,
    rng: np.random.Generator,
    options: SceneOptions = DEFAULT_SCENE,
    mnist: MnistDigits | None = None,
) -> tuple[np.ndarray, str]:
    """Return (BGR uint8 frame showing `text` like a camera would, the text it shows).

    Each digit is drawn in a random style: an MNIST test digit (when `mnist` is given) or a
    pen-stroke skeleton (or a font glyph if asked). "" gives a page with no digit (maybe specks).
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
    frame = draw_frame(text, rng, options, mnist)
    return frame.jpeg, frame.text


def draw_frame(
    text: str,
    rng: np.random.Generator,
    options: SceneOptions = DEFAULT_SCENE,
    mnist: MnistDigits | None = None,
) -> SyntheticFrame:
    """Return the SyntheticFrame showing `text`: make_frame_jpeg's picture and its conditions."""
    width, height = options.size
    styles = [s for s in options.styles if s != "mnist" or mnist is not None]
    if not styles:
        raise ValueError("no digit style left: the mnist style needs MNIST digits")
    conditions = C.pick_conditions(rng, options.conditions, text)
    page = _paper(rng, width, height)
    if "yellow_paper" in conditions:
        C.yellow_tint(page, rng)
    _rule_paper(page, rng, conditions)
    ink = next(c for c in conditions if c in C.INKS)
    ink_color = np.minimum(np.array(C.INKS[ink][0]) * rng.uniform(0.7, 1.1), 1.0)
    alpha_page = np.zeros((height, width), np.float32)
    soft = "soft_thick" in conditions
    glyphs = [_glyph(ch, styles[rng.integers(len(styles))], rng, mnist, soft) for ch in text]
    small = -1
    if "small_beside_tall" in conditions:  # a small 1 is only a tick: shrink a rounder digit
        candidates = [i for i, ch in enumerate(text) if ch != "1"] or [0]
        small = candidates[rng.integers(len(candidates))]
    faint = "faint_pen" in conditions
    pen_px = rng.uniform(1.5, 3.0)  # a ballpoint's line on a VGA frame
    for alpha, x, y in _place_row(glyphs, rng, width, height, conditions, small) if text else []:
        _paste_max(alpha_page, C.pen_line(alpha, pen_px) if faint else alpha, x, y)
    for _ in range(rng.integers(0, 6)):  # dust and pen specks: never a digit
        cx, cy = int(rng.integers(0, width)), int(rng.integers(0, height))
        cv2.circle(alpha_page, (cx, cy), int(rng.integers(1, 3)), float(rng.uniform(0.3, 0.9)), -1)
    alpha_page *= rng.uniform(0.75, 1.0)
    if faint:  # a ballpoint pressed lightly: about half the contrast
        alpha_page *= rng.uniform(0.45, 0.7)
    img = page * (1 - alpha_page[..., None]) + ink_color[None, None, :] * alpha_page[..., None]
    if "hard_shadow" in conditions:
        x_px, angle = rng.uniform(0.15, 0.85) * width, rng.uniform(0, 360)
        C.hard_shadow(img, x_px, rng.uniform(0.35, 0.65), rng.uniform(2, 20), angle)
    on_edge = "frame_edge" in conditions
    if rng.random() < 0.15 and not on_edge:  # a band would hide the digit on the edge
        _table_edge(img, rng)
    warp = EDGE_WARP_FRACTION if on_edge else WARP_FRACTION
    src = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    dst = (src + rng.uniform(-warp, warp, (4, 2)) * [width, height]).astype(np.float32)
    img = cv2.warpPerspective(
        img, cv2.getPerspectiveTransform(src, dst), (width, height), borderMode=cv2.BORDER_REPLICATE
    )
    sigma = rng.uniform(0.0, 1.0 if faint else 1.6)
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img = img * 255.0 + rng.normal(0, rng.uniform(1.0, 7.0), img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < options.invert_fraction:
        img = 255 - img
        conditions.append(INVERTED)
    quality = int(rng.integers(*JPEG_QUALITY_RANGE))
    ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # OpenCV only fails here on an impossible image; say so rather than write garbage
        raise RuntimeError(f"OpenCV could not JPEG-encode a {img.shape} frame")
    return SyntheticFrame(jpeg, text, tuple(sorted(conditions)))


def random_text(rng: np.random.Generator, options: SceneOptions = DEFAULT_SCENE) -> str:
    """Return a random number of 1..max_digits digits, or "" for a no-digit frame."""
    if rng.random() < options.no_digit_fraction:
        return ""
    n = int(rng.integers(1, options.max_digits + 1))
    return "".join(str(d) for d in rng.integers(0, 10, n))
