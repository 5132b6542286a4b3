"""benchmarks.same_readings: the comparison that guards speed-ups finds every kind of difference."""

from __future__ import annotations

from benchmarks.same_readings import compare, main


def _reading(text: str, confidence: float = 0.9, crop: bytes = b"\0") -> tuple:
    return text, [(int(c), confidence, (0, 0, 5, 9)) for c in text], [crop] * len(text)


def test_identical_readings_have_no_difference():
    frames = {"a.jpg": _reading("42"), "b.jpg": _reading("")}
    assert compare(frames, dict(frames)) == []


def test_text_digits_and_crops_each_count_as_a_difference():
    old = {"a.jpg": _reading("42"), "b.jpg": _reading("7"), "c.jpg": _reading("1")}
    new = {
        "a.jpg": _reading("43"),
        "b.jpg": _reading("7", confidence=0.91),
        "c.jpg": _reading("1", crop=b"\1"),
    }
    diffs = compare(old, new)
    assert [d.split(":")[0] for d in diffs] == ["a.jpg", "b.jpg", "c.jpg"]
    assert "text" in diffs[0] and "digits" in diffs[1] and "crops" in diffs[2]


def test_a_missing_model_is_one_line(tmp_path, capsys):
    assert main(["--model", str(tmp_path / "none.tflite")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err
