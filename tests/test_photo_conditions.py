"""Segmentation on photo-like frames of MNIST digits: each condition real phone photos showed, and empty pages."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge_app.model import load_classifier
from edge_app.preprocess import detect_dark_ink, extract_digits
from edge_app.reader import read_digits
from synthetic import conditions as C


def _count(page: np.ndarray, seed: int = 0) -> int:
    return len(extract_digits(C.to_frame(page, seed)))


def test_faint_thin_pen_under_a_shadow_gradient_is_kept(mnist):
    page = C.blank_page()
    digits = [C.thin_strokes(C.digit_coverage(C.first_of(mnist, d), 110)) for d in (3, 7, 2)]
    C.write_number(page, digits, 120, 300, gap_px=60, darkness=0.3)
    C.shadow_gradient(page, darkest=0.45)
    assert _count(page) == 3


def test_small_zero_beside_a_tall_one_is_kept(mnist):
    page = C.blank_page()
    one = C.digit_coverage(C.first_of(mnist, 1), 200)
    zero = C.digit_coverage(C.first_of(mnist, 0), 80)  # 0.4 of the 1: a small, round 0
    C.write_number(page, [one, zero], 220, 360, gap_px=40)
    assert _count(page) == 2


def test_two_touching_digits_offer_a_split_into_both(mnist):
    page = C.blank_page()
    three, seven = (C.digit_coverage(C.first_of(mnist, d), 140) for d in (3, 7))
    C.write_number(page, [three, seven], 200, 320, gap_px=-18)  # overlapping strokes
    (crop,) = extract_digits(C.to_frame(page))
    left, right = crop.split(False)[0]  # the likeliest way: two digits
    assert left.box[0] < right.box[0]
    assert left.box[2] < 0.75 * crop.box[2] and right.box[2] < 0.75 * crop.box[2]


class _WideIsUnsure:
    """A classifier that is unsure of wide crops (two digits in one) and sure of single digits."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def predict(self, images: np.ndarray) -> np.ndarray:
        self.batches.append(len(images))
        probs = np.full((len(images), 10), 0.02, np.float32)
        for i, image in enumerate(images):
            cols = np.flatnonzero(image.max(axis=0) > 0.2)
            rows = np.flatnonzero(image.max(axis=1) > 0.2)
            wide = np.ptp(cols) > 1.2 * np.ptp(rows)
            probs[i, 4 if wide else 3] = 0.4 if wide else 0.9
        return probs


def test_reader_splits_touching_digits_when_the_halves_read_sure(mnist):
    page = C.blank_page()
    three, seven = (C.digit_coverage(C.first_of(mnist, d), 140) for d in (3, 7))
    C.write_number(page, [three, seven], 200, 320, gap_px=-18)
    classifier = _WideIsUnsure()
    reading = read_digits(C.to_frame(page), classifier)
    assert reading.text == "33" and classifier.batches == [1, 2]


class _WideIsSureAndWrong(_WideIsUnsure):
    """A classifier that reads two or more touching digits as one sure digit, as a real one may."""

    def predict(self, images: np.ndarray) -> np.ndarray:
        probs = super().predict(images)
        probs[probs == np.float32(0.4)] = 0.9
        return probs


@pytest.mark.parametrize(("digits", "gap_px"), [((3, 7), -18), ((5, 3, 7), -14)])
def test_touching_digits_read_sure_as_one_are_still_split(mnist, digits, gap_px):
    page = C.blank_page()
    coverages = [C.digit_coverage(C.first_of(mnist, d), 140) for d in digits]
    C.write_number(page, coverages, 60, 320, gap_px=gap_px)
    (crop,) = extract_digits(C.to_frame(page))  # one merged crop: the case under test
    assert read_digits(C.to_frame(page), _WideIsSureAndWrong()).text == "3" * len(digits)


def _touching(mnist, digits, height_px, gap_px, soft=False):
    """Return a frame of touching MNIST digits and each digit's span (x0, x1) in it."""
    page = C.blank_page()
    coverages = [C.digit_coverage(C.first_of(mnist, d), height_px) for d in digits]
    if soft:
        coverages = [C.soften(c) for c in coverages]
    C.write_number(page, coverages, 80, 320, gap_px=gap_px)
    starts = 80 + np.cumsum([0] + [c.shape[1] + gap_px for c in coverages[:-1]])
    return C.to_frame(page), [(x, x + c.shape[1]) for x, c in zip(starts, coverages, strict=True)]


def test_three_thick_touching_digits_are_cut_into_three(mnist):
    # Thick, overlapping strokes fill much of the group's wide box, as a bar's would: the group
    # must reach the reader, and each part must hold one digit.
    frame, spans = _touching(mnist, (4, 7, 2), 100, -20, soft=True)
    (crop,) = extract_digits(frame)
    reading = read_digits(frame, _WideIsUnsure())
    assert reading.text == "333"
    for digit, (x0, x1) in zip(reading.digits, spans, strict=True):
        assert x0 <= digit.box[0] + digit.box[2] / 2 <= x1


def test_three_touching_digits_read_as_three(mnist, trained_artifacts):
    classifier = load_classifier(trained_artifacts / "model_int8.tflite", verify=False)
    frame, _ = _touching(mnist, (4, 7, 2), 110, -10)
    (crop,) = extract_digits(frame)  # one merged crop: the case under test
    assert read_digits(frame, classifier).text == "472"


def test_a_zero_read_sure_is_not_cut_through_its_loop(mnist):
    page = C.blank_page()
    C.place(page, C.digit_coverage(C.first_of(mnist, 0, 1), 120, width_scale=1.5), 200, 150)
    (crop,) = extract_digits(C.to_frame(page))
    assert crop.split(True)  # wide enough to cut, and thin where the cut would go ...
    assert crop.split(False) == ()  # ... but only through the loop: its halves read as digits


@pytest.mark.parametrize("nth", [0, 2])
def test_a_flat_thick_two_is_kept(mnist, nth):
    page = C.blank_page()
    eight = C.soften(C.digit_coverage(C.first_of(mnist, 8), 106))
    two = C.soften(C.digit_coverage(C.first_of(mnist, 2, nth), 40, width_scale=3.0), 3, 5)
    C.write_number(page, [eight, two], 150, 330, gap_px=30)  # a flat 2, as USPS scans show some
    assert _count(page) == 2


@pytest.mark.parametrize("stroke", ["bar", "dash", "slash"])
def test_wide_bars_and_lines_are_not_digits(stroke):
    page = C.blank_page()
    coverage = np.zeros((40, 130), np.float32)
    if stroke == "bar":
        coverage[:] = 1.0
    else:  # a marker dash, or a thin slanted pen line, about as wide as a flat 2
        ends = ((2, 20), (127, 20)) if stroke == "dash" else ((2, 36), (127, 3))
        cv2.line(coverage, *ends, 1.0, 12 if stroke == "dash" else 5)
    C.place(page, coverage, 200, 200)
    assert _count(page) == 0


def test_paper_grain_at_a_hard_shadow_edge_is_not_a_digit(mnist):
    page = C.blank_page()
    C.hard_shadow(page, 380, depth=0.5)
    for seed in range(3):
        assert _count(page, seed) == 0
    one = C.thin_strokes(C.digit_coverage(C.first_of(mnist, 1), 120), passes=1)
    C.place(page, one, 300, 180)  # a thin 1 just before the shadow
    assert _count(page) == 1


@pytest.mark.parametrize("paper", ["squared", "ruled"])
def test_grid_and_ruled_lines_are_not_digits_and_do_not_hide_them(mnist, paper):
    page = C.blank_page()
    (C.squared_grid if paper == "squared" else C.ruled_lines)(page)
    assert _count(page) == 0
    digits = [C.digit_coverage(C.first_of(mnist, d), 100) for d in (5, 1, 8)]
    C.write_number(page, digits, 150, 330, gap_px=50)
    assert _count(page) == 3


@pytest.mark.parametrize("height_px", [70, 110])
def test_ruled_lines_broken_by_grain_are_taken_out(mnist, height_px):
    # Heavy grain breaks each line into runs and dashes that no longer span the frame as one piece.
    page = C.blank_page()
    C.ruled_lines(page, step_px=90, darkness=0.4)
    grain = 8.0
    assert [len(extract_digits(C.to_frame(page, s, grain=grain))) for s in (0, 1)] == [0, 0]
    digits = [C.digit_coverage(C.first_of(mnist, d), height_px) for d in (5, 4, 2)]
    C.write_number(page, digits, 150, 330, gap_px=50)
    assert [len(extract_digits(C.to_frame(page, s, grain=grain))) for s in (0, 1)] == [3, 3]


def test_big_digit_whose_tail_runs_off_the_frame_edge_is_kept(mnist):
    page = C.blank_page()
    two = C.digit_coverage(C.first_of(mnist, 2), 300)
    C.place(page, two, 640 - two.shape[1] + 12, 100)  # the end of its base runs off the right edge
    assert _count(page) == 1


@pytest.mark.parametrize("digit", [7, 8])
def test_small_digit_touching_the_frame_edge_is_kept(mnist, digit):
    page = C.blank_page()
    coverage = C.digit_coverage(C.first_of(mnist, digit), 70)  # a seventh of the frame's height
    C.place(page, coverage, -6, 200)  # its left end runs off the left edge
    assert _count(page) == 1


@pytest.mark.parametrize("digit", [0, 2, 3, 8])
@pytest.mark.parametrize("side", ["top", "bottom", "right"])
def test_digit_cut_by_the_frame_edge_along_a_stroke_is_kept(mnist, digit, side):
    # Cut through a loop or a bar, the stroke runs along the edge for much of the digit's width.
    page = C.blank_page()
    coverage = C.digit_coverage(C.first_of(mnist, digit), 120)
    h, w = coverage.shape
    past = int(0.08 * h)  # as much of it as a close-up loses past the edge
    x, y = {
        "top": (300, -past),
        "bottom": (300, page.shape[0] - h + past),
        "right": (page.shape[1] - w + past, 200),
    }[side]
    C.place(page, coverage, x, y)
    assert _count(page) == 1


@pytest.mark.parametrize("soft_px", [2, 6])
def test_hard_shadow_rim_reaching_the_frame_edge_is_not_a_digit(soft_px):
    # A slanted hand's shadow on a lit page: its rim is a dark sliver where it leaves the frame.
    page = C.blank_page()
    C.shadow_gradient(page, darkest=0.6)
    C.hard_shadow(page, 320, depth=0.5, soft_px=soft_px, angle_deg=60)
    for seed in range(3):
        assert _count(page, seed) == 0, seed


def test_short_thick_one_is_not_a_blob():
    page = C.blank_page()
    C.place(page, np.ones((90, 38), np.float32), 300, 200)  # a marker 1: a short, filled bar
    assert _count(page) == 1


def test_soft_thick_blurry_strokes_keep_their_digit_count(mnist):
    page = C.blank_page()
    digits = [C.soften(C.digit_coverage(C.first_of(mnist, d), 110)) for d in (9, 9, 3, 2)]
    C.write_number(page, digits, 40, 330, gap_px=8)
    assert _count(page) == 4


@pytest.mark.parametrize("paper", ["blank", "lined", "squared", "shadowed", "gradient"])
def test_empty_pages_read_nothing(paper):
    page = C.blank_page()
    {
        "blank": lambda p: None,
        "lined": C.ruled_lines,
        "squared": C.squared_grid,
        "shadowed": lambda p: C.hard_shadow(p, 300),
        "gradient": C.shadow_gradient,
    }[paper](page)
    for seed in range(3):
        assert _count(page, seed) == 0, seed


def _faint_pen(mnist, digits: tuple[int, ...], height_px: int) -> list[np.ndarray]:
    """A thin ballpoint's line (about 2 px at VGA) along each MNIST digit's strokes."""
    return [C.pen_line(C.digit_coverage(C.first_of(mnist, d), height_px), 2.0) for d in digits]


@pytest.mark.parametrize("angle_deg", [0, 15])
def test_faint_pen_on_the_shaded_side_of_a_hard_shadow_is_kept(mnist, angle_deg):
    page = C.blank_page()
    C.write_number(page, _faint_pen(mnist, (5, 8, 3), 80), 300, 290, gap_px=16, darkness=0.5)
    # The edge runs just left of the number: the cells there mix lit and shaded paper.
    C.hard_shadow(page, 270, depth=0.45, soft_px=8, angle_deg=angle_deg)
    for seed in range(3):
        assert _count(page, seed) == 3, seed


def test_a_number_a_hard_shadow_edge_runs_through_keeps_its_digits(mnist):
    page = C.blank_page()
    digits = [C.digit_coverage(C.first_of(mnist, d), 100) for d in (5, 8, 4, 0)]
    C.write_number(page, digits, 120, 300, gap_px=40)
    C.hard_shadow(page, 300, depth=0.5, soft_px=6, angle_deg=20)  # through the second digit
    assert _count(page) == 4


@pytest.mark.parametrize("depth", [0.4, 0.6])
def test_a_page_mostly_in_shadow_keeps_dark_ink(depth):
    page = C.blank_page()
    C.hard_shadow(page, 180, depth=depth, soft_px=4)  # two thirds of the page in shade
    gray = cv2.cvtColor(C.to_frame(page), cv2.COLOR_BGR2GRAY)
    assert detect_dark_ink(gray)
    assert _count(page) == 0


@pytest.mark.parametrize("table_level", [0.06, 0.12])
def test_faint_pen_beside_a_dark_table_is_kept(mnist, table_level):
    page = C.blank_page()
    C.write_number(page, _faint_pen(mnist, (3, 8, 6), 90), 220, 300, gap_px=30, darkness=0.25)
    page[:, -60:] = table_level * 255  # the table beyond the page's right edge
    for seed in range(3):
        assert _count(page, seed) == 3, seed
