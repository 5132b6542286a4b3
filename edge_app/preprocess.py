"""From a camera frame to MNIST-like 28x28 digit crops: lighting, threshold, segmentation, normalisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from edge_app.options import DEFAULT_OPTIONS, ReaderOptions
from edge_app.runtime import IMAGE_SIZE_PX

# OpenCV's thread pool costs more than it saves on a 320x240 work image, and on a busy 2-core
# machine (or a Pi also running the camera) its threads wait for cores: one thread is faster.
cv2.setNumThreads(1)

INK_MAX = 255  # ink maps are uint8: thresholds in [0, 1] are scaled by this
DIGIT_BOX_PX = 20  # MNIST fits each digit in 20x20 and centres it by mass in 28x28
BACKGROUND_CELL_PX = 8  # paper brightness is estimated on cells this size (at work size)
BACKGROUND_SPAN_CELLS = 5  # max filter span: wider than the thickest marker stroke
MIN_PAPER_LEVEL = 8  # grey level below which a frame is too dark to find paper in
MIN_INK_THRESHOLD = 0.22  # faintest ink trusted to start a stroke: above unblurred sensor noise
LOW_INK_FRACTION = 0.6  # hysteresis: strokes grow down to this share of ink_threshold
MIN_COMPONENT_AREA_PX = 6  # at work size: smaller components are sensor noise
MERGE_OVERLAP = 0.6  # share of the narrower box two pieces must share in x to be one digit
MERGE_GAP = 0.3  # vertical gap, as a share of the taller piece, still bridged within one digit
MERGE_SIDE_GAP = 0.1  # horizontal gap, as a share of the taller piece, bridged for a short piece
MERGE_SHORT = 0.6  # a piece shorter than this share of its neighbour may be a lifted-pen stroke
MIN_RELATIVE_AREA = 0.03  # of the largest component: smaller ones are dust, not strokes
MIN_RELATIVE_HEIGHT = 0.45  # of the tallest digit: shorter groups are specks or punctuation
MAX_ASPECT_WIDE = 1.6  # width / height above this is a line or a smudge, not a digit
BLOB_FILL = (
    0.85  # ink share of the box above which a not-thin group is a blob (bold digits reach 0.75)
)
BLOB_STROKE_RATIO = 0.34  # stroke width / height above this is a blot (marker digits stay < 0.25)
BLOB_MIN_ASPECT = 2.5  # height / width below which a filled group counts as a blob
# Stroke width as stroke_width() measures it in the 20x20 box (MNIST reads about 2.1 there);
# pen and marker strokes outside [MIN, MAX] are brought to TARGET.
TARGET_STROKE_PX = 2.0
MIN_STROKE_PX = 1.6
MAX_STROKE_PX = 2.2
INK_GAIN = 1.6  # stroke centres saturate to 1.0 like MNIST's pen strokes
_KERNEL_3 = np.ones((3, 3), np.uint8)
_SPAN_KERNEL = np.ones((BACKGROUND_SPAN_CELLS, BACKGROUND_SPAN_CELLS), np.uint8)


class Candidate(NamedTuple):
    """A digit found by segmentation, in work-image pixels."""

    mask: np.ndarray  # bool strokes of the digit inside its box
    box: tuple[int, int, int, int]  # x, y, w, h
    stroke_px: float  # estimated stroke width (see stroke_width)


@dataclass(frozen=True)
class DigitCrop:
    """One digit ready for the classifier."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], white on black
    box: tuple[int, int, int, int]  # x, y, w, h in original frame pixels


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Return a contiguous uint8 grayscale image from a 2-D, BGR, BGRA or other-dtype frame."""
    img = np.asarray(frame)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.dtype != np.uint8:
        if np.issubdtype(img.dtype, np.floating) and img.size and float(np.nanmax(img)) <= 1.0:
            img = img * 255.0
        img = np.clip(np.nan_to_num(img.astype(np.float32)), 0, 255).astype(np.uint8)
    img = np.ascontiguousarray(img)
    if img.ndim not in (2, 3):
        raise ValueError(f"expected a 2-D, BGR or BGRA frame, got shape {img.shape}")
    if img.ndim == 2:
        return img
    if img.size == 0:
        return np.zeros(img.shape[:2], np.uint8)
    if img.shape[2] not in (3, 4):  # an odd camera format: average whatever channels there are
        return np.ascontiguousarray(img.mean(axis=2).astype(np.uint8))
    code = cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(img, code)


def clip_roi(
    roi: tuple[int, int, int, int] | None, shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """Return the ROI (x, y, w, h) clipped to a frame of `shape`; None means the whole frame."""
    height, width = shape[:2]
    if roi is None:
        return 0, 0, width, height
    x, y, w, h = roi
    x0, y0 = min(max(0, x), width), min(max(0, y), height)
    x1, y1 = min(max(x0, x + w), width), min(max(y0, y + h), height)
    return x0, y0, x1 - x0, y1 - y0


def detect_dark_ink(gray: np.ndarray) -> bool:
    """True when the ink is darker than the paper: the median sits nearer the bright end."""
    hist = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel()
    cdf = np.cumsum(hist) / max(hist.sum(), 1.0)
    low, mid, high = np.searchsorted(cdf, [0.01, 0.5, 0.99])
    return bool(mid - low >= high - mid)


def coarse_cells(gray: np.ndarray) -> np.ndarray:
    """Return the mean grey level of each BACKGROUND_CELL_PX square (the page at a glance)."""
    h, w = gray.shape
    size = (max(1, w // BACKGROUND_CELL_PX), max(1, h // BACKGROUND_CELL_PX))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def ink_map(gray: np.ndarray, dark_ink: bool, cells: np.ndarray | None = None) -> np.ndarray:
    """Return ink strength as uint8 (0 = paper, 255 = black): how much darker than the paper each pixel is.

    Paper brightness comes from a max filter over coarse cells (`coarse_cells(gray)`, computed
    when not given), so uneven lighting and vignetting divide out; ink is the relative drop below it.
    """
    work = gray if dark_ink else cv2.bitwise_not(gray)
    h, w = work.shape
    if cells is None:
        cells = coarse_cells(gray)
    if not dark_ink:
        cells = cv2.bitwise_not(cells)
    cells = cv2.dilate(cells, _SPAN_KERNEL)
    cells = cv2.blur(cells, (3, 3))
    paper = cv2.max(cv2.resize(cells, (w, h), interpolation=cv2.INTER_LINEAR), MIN_PAPER_LEVEL)
    # OpenCV's saturating divide: paper / paper -> 255, so ink = 255 - ratio. uint8 all the way
    # keeps every later pass over the image cheap.
    return cv2.bitwise_not(cv2.divide(work, paper, scale=255.0))


def stroke_threshold(ink: np.ndarray, ceiling: float) -> float:
    """Return the ink level that starts a stroke: `ceiling`, lowered for faint ink.

    Faint ink (a pencil, a grey MNIST stroke) lowers it to half the darkest ink, but never below
    MIN_INK_THRESHOLD, so blank paper with sensor noise stays blank.
    """
    return float(np.clip(0.5 * float(ink.max()) / INK_MAX, MIN_INK_THRESHOLD, ceiling))


def _same_digit(a: list[int], b: list[int]) -> bool:
    """True when spans a and b (x0, y0, x1, y1) look like two pieces of one digit."""
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    gap = max(a[1], b[1]) - min(a[3], b[3])
    ha, hb = a[3] - a[1], b[3] - b[1]
    taller, shorter = max(ha, hb), min(ha, hb)
    if overlap >= MERGE_OVERLAP * min(a[2] - a[0], b[2] - b[0]) and gap <= MERGE_GAP * taller:
        return True  # stacked: the bar of a 5 above its belly
    # A short stroke right beside a digit (the lifted-pen half of a 4) is part of it.
    return -overlap <= MERGE_SIDE_GAP * taller and shorter < MERGE_SHORT * taller and gap < 0


def _merge_groups(boxes: list[list[int]]) -> list[list[int]]:
    """Group indices of (x, y, w, h) boxes that are pieces of one digit, left to right.

    Plain Python ints: a noisy frame has dozens of specks, and NumPy scalars cost more than they save.
    """
    groups: list[tuple[list[int], list[int]]] = []  # (members, [x0, y0, x1, y1])
    for i in sorted(range(len(boxes)), key=lambda k: boxes[k][0]):
        x0, y0, w, h = boxes[i]
        span = [x0, y0, x0 + w, y0 + h]
        members = [i]
        for g in groups[::-1]:  # a piece may join, or bridge, any earlier group (a copy: we remove)
            if _same_digit(span, g[1]):
                members += g[0]
                span = [
                    min(span[0], g[1][0]),
                    min(span[1], g[1][1]),
                    max(span[2], g[1][2]),
                    max(span[3], g[1][3]),
                ]
                groups.remove(g)
        groups.append((members, span))
    groups.sort(key=lambda g: g[1][0])
    return [sorted(m) for m, _ in groups]


def find_digit_boxes(
    ink: np.ndarray, threshold: float, options: ReaderOptions = DEFAULT_OPTIONS
) -> list[Candidate]:
    """Return the digit candidates of an ink map (uint8, from ink_map), left to right.

    Strokes are pixels over `threshold`, grown by hysteresis down to LOW_INK_FRACTION of it; the
    pieces of one digit are merged, and specks, lines, blobs and cut-off shapes are dropped.
    """
    # cv2.threshold is several times faster than a NumPy comparison on a uint8 image.
    weak = cv2.threshold(ink, threshold * LOW_INK_FRACTION * INK_MAX, 1, cv2.THRESH_BINARY)[1]
    strong = cv2.threshold(ink, threshold * INK_MAX, 1, cv2.THRESH_BINARY)[1].view(bool)
    # 16-bit labels are about twice as fast; 8-connected components are at most a quarter of the
    # pixels, so they fit unless the work image is huge.
    ltype = cv2.CV_16U if weak.size // 4 < np.iinfo(np.uint16).max else cv2.CV_32S
    n, labels, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8, ltype=ltype)
    h_img, w_img = weak.shape
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    strong = np.bincount(labels[strong], minlength=n)[1:] > 0
    # Pieces touching the edge (page borders, shadows, cut-off digits) and ones spanning most of
    # the frame are never part of a digit: drop them before merging so they cannot swallow one.
    inside = (x > 0) & (y > 0) & (x + w < w_img) & (y + h < h_img)
    sane = (h < 0.9 * h_img) & (w < 0.6 * w_img)
    ok = strong & inside & sane & (area >= MIN_COMPONENT_AREA_PX)
    if ok.any():
        ok &= area >= MIN_RELATIVE_AREA * area[ok].max()
    ids = np.flatnonzero(ok) + 1
    if len(ids) == 0 or len(ids) > 8 * options.max_digits:
        return []
    boxes = stats[ids, :4].tolist()
    areas = stats[ids, cv2.CC_STAT_AREA].tolist()
    candidates = []
    for group in _merge_groups(boxes):
        x0 = min(boxes[i][0] for i in group)
        y0 = min(boxes[i][1] for i in group)
        bw = max(boxes[i][0] + boxes[i][2] for i in group) - x0
        bh = max(boxes[i][1] + boxes[i][3] for i in group) - y0
        filled = sum(areas[i] for i in group)
        if bh < options.min_digit_height_px or bw > MAX_ASPECT_WIDE * bh:
            continue
        if filled > BLOB_FILL * bw * bh and bh < BLOB_MIN_ASPECT * bw:
            continue
        candidates.append((ids[group], (x0, y0, bw, bh)))
    if not candidates:
        return []
    tallest = max(box[3] for _, box in candidates)
    candidates = [c for c in candidates if c[1][3] >= MIN_RELATIVE_HEIGHT * tallest]
    if len(candidates) > options.max_digits:
        return []
    out = []
    for group_ids, (bx, by, bw, bh) in candidates:
        member = np.zeros(n, bool)
        member[group_ids] = True
        mask = member[labels[by : by + bh, bx : bx + bw]]
        # A blot is all stroke: its "stroke width" is a large share of its height.
        width = stroke_width(mask)
        if width > BLOB_STROKE_RATIO * bh:
            continue
        out.append(Candidate(mask, (bx, by, bw, bh), width))
    return out


def stroke_width(mask: np.ndarray) -> float:
    """Estimate the stroke width of a binary mask in pixels: 2 * area / boundary length."""
    m = mask.astype(np.uint8)
    area = int(m.sum())
    # Outside the crop is paper: erode with a zero border, or strokes touching the edge look fat.
    inner = cv2.erode(m, _KERNEL_3, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    border = area - int(inner.sum())
    return 2.0 * area / max(border, 1)


def _restroke(digit: np.ndarray, stroke_px: float, scale: float) -> np.ndarray:
    """Thicken a pen stroke or thin a marker stroke so it is MNIST-wide once scaled by `scale`."""
    width = stroke_px * scale
    if MIN_STROKE_PX <= width <= MAX_STROKE_PX:
        return digit
    k = int(round(abs(TARGET_STROKE_PX - width) / scale))
    if k < 1:
        return digit
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k + 1, k + 1))
    if width > MAX_STROKE_PX:
        return cv2.erode(digit, kernel)
    # Room to grow: a thin "1" fills its whole crop, and the stroke must widen past it.
    pad = k // 2 + 1
    digit = cv2.copyMakeBorder(digit, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    return cv2.dilate(digit, kernel)


def normalize_digit(
    ink: np.ndarray, mask: np.ndarray, stroke_px: float | None = None
) -> np.ndarray:
    """Return a 28x28 float32 MNIST-style image from a digit's ink crop and its stroke mask.

    The digit keeps its grey edges, is scaled to fit 20x20 keeping its aspect ratio and placed so
    its centre of mass is at the centre of the 28x28 field, as MNIST was made.
    """
    keep = cv2.dilate(mask.view(np.uint8), _KERNEL_3)
    digit = cv2.multiply(ink, keep, dtype=cv2.CV_32F) if ink.dtype == np.uint8 else ink * keep
    peak = float(digit.max())
    if peak <= 0:
        return np.zeros((IMAGE_SIZE_PX, IMAGE_SIZE_PX), np.float32)
    digit = np.clip(digit.astype(np.float32) * np.float32(INK_GAIN / peak), 0.0, 1.0)
    h, w = digit.shape
    scale = DIGIT_BOX_PX / max(h, w)
    digit = _restroke(digit, stroke_width(mask) if stroke_px is None else stroke_px, scale)
    h, w = digit.shape
    scale = DIGIT_BOX_PX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(digit, size, interpolation=interp)
    out = np.zeros((IMAGE_SIZE_PX, IMAGE_SIZE_PX), np.float32)
    m = cv2.moments(small)
    if m["m00"] > 0:
        cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    else:
        cx, cy = size[0] / 2, size[1] / 2
    ox = int(round(IMAGE_SIZE_PX / 2 - cx))
    oy = int(round(IMAGE_SIZE_PX / 2 - cy))
    # Clip the paste so a lopsided digit never falls off the 28x28 field.
    sx0, sy0 = max(0, -ox), max(0, -oy)
    dx0, dy0 = max(0, ox), max(0, oy)
    pw = min(size[0] - sx0, IMAGE_SIZE_PX - dx0)
    ph = min(size[1] - sy0, IMAGE_SIZE_PX - dy0)
    if pw > 0 and ph > 0:
        out[dy0 : dy0 + ph, dx0 : dx0 + pw] = small[sy0 : sy0 + ph, sx0 : sx0 + pw]
    return out


def extract_digits(frame: np.ndarray, options: ReaderOptions = DEFAULT_OPTIONS) -> list[DigitCrop]:
    """Return the digits of `frame` (any uint8 image) as MNIST-like crops, left to right."""
    image = np.asarray(frame)
    if image.ndim not in (2, 3):
        raise ValueError(f"expected a 2-D, BGR or BGRA frame, got shape {image.shape}")
    rx, ry, rw, rh = clip_roi(options.roi, image.shape)
    if rw < 2 or rh < 2:
        return []
    gray = to_gray(image[ry : ry + rh, rx : rx + rw])  # crop first: no work outside the ROI
    scale = min(1.0, options.work_size_px / max(rw, rh))
    if scale < 1.0:
        size = (max(1, round(rw * scale)), max(1, round(rh * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    cells = coarse_cells(gray)
    if options.polarity == "auto":
        # The cells keep the page's tails (ink, paper) at 1/64 of the pixels: a cheaper histogram.
        dark_ink = detect_dark_ink(cells)
    else:
        dark_ink = options.polarity == "dark-on-light"
    ink = ink_map(gray, dark_ink, cells)
    threshold = stroke_threshold(ink, options.ink_threshold)
    crops = []
    for digit_mask, (x, y, w, h), stroke_px in find_digit_boxes(ink, threshold, options):
        image = normalize_digit(ink[y : y + h, x : x + w], digit_mask, stroke_px)
        bx, by = rx + int(x / scale), ry + int(y / scale)
        bw = max(1, min(int(np.ceil((x + w) / scale)) + rx, rx + rw) - bx)
        bh = max(1, min(int(np.ceil((y + h) / scale)) + ry, ry + rh) - by)
        crops.append(DigitCrop(image=image, box=(bx, by, bw, bh)))
    return crops
