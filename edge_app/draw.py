"""Draw a reading on a frame: digit boxes, values, confidences, the number and FPS (a pure function)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from edge_app.preprocess import to_gray

if TYPE_CHECKING:
    from edge_app.result import FrameResult

SURE_BGR = (40, 200, 40)
UNSURE_BGR = (0, 140, 255)
TEXT_BGR = (255, 255, 255)
BANNER_BGR = (30, 30, 30)
ROI_BGR = (255, 200, 0)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _as_bgr(frame: np.ndarray) -> np.ndarray:
    """Return a new uint8 BGR copy of any frame the reader accepts (gray, BGR, BGRA, other dtypes)."""
    image = np.asarray(frame)
    if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image).copy()
    if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGRA2BGR)
    return cv2.cvtColor(to_gray(image), cv2.COLOR_GRAY2BGR)


def annotate(frame: np.ndarray, result: FrameResult) -> np.ndarray:
    """Return a new BGR image: `frame` with the ROI, boxes, digits, confidences, text and FPS of `result`."""
    out = _as_bgr(frame)
    h, w = out.shape[:2]
    scale = max(0.4, min(w, h) / 800)
    thick = max(1, round(scale * 2))
    if result.roi is not None:  # always shown: a reading is only as good as the region it reads
        x, y, rw, rh = result.roi
        cv2.rectangle(out, (x, y), (x + rw - 1, y + rh - 1), ROI_BGR, thick)
        label_y = y + rh + int(22 * scale) if y < 40 * scale else y - 4
        cv2.putText(out, "region", (x, label_y), FONT, scale * 0.8, ROI_BGR, thick, cv2.LINE_AA)
    for digit in result.reading.digits:
        x, y, bw, bh = digit.box
        color = SURE_BGR if digit.value is not None else UNSURE_BGR
        cv2.rectangle(out, (x, y), (x + bw, y + bh), color, thick)
        label = f"{'?' if digit.value is None else digit.value} {digit.confidence:.2f}"
        cv2.putText(out, label, (x, max(12, y - 4)), FONT, scale, color, thick, cv2.LINE_AA)
    banner = f"{result.text or '-'}   {result.fps:.1f} fps"
    (tw, th), base = cv2.getTextSize(banner, FONT, scale * 1.2, thick)
    cv2.rectangle(out, (0, 0), (min(w, tw + 12), th + base + 10), BANNER_BGR, -1)
    cv2.putText(out, banner, (6, th + 5), FONT, scale * 1.2, TEXT_BGR, thick, cv2.LINE_AA)
    return out
