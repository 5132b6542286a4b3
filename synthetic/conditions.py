"""Real-photo conditions as image operations: faint pen, shadows, paper rulings, soft strokes, ink.

Pages are float32 arrays, grey (H, W) or BGR (H, W, 3), on any scale (0..255 in the tests, 0..1 in
the generator): every operation multiplies light, so it works on both. The generator draws a set
of named conditions per frame (`pick_conditions`) and the tests build one condition at a time.
"""

from __future__ import annotations

import cv2
import numpy as np

FRAME_SHAPE = (480, 640)  # height, width in pixels
PAPER_LEVEL = 210  # grey level of lit paper, 0..255

# Selectable conditions and the share of frames each appears in when all are allowed.
CONDITION_SHARES = {
    "faint_pen": 0.12,  # thin ballpoint, low contrast
    "hard_shadow": 0.15,  # a hand or phone's shadow edge across the page
    "squared_paper": 0.08,
    "ruled_paper": 0.08,
    "touching": 0.12,  # neighbouring digits touch or overlap
    "frame_edge": 0.08,  # the number runs up to (or a little past) the frame edge
    "soft_thick": 0.12,  # soft, thick, blurry strokes, like an upscaled 16x16 scan
    "small_beside_tall": 0.10,  # one digit half the height of its neighbours
    "yellow_paper": 0.12,
}
# Ink colours (BGR, 0..1) and their shares: every frame has exactly one.
INKS = {
    "black_ink": ((0.1, 0.1, 0.1), 0.45),
    "blue_ink": ((0.5, 0.2, 0.12), 0.35),
    "red_ink": ((0.2, 0.2, 0.75), 0.10),
    "pencil": ((0.33, 0.33, 0.33), 0.10),
}
CONDITIONS = (*CONDITION_SHARES, *INKS)
NEEDS_TWO_DIGITS = ("touching", "small_beside_tall")
DEFAULT_INK = "black_ink"  # when no ink is allowed


def pick_conditions(rng: np.random.Generator, allowed: tuple[str, ...], text: str) -> list[str]:
    """Return the conditions of one frame showing `text`, drawn from `allowed` (sorted, one ink)."""
    picked = []
    for name, share in CONDITION_SHARES.items():
        hit = rng.random() < share  # drawn for every name, so a seed's frames do not shift
        if hit and name in allowed and (len(text) >= 2 or name not in NEEDS_TWO_DIGITS):
            picked.append(name)
    if "frame_edge" in picked and not text:
        picked.remove("frame_edge")
    if "squared_paper" in picked and "ruled_paper" in picked:
        picked.remove("ruled_paper")
    inks = [name for name in INKS if name in allowed] or [DEFAULT_INK]
    shares = np.array([INKS[name][1] for name in inks])
    picked.append(inks[rng.choice(len(inks), p=shares / shares.sum())])
    return sorted(picked)


def _per_column(page: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Return a light `gain` field (H, W) shaped to multiply a grey or BGR page."""
    return gain[..., None] if page.ndim == 3 else gain


def blank_page(level: int = PAPER_LEVEL, shape: tuple[int, int] = FRAME_SHAPE) -> np.ndarray:
    """Return a float32 grey page of uniform paper (grey levels 0..255)."""
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


def _skeleton(mask: np.ndarray) -> np.ndarray:
    """Return the one-pixel centre lines of a boolean mask (Zhang-Suen thinning)."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            c = img[1:-1, 1:-1]
            p2, p3, p4 = img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:]
            p5, p6, p7 = img[2:, 2:], img[2:, 1:-1], img[2:, :-2]
            p8, p9 = img[1:-1, :-2], img[:-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9]
            neighbours = sum(p.astype(np.int32) for p in ring)
            rises = sum(
                ((ring[i] == 0) & (ring[(i + 1) % 8] == 1)).astype(np.int32) for i in range(8)
            )
            if step == 0:
                open_side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                open_side = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            drop = (c == 1) & (neighbours >= 2) & (neighbours <= 6) & (rises == 1) & open_side
            if drop.any():
                c[drop] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def pen_line(coverage: np.ndarray, width_px: float = 2.5) -> np.ndarray:
    """Return the coverage redrawn along its centre lines by a pen `width_px` wide (a ballpoint)."""
    line = _skeleton(coverage > 0.5).astype(np.float32)
    side = max(1, int(round(width_px)))
    line = cv2.dilate(line, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    return np.clip(cv2.GaussianBlur(line, (0, 0), 0.6), 0.0, 1.0)


def soften(coverage: np.ndarray, grow_px: int = 4, blur_px: int = 9) -> np.ndarray:
    """Return the coverage with thick, soft, blurred strokes (a marker out of focus)."""
    pad = grow_px + blur_px
    out = cv2.copyMakeBorder(coverage, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow_px + 1,) * 2)
    out = cv2.dilate(out, kernel)
    return np.clip(cv2.GaussianBlur(out, (blur_px | 1, blur_px | 1), 0), 0.0, 1.0)


def low_resolution(coverage: np.ndarray, scan_px: int = 16, grow: float = 0.06) -> np.ndarray:
    """Return the coverage as a `scan_px`-square scan would show it upscaled: thick and soft."""
    h, w = coverage.shape
    side = int(max(h, w) * 1.25)
    square = np.zeros((side, side), np.float32)
    y0, x0 = (side - h) // 2, (side - w) // 2
    square[y0 : y0 + h, x0 : x0 + w] = coverage
    grow_px = max(1, round(grow * side))
    square = cv2.dilate(square, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow_px,) * 2))
    scan = cv2.resize(square, (scan_px, scan_px), interpolation=cv2.INTER_AREA)
    up = cv2.resize(scan, (side, side), interpolation=cv2.INTER_CUBIC)
    return np.clip(up, 0.0, 1.0)


def place(page: np.ndarray, coverage: np.ndarray, x: int, y: int, darkness: float = 0.8) -> None:
    """Write ink into `page` at (x, y) (top-left; clipped at the frame edge): paper darkens by coverage."""
    h, w = coverage.shape
    y0, x0 = max(0, y), max(0, x)
    y1, x1 = min(page.shape[0], y + h), min(page.shape[1], x + w)
    cov = coverage[y0 - y : y1 - y, x0 - x : x1 - x]
    page[y0:y1, x0:x1] *= _per_column(page, 1.0 - darkness * cov)


def write_number(
    page: np.ndarray, digits: list[np.ndarray], x: int, baseline: int, gap_px: int = 20, **ink
) -> None:
    """Write digit coverages left to right, bottoms on `baseline`."""
    for cov in digits:
        place(page, cov, x, baseline - cov.shape[0], **ink)
        x += cov.shape[1] + gap_px


def shadow_gradient(page: np.ndarray, darkest: float = 0.4) -> None:
    """Light falling off from left (full) to right (`darkest` of full), as in a hand-held photo."""
    ramp = np.linspace(1.0, darkest, page.shape[1], dtype=np.float32)[None, :]
    page *= _per_column(page, np.broadcast_to(ramp, page.shape[:2]))


def hard_shadow(
    page: np.ndarray, x_px: float, depth: float = 0.55, soft_px: float = 6, angle_deg: float = 0
) -> None:
    """A hand or phone's shadow: the page beyond an edge through (`x_px`, mid-height), tilted by
    `angle_deg` from vertical, gets `depth` of the light, with a `soft_px` wide edge."""
    h, w = page.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = np.deg2rad(angle_deg)
    across = (xx - x_px) * np.cos(t) + (yy - h / 2) * np.sin(t)
    ramp = np.clip(across / max(soft_px, 1e-3) + 0.5, 0.0, 1.0)
    page *= _per_column(page, (1.0 - (1.0 - depth) * ramp).astype(np.float32))


def table_band(
    page: np.ndarray, side: str, depth_px: int, tilt_px: int = 0, level: float = 0.25
) -> None:
    """The table beyond a page that does not fill the frame: along `side` ("left", "right", "top"
    or "bottom") a band `depth_px` deep, `tilt_px` deeper at its far end (shallower if negative),
    covers the page, ink included, with `level` of the page's brightest light."""
    h, w = page.shape[:2]
    across, along = (w, h) if side in ("left", "right") else (h, w)
    band = np.zeros((along, across), np.uint8)
    cv2.fillPoly(
        band, [np.int32([(0, 0), (depth_px, 0), (depth_px + tilt_px, along), (0, along)])], 1
    )
    band = {"left": band, "right": band[:, ::-1], "top": band.T, "bottom": band.T[::-1]}[side]
    table = level * page.max(axis=(0, 1))
    np.copyto(page, np.broadcast_to(table, page.shape), where=_per_column(page, band > 0))


def squared_grid(
    page: np.ndarray, step_px: int = 32, darkness=0.25, offset_px: tuple[int, int] | None = None
) -> None:
    """Squared paper: thin lines every `step_px` both ways (`darkness` a number or per channel)."""
    ox, oy = offset_px if offset_px is not None else (step_px // 2, step_px // 2)
    page[:, ox::step_px] *= 1.0 - np.asarray(darkness, np.float32)
    page[oy::step_px, :] *= 1.0 - np.asarray(darkness, np.float32)


def ruled_lines(page: np.ndarray, step_px: int = 48, darkness=0.3, offset_px: int | None = None):
    """Ruled paper: horizontal lines two pixels thick every `step_px`."""
    start = step_px // 2 if offset_px is None else offset_px
    for y in range(start, page.shape[0], step_px):
        page[y : y + 2, :] *= 1.0 - np.asarray(darkness, np.float32)


def yellow_tint(page: np.ndarray, rng: np.random.Generator) -> None:
    """Yellow paper (a BGR page): less blue, a little less green."""
    page *= np.array([rng.uniform(0.6, 0.8), rng.uniform(0.92, 0.99), 1.0], np.float32)


def to_frame(page: np.ndarray, seed: int = 0, grain: float = 3.0, quality: int = 90) -> np.ndarray:
    """Return a grey 0..255 page as a BGR uint8 camera frame: sensor grain and a JPEG round trip."""
    rng = np.random.default_rng(seed)
    noisy = np.clip(page + rng.normal(0.0, grain, page.shape), 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"OpenCV could not JPEG-encode a {noisy.shape} page")
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_GRAYSCALE), cv2.COLOR_GRAY2BGR)


def first_of(mnist, digit: int, nth: int = 0) -> np.ndarray:
    """Return the nth MNIST test image of `digit` (28x28 uint8)."""
    return mnist.x_test[np.flatnonzero(mnist.y_test == digit)[nth]]
