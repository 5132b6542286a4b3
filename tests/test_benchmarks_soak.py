"""benchmarks/soak.py, short: the reader's memory stays bounded over 700 frames of looping video."""

from __future__ import annotations

import json

from tests.conftest import run_module
from tests.tiny_tflite import tiny_classifier_tflite

SOAK_FRAMES = 700
MAX_RSS_GROWTH_MB = 20.0


def test_short_soak_keeps_rss_growth_under_bound(tmp_path):
    model = tmp_path / "model_int8.tflite"
    model.write_bytes(tiny_classifier_tflite())
    out = tmp_path / "soak.json"
    result = run_module(
        "benchmarks/soak.py",
        "--frames",
        str(SOAK_FRAMES),
        "--video-frames",
        "8",
        "--model",
        str(model),
        "--json",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert sum(w["frames"] for w in data["windows"]) == SOAK_FRAMES
    assert {"frames", "p50_ms", "p99_ms", "fps"} <= set(data["windows"][0])
    assert data["rss_end_mb"] - data["rss_start_mb"] < MAX_RSS_GROWTH_MB


def test_soak_missing_model_is_one_line_exit_2(tmp_path):
    result = run_module(
        "benchmarks/soak.py", "--frames", "10", "--model", str(tmp_path / "none.tflite")
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_soak_unwritable_json_fails_before_the_run(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("a file, not a folder")
    result = run_module(
        "benchmarks/soak.py", "--frames", "10", "--json", str(not_a_folder / "soak.json")
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot write --json")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
