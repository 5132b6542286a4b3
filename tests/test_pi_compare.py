"""The emulated-Pi check's comparison of x86 and arm64 readings (deploy/pi/compare_readings.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "compare_readings", ROOT / "deploy" / "pi" / "compare_readings.py"
)
compare_readings = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_readings)


def _write(path: Path, digits: list[tuple[int | None, float]]) -> Path:
    row = {
        "frame": 0,
        "source": "frame_0000.jpg",
        "text": "".join("?" if d is None else str(d) for d, _ in digits),
        "digits": [{"digit": d, "confidence": c, "box": [10, 10, 20, 30]} for d, c in digits],
    }
    path.write_text(json.dumps(row) + "\n")
    return path


def test_identical_readings_agree(tmp_path):
    a = _write(tmp_path / "a.jsonl", [(4, 0.9), (2, 0.8)])
    b = _write(tmp_path / "b.jsonl", [(4, 0.9), (2, 0.79)])
    assert compare_readings.compare_jsonl(a, b)[0]


def test_a_digit_on_the_confidence_line_may_be_unsure_on_one_cpu(tmp_path):
    a = _write(tmp_path / "a.jsonl", [(4, 0.9), (2, 0.502)])
    b = _write(tmp_path / "b.jsonl", [(4, 0.9), (None, 0.498)])
    identical, summary = compare_readings.compare_jsonl(a, b)
    assert identical and "on the --min-confidence line" in summary


def test_other_differences_fail(tmp_path):
    a = _write(tmp_path / "a.jsonl", [(4, 0.9), (2, 0.8)])
    for other in ([(4, 0.9), (3, 0.8)], [(4, 0.9), (None, 0.3)], [(4, 0.9)]):
        b = _write(tmp_path / "b.jsonl", other)
        assert not compare_readings.compare_jsonl(a, b)[0], other
