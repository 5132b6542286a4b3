"""From a digit's ink crop to a 28x28 MNIST-style image: stroke width, scale, centre of mass."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from edge_app.runtime import IMAGE_SIZE_PX

DIGIT_BOX_PX = 20  # MNIST fits each digit in 20x20 and centres it by mass in 28x28
# Stroke width as stroke_width() measures it in the 20x20 box (MNIST reads about 2.1 there);
# pen and marker strokes outside [MIN, MAX] are brought to TARGET.
TARGET_STROKE_PX = 2.0
MIN_STROKE_PX = 1.6
MAX_STROKE_PX = 2.2
INK_GAIN = 1.6  # stroke centres saturate to 1.0 like MNIST's pen strokes
_KERNEL_3 = np.ones((3, 3), np.uint8)
_POSITIONS = np.arange(IMAGE_SIZE_PX, dtype=np.float32)  # pixel indices, sliced per digit


def stroke_width(mask: np.ndarray) -> float:
    """Estimate the stroke width of a binary mask in pixels: 2 * area / boundary length."""
    m = mask.view(np.uint8) if mask.dtype == bool else (mask != 0).view(np.uint8)
    area = cv2.countNonZero(m)
    # Outside the crop is paper: erode with a zero border, or strokes touching the edge look fat.
    inner = cv2.erode(m, _KERNEL_3, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    border = area - cv2.countNonZero(inner)
    return 2.0 * area / max(border, 1)


@functools.cache
def _disc(size_px: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size_px, size_px))


def _restroke(digit: np.ndarray, stroke_px: float, scale: float) -> np.ndarray:
    """Thicken a pen stroke or thin a marker stroke so it is MNIST-wide once scaled by `scale`."""
    width = stroke_px * scale
    if MIN_STROKE_PX <= width <= MAX_STROKE_PX:
        return digit
    k = int(round(abs(TARGET_STROKE_PX - width) / scale))
    if k < 1:
        return digit
    kernel = _disc(k + 1)
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
    if ink.dtype == np.uint8:
        peak = cv2.minMaxLoc(ink, keep)[1] if ink.size else 0.0
        if peak <= 0:
            return np.zeros((IMAGE_SIZE_PX, IMAGE_SIZE_PX), np.float32)
        h, w = ink.shape
        # The stroke is widened or thinned on the uint8 ink, several times faster than on
        # float32 for the wide kernels of a thin pen in a big crop, and the same values: a
        # dilation or erosion picks values, and the scaling and clipping after keep their order.
        digit = _restroke(
            cv2.multiply(ink, keep),
            stroke_width(mask) if stroke_px is None else stroke_px,
            DIGIT_BOX_PX / max(h, w),
        )
        digit = cv2.multiply(digit, np.ones_like(digit), scale=INK_GAIN / peak, dtype=cv2.CV_32F)
        digit = cv2.min(digit, 1.0, dst=digit)
    else:
        digit = ink * keep
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
    # Centre of mass with NumPy: cv2.moments takes an array one or two pixels wide (a thin "1")
    # for a list of points and finds no mass, which dropped the digit off-centre.
    small = small.reshape(size[1], size[0])
    total = float(small.sum())
    if total > 0:
        cx = float(small.sum(axis=0) @ _POSITIONS[: size[0]]) / total
        cy = float(small.sum(axis=1) @ _POSITIONS[: size[1]]) / total
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
