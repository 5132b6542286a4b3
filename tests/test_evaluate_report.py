"""benchmarks.evaluate's failure report: too few / too many / wrong digits and false readings, per condition."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from benchmarks import breakdown, evaluate
from synthetic import conditions as C
from synthetic.labels import write_labels
from tests.tiny_tflite import tiny_classifier_tflite


class _AlwaysThree:
    """A classifier sure that every crop is a 3."""

    def predict(self, images: np.ndarray) -> np.ndarray:
        probs = np.full((len(images), 10), 0.01, np.float32)
        probs[:, 3] = 0.91
        return probs


def _rings(count: int) -> np.ndarray:
    """Return a frame of `count` hand-sized rings (0-like digits) spread across a page."""
    page = C.blank_page()
    for i in range(count):
        cv2.ellipse(page, (180 + 260 * i, 240), (40, 70), 0, 0, 360, 40.0, 12, cv2.LINE_AA)
    return C.to_frame(page)


# file: (rings drawn, expected text, conditions); the fake reads every ring as a 3
FIXTURE = {
    "exact.jpg": (1, "3", ["red_ink"]),
    "few.jpg": (1, "33", ["red_ink", "touching"]),
    "many.jpg": (2, "3", ["ruled_paper"]),
    "wrong.jpg": (1, "5", ["touching"]),
    "empty.jpg": (0, "", ["ruled_paper"]),
    "false.jpg": (1, "", ["ruled_paper"]),
}


@pytest.fixture(scope="module")
def fixture_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    for name, (rings, _, _) in FIXTURE.items():
        cv2.imwrite(str(folder / name), _rings(rings))
    labels = {name: text for name, (_, text, _) in FIXTURE.items()}
    write_labels(folder, labels, {name: cond for name, (_, _, cond) in FIXTURE.items()})
    return folder


@pytest.mark.parametrize(
    "truth, text, expected",
    [
        ("12", "12", breakdown.EXACT),
        ("12", "", breakdown.TOO_FEW),
        ("123", "13", breakdown.TOO_FEW),
        ("1", "11", breakdown.TOO_MANY),
        ("12", "17", breakdown.WRONG_DIGITS),
        ("12", "1?", breakdown.WRONG_DIGITS),
        ("", "", breakdown.EMPTY_READ),
        ("", "8", breakdown.FALSE_READING),
    ],
)
def test_outcome_names_why_a_reading_missed(truth, text, expected):
    assert breakdown.outcome(truth, text) == expected


def test_score_counts_each_failure_kind_per_condition(fixture_folder):
    conditions = {name: cond for name, (_, _, cond) in FIXTURE.items()}
    result = evaluate.score(
        evaluate.load_labelled(fixture_folder), _AlwaysThree(), conditions=conditions
    )
    assert (result.too_few, result.too_many, result.wrong_digits) == (1, 1, 1)
    rows = {row.condition: row for row in result.by_condition}
    assert [row.condition for row in result.by_condition] == [
        "all",
        "red_ink",
        "ruled_paper",
        "touching",
    ]
    assert (rows["all"].frames, rows["all"].exact, rows["all"].false_readings) == (6, 1, 1)
    red, ruled, touching = rows["red_ink"], rows["ruled_paper"], rows["touching"]
    assert (red.frames, red.exact, red.too_few, red.exact_match) == (2, 1, 1, 0.5)
    assert (ruled.number_frames, ruled.too_many, ruled.blank_frames, ruled.false_readings) == (
        1,
        1,
        2,
        1,
    )
    assert ruled.false_reading_rate == 0.5
    assert (touching.too_few, touching.wrong_digits, touching.exact) == (1, 1, 0)


def test_score_without_conditions_has_only_the_all_row(fixture_folder):
    result = evaluate.score(evaluate.load_labelled(fixture_folder), _AlwaysThree())
    assert [row.condition for row in result.by_condition] == ["all"]


def test_table_lists_every_condition_with_its_shares():
    outcomes = {"a": breakdown.EXACT, "b": breakdown.TOO_FEW, "c": breakdown.FALSE_READING}
    rows = breakdown.by_condition(outcomes, {"a": ["faint_pen"], "b": ["faint_pen"]})
    lines = breakdown.format_table(rows).splitlines()
    assert lines[0].split()[:3] == ["condition", "frames", "exact"]
    assert lines[1].split() == ["all", "3", "1/2", "50.0%", "1", "0", "0", "1/1", "100.0%"]
    assert lines[2].split() == ["faint_pen", "2", "1/2", "50.0%", "1", "0", "0", "-"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model_int8.tflite"
    path.write_bytes(tiny_classifier_tflite())
    return path


def test_command_line_prints_the_table_and_the_json(fixture_folder, tiny_model, capsys):
    args = ["--frames", str(fixture_folder), "--model", str(tiny_model), "--no-verify"]
    assert evaluate.main([*args, "--json"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    rows = {row["condition"]: row for row in report["by_condition"]}
    assert set(rows) == {"all", "red_ink", "ruled_paper", "touching"}
    kinds = ("exact", "too_few", "too_many", "wrong_digits")
    assert sum(rows["all"][k] for k in kinds) == rows["all"]["number_frames"] == 4
    assert report["too_few"] == rows["all"]["too_few"]
    (few,) = [line for line in out.err.splitlines() if line.startswith("miss few.jpg")]
    assert "red_ink touching" in few  # a miss says under which conditions it was drawn
    assert evaluate.main(args) == 0
    text = capsys.readouterr().out
    table = text[text.index("condition") :].splitlines()
    assert [line.split()[0] for line in table[1:]] == ["all", "red_ink", "ruled_paper", "touching"]
    assert "exact_match:" in text and "too_few:" in text
