"""The counter rule (--monotonic, --max-step): what is held back, what the JSON says, and on the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

import synthetic
from edge_app.__main__ import main
from edge_app.app import AppOptions, run
from edge_app.plausibility import CounterCheck, CounterRule
from edge_app.reader import Digit, Reading
from edge_app.sources import Frame
from tests.tiny_tflite import tiny_classifier_tflite


def reported(rule: CounterRule, texts: list[str]) -> list[tuple[str, bool]]:
    check = CounterCheck(rule)
    return [check.update(t) for t in texts]


def test_a_counter_never_goes_down():
    assert reported(CounterRule(), ["100", "101", "99", "101", "250", "7"]) == [
        ("100", True), ("101", True), ("101", False), ("101", True), ("250", True), ("250", False),
    ]  # fmt: skip


def test_max_step_holds_back_a_leap_but_accepts_the_step_limit():
    assert reported(CounterRule(max_step=5), ["100", "105", "111", "110", "106"]) == [
        ("100", True), ("105", True), ("105", False), ("110", True), ("110", False),
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["", "1?3", "?", "12 3", "١٢"])  # not a whole number in 0-9
def test_what_is_not_a_number_is_held_back(text):
    assert reported(CounterRule(), ["0042", text, "0043"]) == [
        ("0042", True), ("0042", False), ("0043", True),  # leading zeros kept, compared as 42 < 43
    ]  # fmt: skip


def test_before_any_good_reading_nothing_is_reported():
    assert reported(CounterRule(max_step=1), ["?", "9000"]) == [("", False), ("9000", True)]


def test_frame_loop_reports_the_held_value_and_marks_the_json(monkeypatch):
    texts = iter(["12", "11", "13"])  # what the frames read, in order
    monkeypatch.setattr(
        "edge_app.app.read_digits",
        lambda image, classifier, options: Reading(
            (t := next(texts)), tuple(Digit(int(c), 0.9, (0, 0, 1, 1)) for c in t), {}
        ),
    )
    frames = [Frame(image=np.zeros((8, 8, 3), np.uint8), name="f", index=i) for i in range(3)]

    class Collect:
        def __init__(self):
            self.objects = []

        def handle(self, result, frame):
            self.objects.append(result.to_json())

        def close(self):
            pass

    sink = Collect()
    run(frames, None, AppOptions(counter=CounterRule()), [sink])
    assert [(o["text"], o["plausible"]) for o in sink.objects] == [
        ("12", True), ("12", False), ("13", True),
    ]  # fmt: skip
    assert [d["digit"] for d in sink.objects[1]["digits"]] == [1, 1]  # what the frame saw
    sink_off = Collect()
    texts = iter(["12", "11", "13"])
    run(frames, None, AppOptions(), [sink_off])
    assert all("plausible" not in o for o in sink_off.objects)  # the default contract is unchanged


def test_cli_monotonic_holds_back_readings_that_go_down(tmp_path, capsys):
    frames = tmp_path / "frames"
    synthetic.generate(frames, 10, seed=3, options=synthetic.SceneOptions(no_digit_fraction=0.0))
    model = tmp_path / "model_int8.tflite"
    model.write_bytes(tiny_classifier_tflite())
    common = ["--source", str(frames), "--model", str(model), "--headless", "--no-verify",
              "--min-confidence", "0"]  # fmt: skip
    assert main(common) == 0
    raw = [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()]
    assert main([*common, "--monotonic", "--max-step", "500"]) == 0
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(objects) == len(raw) == 10
    last_good, last_text = None, ""
    for obj, seen in zip(objects, raw, strict=True):
        if obj["plausible"]:
            assert obj["text"] == seen and (last_good is None or 0 <= int(seen) - last_good <= 500)
            last_good, last_text = int(seen), seen
        else:
            assert obj["text"] == last_text, (obj, raw)
    assert any(not o["plausible"] for o in objects) and any(o["plausible"] for o in objects), raw


def test_cli_max_step_needs_monotonic(capsys):
    assert main(["--source", "0", "--max-step", "5"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --max-step needs --monotonic (it limits how far a counter may rise)"
    )
