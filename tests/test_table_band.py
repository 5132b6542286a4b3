"""Digits touching the table beyond a page that does not fill the frame: read with their number."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge_app.model import load_classifier
from edge_app.preprocess import extract_digits
from edge_app.reader import read_digits
from synthetic import conditions as C

BAND_PX = 40  # the table's band, at VGA: narrower than the paper level's span, so it reads as ink
DIP_PX = 6  # how far the touching digit would run on past the page's edge (the band covers it)
TILT_PX = -6  # the band narrows towards its far end: the page lies a little askew


def _frame(mnist, side: str, inverted: bool, seed: int) -> tuple[np.ndarray, str]:
    """A number whose first (left band) or last (bottom band) digit reaches the page's edge."""
    page = C.blank_page()
    digits = (3, 8, 1) if side == "left" else (8, 3)
    coverages = [C.digit_coverage(C.first_of(mnist, d), 140) for d in digits]
    if side == "left":
        C.write_number(page, coverages, BAND_PX - DIP_PX, 340, gap_px=40)
    else:
        bottom = page.shape[0] - BAND_PX
        C.place(page, coverages[0], 200, bottom - 30 - coverages[0].shape[0])
        x = 200 + coverages[0].shape[1] + 30
        C.place(page, coverages[1], x, bottom + DIP_PX - coverages[1].shape[0])
    C.table_band(page, side, BAND_PX, tilt_px=TILT_PX)
    frame = C.to_frame(cv2.GaussianBlur(page, (0, 0), 1.2), seed)  # a camera's soft focus
    return (255 - frame if inverted else frame), "".join(map(str, digits))


@pytest.mark.parametrize("inverted", [False, True])
@pytest.mark.parametrize("side", ["left", "bottom"])
def test_a_digit_touching_the_table_band_is_kept(mnist, side, inverted):
    for seed in range(2):
        frame, text = _frame(mnist, side, inverted, seed)
        assert len(extract_digits(frame)) == len(text), seed


@pytest.mark.parametrize("side", ["left", "bottom"])
def test_a_number_touching_the_table_band_reads_whole(mnist, trained_artifacts, side):
    classifier = load_classifier(trained_artifacts / "model_int8.tflite", verify=False)
    frame, text = _frame(mnist, side, False, 0)
    assert read_digits(frame, classifier).text == text


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_a_table_band_alone_reads_nothing(side):
    page = C.blank_page()
    C.table_band(page, side, BAND_PX, tilt_px=TILT_PX)
    for seed in range(2):
        assert extract_digits(C.to_frame(cv2.GaussianBlur(page, (0, 0), 1.2), seed)) == []
