"""Every command answers a user mistake with a usage line and exit 2, never a traceback."""

from __future__ import annotations

import pytest

from tests.conftest import run_module

MISSING = "/nonexistent/path"


@pytest.fixture(scope="module")
def one_frame(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    made = run_module("synthetic", "--out", str(folder), "--count", "1", "--styles", "font")
    assert made.returncode == 0, made.stderr
    return folder


CASES = {
    "train unknown flag": (["train", "--bogus"], "unrecognized arguments"),
    "train epochs 0": (["train", "--epochs", "0"], "whole number >= 1"),
    "train negative seed": (["train", "--seed", "-1"], "--seed"),
    "train missing data": (["train", "--data-dir", MISSING], "does not exist"),
    "convert max-drop -1": (["convert", "--max-drop", "-1"], "--max-drop"),
    "convert unknown flag": (["convert", "--bogus"], "unrecognized arguments"),
    "convert missing model": (["convert", "--model", f"{MISSING}.keras"], "does not exist"),
    "edge_app threads 0": (["edge_app", "--source", "0", "--threads", "0"], "--threads"),
    "edge_app roi malformed": (["edge_app", "--source", "0", "--roi", "1,2"], "--roi"),
    "edge_app unknown flag": (["edge_app", "--source", "0", "--bogus"], "unrecognized arguments"),
    "edge_app missing model": (
        ["edge_app", "--source", "0", "--model", f"{MISSING}.tflite"],
        "does not exist",
    ),
    "latency threads 0": (["benchmarks/latency.py", "--threads", "0"], "--threads"),
    "latency unknown flag": (["benchmarks/latency.py", "--bogus"], "unrecognized arguments"),
    "latency missing artifacts": (
        ["benchmarks/latency.py", "--artifacts", MISSING],
        "python -m convert",
    ),
    "soak frames 0": (["benchmarks/soak.py", "--frames", "0"], "--frames"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_user_mistake_exits_2_with_one_clear_line(case, tmp_path):
    (command, *args), expected = CASES[case]
    result = run_module(command, *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir()), "a failed command must not write anything"


def test_edge_app_roi_outside_the_frame(one_frame, tiny_artifacts, tmp_path):
    model = tiny_artifacts / "model_int8.tflite"
    result = run_module(
        "edge_app",
        "--source",
        str(one_frame),
        "--headless",
        "--model",
        str(model),
        "--roi",
        "5000,5000,10,10",
    )
    assert result.returncode == 2
    assert "--roi 5000,5000,10,10 is not inside the 640x480 frame" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_edge_app_missing_source(tiny_artifacts):
    model = tiny_artifacts / "model_int8.tflite"
    result = run_module(
        "edge_app", "--source", f"{MISSING}.jpg", "--headless", "--model", str(model)
    )
    assert (
        result.returncode == 2
        and "does not exist" in result.stderr
        and "Traceback" not in result.stderr
    )
