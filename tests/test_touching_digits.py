"""Touching digits the reader must read as each of them: a pair read sure as one, a thin 1 beside a digit."""

from __future__ import annotations

import pytest

from edge_app.model import load_classifier
from edge_app.preprocess import extract_digits
from edge_app.reader import read_digits
from synthetic import conditions as C


def test_a_wide_pair_read_sure_as_one_reads_as_both(mnist, trained_artifacts):
    # A wide 2 overlapping a 1 reads as one sure wrong digit; no single digit is that wide.
    classifier = load_classifier(trained_artifacts / "model_int8.tflite", verify=False)
    page = C.blank_page()
    two, one = (
        C.digit_coverage(C.first_of(mnist, 2, 3), 140),
        C.digit_coverage(C.first_of(mnist, 1), 140),
    )
    C.write_number(page, [two, one], 200, 320, gap_px=-6)
    (crop,) = extract_digits(C.to_frame(page))  # one merged crop: the case under test
    assert read_digits(C.to_frame(page), classifier).text == "21"


def _two_and_thin_one(mnist, gap_px):
    page = C.blank_page()
    two = C.digit_coverage(C.first_of(mnist, 2, 1), 140, width_scale=0.6)
    one = C.digit_coverage(C.first_of(mnist, 1, 15), 140)  # an upright 1, a thin stroke
    C.write_number(page, [two, one], 200, 320, gap_px=gap_px)
    return C.to_frame(page)


@pytest.mark.parametrize("gap_px", [-8, -2])
def test_a_two_touching_a_thin_one_reads_21(mnist, trained_artifacts, gap_px):
    classifier = load_classifier(trained_artifacts / "model_int8.tflite", verify=False)
    frame = _two_and_thin_one(mnist, gap_px)
    (crop,) = extract_digits(frame)
    assert crop.box[2] < 0.9 * crop.box[3]  # too narrow, as a whole, for two digits of MNIST width
    assert read_digits(frame, classifier).text == "21"


@pytest.mark.parametrize(("digit", "nth", "width_scale"), [(6, 1, 1.3), (4, 0, 1.2), (0, 1, 1.1)])
def test_a_single_digit_written_wide_offers_no_thin_one(mnist, digit, nth, width_scale):
    # The side of a 6, 4 or 0 is tall, and cut off it reads as a 1: it must be straight to be one.
    page = C.blank_page()
    C.place(
        page,
        C.digit_coverage(C.first_of(mnist, digit, nth), 120, width_scale=width_scale),
        200,
        150,
    )
    (crop,) = extract_digits(C.to_frame(page))
    assert crop.box[2] < 1.1 * crop.box[3] and crop.split(False) == ()
