"""Photo-like test frames from MNIST digits: faint pen, shadows, grain, squared and ruled paper, edges."""

from __future__ import annotations

import cv2
import numpy as np

FRAME_SHAPE = (480, 640)  # height, width in pixels
PAPER_LEVEL = 210  # grey level of lit paper


def blank_page(level: int = PAPER_LEVEL, shape: tuple[int, int] = FRAME_SHAPE) -> np.ndarray:
    """Return a float32 page of uniform paper (grey levels 0..255)."""
    return np.full(shape, float(level), np.float32)


def digit_coverage(image: np.ndarray, height_px: int, width_scale: float = 1.0) -> np.ndarray:
    """Return an MNIST digit cropped to its ink and scaled to `height_px` tall, as coverage in [0, 1]."""
    ys, xs = np.nonzero(image > 30)
    crop = image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255.0
    scale = height_px / crop.shape[0]
    size = (max(2, round(crop.shape[1] * scale * width_scale)), height_px)
    return np.clip(cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


def thin_strokes(coverage: np.ndarray, passes: int = 2) -> np.ndarray:
    """Return the coverage with its strokes eroded towards a ballpoint's thin line."""
    return cv2.erode(coverage, np.ones((3, 3), np.uint8), iterations=passes)


def soften(coverage: np.ndarray, grow_px: int = 4, blur_px: int = 9) -> np.ndarray:
    """Return the coverage with thick, soft, blurred strokes (a marker out of focus)."""
    pad = grow_px + blur_px
    out = cv2.copyMakeBorder(coverage, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow_px + 1,) * 2)
    out = cv2.dilate(out, kernel)
    return np.clip(cv2.GaussianBlur(out, (blur_px | 1, blur_px | 1), 0), 0.0, 1.0)


def place(page: np.ndarray, coverage: np.ndarray, x: int, y: int, darkness: float = 0.8) -> None:
    """Write ink into `page` at (x, y) (top-left; clipped at the frame edge): paper darkens by coverage."""
    h, w = coverage.shape
    y0, x0 = max(0, y), max(0, x)
    y1, x1 = min(page.shape[0], y + h), min(page.shape[1], x + w)
    cov = coverage[y0 - y : y1 - y, x0 - x : x1 - x]
    page[y0:y1, x0:x1] *= 1.0 - darkness * cov


def write_number(
    page: np.ndarray, digits: list[np.ndarray], x: int, baseline: int, gap_px: int = 20, **ink
) -> None:
    """Write digit coverages left to right, bottoms on `baseline`."""
    for cov in digits:
        place(page, cov, x, baseline - cov.shape[0], **ink)
        x += cov.shape[1] + gap_px


def shadow_gradient(page: np.ndarray, darkest: float = 0.4) -> None:
    """Light falling off from left (full) to right (`darkest` of full), as in a hand-held photo."""
    page *= np.linspace(1.0, darkest, page.shape[1], dtype=np.float32)[None, :]


def hard_shadow(page: np.ndarray, x_px: int, depth: float = 0.55, soft_px: int = 6) -> None:
    """A hand or phone's shadow: the page right of `x_px` gets `depth` of the light, a soft edge."""
    ramp = np.clip((np.arange(page.shape[1]) - x_px) / soft_px + 0.5, 0.0, 1.0)
    page *= (1.0 - (1.0 - depth) * ramp).astype(np.float32)[None, :]


def squared_grid(page: np.ndarray, step_px: int = 32, darkness: float = 0.25) -> None:
    """Squared paper: thin grey lines every `step_px` both ways."""
    page[:, step_px // 2 :: step_px] *= 1.0 - darkness
    page[step_px // 2 :: step_px, :] *= 1.0 - darkness


def ruled_lines(page: np.ndarray, step_px: int = 48, darkness: float = 0.3) -> None:
    """Ruled paper: horizontal lines two pixels thick every `step_px`."""
    for y in range(step_px // 2, page.shape[0], step_px):
        page[y : y + 2, :] *= 1.0 - darkness


def to_frame(page: np.ndarray, seed: int = 0, grain: float = 3.0, quality: int = 90) -> np.ndarray:
    """Return the page as a BGR uint8 camera frame: sensor grain and a JPEG round trip."""
    rng = np.random.default_rng(seed)
    noisy = np.clip(page + rng.normal(0.0, grain, page.shape), 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_GRAYSCALE), cv2.COLOR_GRAY2BGR)


def first_of(mnist, digit: int, nth: int = 0) -> np.ndarray:
    """Return the nth MNIST test image of `digit` (28x28 uint8)."""
    return mnist.x_test[np.flatnonzero(mnist.y_test == digit)[nth]]
