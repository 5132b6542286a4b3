"""`python -m convert` on bad input: one `error:` line, exit 2, nothing written to --out."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_module


def assert_one_line_error(proc_or_err: str, *needles: str) -> None:
    lines = [line for line in proc_or_err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, proc_or_err
    assert "Traceback" not in proc_or_err
    for needle in needles:
        assert needle in errors[0], errors[0]


def run_convert(*args: str):
    # No MNIST or TensorFlow is needed to reject these: they fail before any heavy import.
    return run_module("convert", *args, env={"MNIST_DIR": "/nonexistent-mnist"})


def test_help_runs():
    proc = run_module("convert", "--help")
    assert proc.returncode == 0
    for flag in ("--model", "--out", "--max-drop", "--min-agreement", "--baseline", "--variants"):
        assert flag in proc.stdout


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--max-drop", "-1"], "--max-drop"),
        (["--max-drop", "nan"], "--max-drop"),
        (["--min-agreement", "1.5"], "--min-agreement"),
        (["--variants", "float32,int4"], "--variants"),
        (["--variants", ""], "--variants"),
        (["--variants", "int8,int8"], "--variants"),
        (["--no-such-flag"], "--no-such-flag"),
    ],
)
def test_bad_flag_values(tmp_path, flags, needle):
    out = tmp_path / "out"
    proc = run_convert("--model", str(tmp_path / "model.keras"), "--out", str(out), *flags)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, needle)
    assert not out.exists()


def test_missing_model(tmp_path):
    out = tmp_path / "out"
    proc = run_convert("--model", str(tmp_path / "nope.keras"), "--out", str(out))
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "does not exist", "python -m train")
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("model.keras", b"this is not a zip"), ("model.h5", b"\x89HDF\r\n"), ("model.keras", b"")],
)
def test_non_keras_file(tmp_path, name, content):
    model = tmp_path / name
    model.write_bytes(content)
    out = tmp_path / "out"
    proc = run_convert("--model", str(model), "--out", str(out))
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "not a Keras .keras model")
    assert not out.exists()


def test_unwritable_out(tmp_path):
    model = tmp_path / "model.keras"
    with zipfile.ZipFile(model, "w") as archive:
        archive.writestr("config.json", "{}")
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    proc = run_convert("--model", str(model), "--out", str(blocker / "out"))
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "cannot write to output folder")


def test_c_array_needs_int8(tmp_path):
    proc = run_convert(
        "--model",
        str(tmp_path / "m.keras"),
        "--out",
        str(tmp_path),
        "--variants",
        "float32",
        "--c-array",
    )
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "--c-array")


def test_missing_baseline(tmp_path):
    model = tmp_path / "model.keras"
    with zipfile.ZipFile(model, "w") as archive:
        archive.writestr("config.json", "{}")
    out = tmp_path / "out"
    proc = run_convert(
        "--model", str(model), "--out", str(out), "--baseline", str(tmp_path / "b.json")
    )
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "--baseline")
    assert list(Path(out).iterdir()) == []


def test_first_line_is_the_plan_and_last_lines_name_the_files_and_next_step(
    tiny_artifacts, tmp_path, capsys
):
    from convert.__main__ import main

    out = tmp_path / "out"
    lax = [
        "--max-drop",
        "100",
        "--min-agreement",
        "0",
    ]  # a 1-epoch model: the gate is not tested here
    args = ["--model", str(tiny_artifacts / "model.keras"), "--out", str(out), *lax]
    assert main([*args, "--variants", "float32,int8"]) == 0, capsys.readouterr().err
    lines = capsys.readouterr().out.strip().splitlines()
    plan, *middle, opened, next_step = lines
    assert str(out) in plan and "convert_report.md" in plan and "float32, int8" in plan
    assert any(line.startswith("converting int8") for line in middle)
    assert [line.split()[0] for line in middle[-2:]] == ["float32", "int8"]
    assert "KiB" in middle[-1] and "%" in middle[-1] and "model_int8.tflite" in middle[-1]
    for name in ("convert_report.md", "confusion_int8.png", "manifest.json"):
        assert str(out / name) in opened and (out / name).is_file()
    assert "python benchmarks/latency.py" in next_step
    assert f"python -m edge_app --source 0 --model {out / 'model_int8.tflite'}" in next_step
