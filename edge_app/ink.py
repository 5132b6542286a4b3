"""From a camera frame to an ink map: grey work image, ink polarity, local paper level."""

from __future__ import annotations

import cv2
import numpy as np

# OpenCV's thread pool costs more than it saves on a 320x240 work image, and on a busy 2-core
# machine (or a Pi also running the camera) its threads wait for cores: one thread is faster.
cv2.setNumThreads(1)

INK_MAX = 255  # ink maps are uint8: thresholds in [0, 1] are scaled by this
BACKGROUND_CELL_PX = 8  # paper brightness is estimated on cells this size (at work size)
BACKGROUND_SPAN_CELLS = 5  # closing span: wider than the thickest marker stroke
POLARITY_SPAN_CELLS = 7  # median span for the polarity test: paper is most of any such window
POLARITY_STEP_GREY = 24  # grey levels off the local paper that count as ink for the polarity test
POLARITY_MARGIN = 2.0  # one side must have this many times the other's off-paper pixels to decide
MIN_PAPER_LEVEL = 8  # grey level below which a frame is too dark to find paper in
MIN_INK_PIXELS = 5  # off-paper pixels (of every fourth) that decide the polarity at all
# A paper step (a hard shadow's edge, a table edge): a coarse cell whose darkest neighbour has
# less than this share of its light. Vignetting and rulings (filled in by the closing) stay above.
PAPER_STEP_RATIO = 0.85
# Shade darker than this is the table beyond the page, not paper in shadow: its border stays one
# solid band that segmentation drops whole, not a row of noisy pieces along the page's edge.
MIN_SHADED_PAPER_LEVEL = 40
# Pixel span of the paper level at a paper step: wider than a pen's line, narrow next to a shadow.
STEP_SPAN_PX = 7
STEP_MARGIN_CELLS = 2  # cells around a step whose level is sharpened
# Of the shaded cells' level: a closing of shade up to this is the shade's grain, not a lit side.
STEP_GRAIN_RATIO = 1.25
_POLARITY_QUANTILES = np.array([0.01, 0.5, 0.99])  # ink tail, median, paper tail
_SPAN_KERNEL = np.ones((BACKGROUND_SPAN_CELLS, BACKGROUND_SPAN_CELLS), np.uint8)
_NEIGHBOUR_KERNEL = np.ones((3, 3), np.uint8)
_STEP_KERNEL = np.ones((STEP_SPAN_PX, STEP_SPAN_PX), np.uint8)
# Grey levels scaled by a ratio as lookup tables: integer results, the same bytes on every CPU
# (a float multiply rounds its ties by the platform's rule).
_LEVELS = np.arange(256)
_STEP_LUT = np.rint(_LEVELS * PAPER_STEP_RATIO).astype(np.uint8)
_GRAIN_LUT = np.minimum(np.rint(_LEVELS * STEP_GRAIN_RATIO), 255).astype(np.uint8)


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


def work_gray(image: np.ndarray, work_size_px: int) -> tuple[np.ndarray, float]:
    """Return the grey work image of `image`, its longer side at most `work_size_px`, and its scale.

    A big colour frame is first halved in colour while it stays at least four times the work
    size: an exact 2x2 mean (what INTER_AREA gives) reads the frame once, cheaper than
    converting every pixel to grey. The last halving is cheaper in grey.
    """
    h, w = image.shape[:2]
    scale = min(1.0, work_size_px / max(w, h))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] in (3, 4):
        while image.shape[1] >= 4 * size[0] and image.shape[0] >= 4 * size[1]:
            # INTER_AREA, not INTER_LINEAR: the same bytes on every CPU. OpenCV's NEON path for
            # INTER_LINEAR rounds differently from its x86 one, and a Pi then read other digits.
            image = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    gray = to_gray(image)
    if gray.shape[::-1] != size:
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return gray, scale


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


def coarse_cells(gray: np.ndarray) -> np.ndarray:
    """Return the mean grey level of each BACKGROUND_CELL_PX square (the page at a glance)."""
    h, w = gray.shape
    size = (max(1, w // BACKGROUND_CELL_PX), max(1, h // BACKGROUND_CELL_PX))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _upsample(cells: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    # INTER_LINEAR_EXACT: bit-exact on every CPU (INTER_LINEAR's NEON and x86 paths round apart).
    return cv2.resize(cells, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR_EXACT)


def _brighter_half(gray: np.ndarray) -> bool:
    """True when the median sits nearer the bright end of the histogram (the page is the bright part)."""
    cdf = cv2.calcHist([gray], [0], None, [256], [0, 256]).cumsum()  # ends at gray.size
    low, mid, high = cdf.searchsorted(_POLARITY_QUANTILES * max(gray.size, 1))
    return bool(mid - low >= high - mid)


def detect_dark_ink(gray: np.ndarray, cells: np.ndarray | None = None) -> bool:
    """True when the ink is darker than the paper.

    First the page at a glance: the median of the coarse cells nearer their bright end means a
    bright page. A shadow or vignette can put it nearer the dark end; then the local test
    decides: paper is the local median of the cells (most of any window, whatever the
    lighting) and ink the side with clearly more pixels far from it, counted where the paper
    is flat. Without a clear side (blank paper, a page border) the glance stands, unless the
    page has a paper step: then it is a page in shadow, dark ink on light paper.
    """
    if cells is None:
        cells = coarse_cells(gray)
    if _brighter_half(cells):
        return True
    gray = gray[::2, ::2]  # a count of off-paper pixels: every fourth one is as good
    median = cv2.medianBlur(cells, POLARITY_SPAN_CELLS)
    paper = _upsample(median, gray.shape)
    darker = cv2.threshold(cv2.subtract(paper, gray), POLARITY_STEP_GREY, 1, cv2.THRESH_BINARY)[1]
    lighter = cv2.threshold(cv2.subtract(gray, paper), POLARITY_STEP_GREY, 1, cv2.THRESH_BINARY)[1]
    # Along a paper step (a shadow's edge) the median lies between its sides: the lit side
    # counts as light ink and the shaded side as dark, more pixels than a number has. Count only
    # where the paper is flat.
    spread = cv2.subtract(
        cv2.dilate(median, _NEIGHBOUR_KERNEL, borderType=cv2.BORDER_REPLICATE),
        cv2.erode(median, _NEIGHBOUR_KERNEL, borderType=cv2.BORDER_REPLICATE),
    )
    flat = cv2.threshold(spread, POLARITY_STEP_GREY, 1, cv2.THRESH_BINARY_INV)[1]
    flat = cv2.resize(flat, gray.shape[::-1], interpolation=cv2.INTER_NEAREST)
    darker, lighter = cv2.bitwise_and(darker, flat), cv2.bitwise_and(lighter, flat)
    dark, light = cv2.countNonZero(darker), cv2.countNonZero(lighter)
    if dark > POLARITY_MARGIN * light + MIN_INK_PIXELS:
        return True
    if light > POLARITY_MARGIN * dark + MIN_INK_PIXELS:
        return False
    # No clear side. A dark page with a paper step is most likely a lit page mostly in shadow;
    # taken as light ink, its lit part would be one big stroke.
    return cv2.countNonZero(flat) < flat.size


def paper_cells(cells: np.ndarray, dark_ink: bool) -> np.ndarray:
    """Return the paper level per coarse cell (ink polarity made dark-on-light): strokes filled in."""
    if not dark_ink:
        cells = cv2.bitwise_not(cells)
    return cv2.morphologyEx(cells, cv2.MORPH_CLOSE, _SPAN_KERNEL, borderType=cv2.BORDER_REPLICATE)


def has_paper_step_near(
    paper: np.ndarray, shape: tuple[int, int], box: tuple[int, int, int, int]
) -> bool:
    """True when a cell of the paper level (`paper_cells`) under `box` (x, y, w, h in an image of
    `shape`), or one around, is a step: its darkest neighbour has less than PAPER_STEP_RATIO of
    its light. A gradient across a big digit is not a step."""
    x, y, w, h = box
    sy, sx = paper.shape[0] / shape[0], paper.shape[1] / shape[1]
    x0, y0 = max(0, int(x * sx) - 1), max(0, int(y * sy) - 1)
    near = paper[y0 : int((y + h) * sy) + 2, x0 : int((x + w) * sx) + 2]
    darkest = cv2.erode(near, _NEIGHBOUR_KERNEL, borderType=cv2.BORDER_REPLICATE)
    return cv2.countNonZero(_step_cells(near, darkest)) > 0


def _step_cells(paper: np.ndarray, darkest: np.ndarray) -> np.ndarray:
    """255 where a cell of `paper` is a step: its darkest neighbour (`darkest`) has less than
    PAPER_STEP_RATIO of its light."""
    return cv2.compare(darkest, cv2.LUT(paper, _STEP_LUT), cv2.CMP_LT)


def ink_map(
    gray: np.ndarray,
    dark_ink: bool,
    cells: np.ndarray | None = None,
    paper: np.ndarray | None = None,
) -> np.ndarray:
    """Return ink strength as uint8 (0 = paper, 255 = black): how much darker than the paper each pixel is.

    The paper level (`paper_cells`, computed when not given) is a morphological closing of
    coarse cells (`coarse_cells(gray)`, computed when not given): it fills in strokes narrower than the span but keeps a shadow's edge where
    it is, so the shaded side is paper, not ink. Ink is the relative drop below that level, so
    uneven lighting and vignetting divide out.
    """
    work = gray if dark_ink else cv2.bitwise_not(gray)
    if paper is None:
        paper = paper_cells(coarse_cells(gray) if cells is None else cells, dark_ink)
    low, high = cv2.minMaxLoc(paper)[:2]
    table = low < MIN_SHADED_PAPER_LEVEL
    # On the cells, not the pixels: upsampling never goes below the cells it blends.
    floored = np.maximum(paper, MIN_PAPER_LEVEL) if low < MIN_PAPER_LEVEL else paper
    level = _upsample(floored, work.shape)
    darkest = None
    if low < PAPER_STEP_RATIO * high:  # else no cell can be a step: most frames stop here
        darkest = cv2.erode(paper, _NEIGHBOUR_KERNEL, borderType=cv2.BORDER_REPLICATE)
        _sharpen_steps(work, level, paper, darkest, table)
    # OpenCV's saturating divide: paper / paper -> 255, so ink = 255 - ratio. uint8 all the way
    # keeps every later pass over the image cheap. Paper a little darker than its estimate
    # (the soft side of a shadow edge) stays paper: the ratio saturates at 255.
    ink = cv2.bitwise_not(cv2.divide(work, level, scale=255.0))
    if table and high / 2 >= MIN_SHADED_PAPER_LEVEL:
        _clear_table(ink, darkest)
    return ink


def _clear_table(ink: np.ndarray, darkest: np.ndarray) -> None:
    """Set the ink beyond the page (cells whose `darkest` neighbour is table-dark) to 0, in place.

    Relative to its own dark level the table is all grain, and the strip along the page's edge
    is as dark as ink: its strongest pixels would set the stroke threshold of the whole frame.
    """
    page = cv2.threshold(darkest, MIN_SHADED_PAPER_LEVEL - 1, 1, cv2.THRESH_BINARY)[1]
    page = cv2.resize(page, ink.shape[::-1], interpolation=cv2.INTER_NEAREST)
    cv2.multiply(ink, page, dst=ink)


def _sharpen_steps(
    work: np.ndarray, level: np.ndarray, paper: np.ndarray, darkest: np.ndarray, table: bool
) -> None:
    """Bring `level` (upsampled `paper` cells) down to the shaded side of paper steps, in place.

    `darkest` is each cell's darkest neighbour (a 3x3 erosion of `paper`); `table` says whether
    some cells are table-dark.

    Cells are coarse: near a shadow's edge the upsampled level mixes in the lit side, and the
    shaded strip along the edge reads as a long, strong stroke that swallows the digits it
    touches and sets the stroke threshold. Around steps only, the paper level is a closing of
    the pixels over STEP_SPAN_PX: it fills in pen strokes but follows the edge, however soft.
    It never goes below the darkest neighbouring cell (a thick stroke's middle) nor above the
    coarse level (the page away from a step). Frames without a step pay only the cell test.
    """
    if table:  # beside the table there is no step to follow: 255 keeps the coarse level there
        # (cv2.threshold, not a scalar compare: cv2's scalar forms take a 1x1 array for a scalar)
        dark = cv2.threshold(darkest, MIN_SHADED_PAPER_LEVEL - 1, INK_MAX, cv2.THRESH_BINARY_INV)
        darkest = cv2.max(darkest, dark[1])
    step = _step_cells(paper, darkest)
    cx, cy, cw, ch = cv2.boundingRect(step)
    if cw == 0:
        return
    # The step's cells and STEP_MARGIN_CELLS around them: the cell a soft edge crosses has a
    # level between its sides, and upsampling blends that a cell farther.
    cx0, cy0 = max(0, cx - STEP_MARGIN_CELLS), max(0, cy - STEP_MARGIN_CELLS)
    cx1 = min(paper.shape[1], cx + cw + STEP_MARGIN_CELLS)
    cy1 = min(paper.shape[0], cy + ch + STEP_MARGIN_CELLS)
    x0, y0 = cx0 * BACKGROUND_CELL_PX, cy0 * BACKGROUND_CELL_PX
    x1 = work.shape[1] if cx1 == paper.shape[1] else cx1 * BACKGROUND_CELL_PX
    y1 = work.shape[0] if cy1 == paper.shape[0] else cy1 * BACKGROUND_CELL_PX
    closed = cv2.morphologyEx(
        work[y0:y1, x0:x1], cv2.MORPH_CLOSE, _STEP_KERNEL, borderType=cv2.BORDER_REPLICATE
    )
    # Nearest, not linear: a floor, as coarse as the cells it comes from.
    shade = np.maximum(darkest[cy0:cy1, cx0:cx1], MIN_PAPER_LEVEL)
    size = (x1 - x0, y1 - y0)
    floor = cv2.resize(shade, size, interpolation=cv2.INTER_NEAREST)
    # A closing of grainy shade sits above its mean (it keeps local maxima): where it is
    # within the grain of the shaded cells, the shaded cells' level is the paper.
    grainy = cv2.resize(cv2.LUT(shade, _GRAIN_LUT), size, interpolation=cv2.INTER_NEAREST)
    closed = cv2.max(closed, floor)
    cv2.copyTo(floor, cv2.compare(closed, grainy, cv2.CMP_LT), closed)
    region = level[y0:y1, x0:x1]
    cv2.min(region, closed, dst=region)
