"""Outputs under faults: read-only or full --save-dir, a closed or full stdout, the umask of files."""

from __future__ import annotations

import errno
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_app.artifacts import atomic_write_bytes
from edge_app.errors import UserError
from edge_app.reader import Reading
from edge_app.result import FrameResult
from edge_app.sinks.save import SaveSink
from tests.conftest import ROOT
from tests.tiny_tflite import tiny_classifier_tflite


@pytest.fixture()
def app_inputs(tmp_path) -> tuple[Path, Path]:
    model = tmp_path / "tiny.tflite"
    model.write_bytes(tiny_classifier_tflite())
    image = tmp_path / "seven.png"
    cv2.imwrite(str(image), np.full((60, 60, 3), 255, np.uint8))
    return model, image


def _app(model: Path, image: Path, *extra: str, **popen) -> subprocess.Popen:
    args = [sys.executable, "-m", "edge_app", "--source", str(image), "--model", str(model)]
    args += ["--headless", "--no-verify", "--loop", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(args, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True, **popen)


def test_pipe_closed_by_head_is_one_line_not_a_traceback(app_inputs):
    app = _app(*app_inputs, stdout=subprocess.PIPE)
    first = app.stdout.readline()
    app.stdout.close()  # what `| head -1` does after its line
    stderr = app.stderr.read()
    assert app.wait(timeout=60) == 1
    assert first.startswith("{") and "Traceback" not in stderr and "Exception" not in stderr
    assert "stdout was closed" in stderr


@pytest.mark.parametrize("target", ["/dev/full", "closed"])
def test_full_or_closed_stdout_is_one_line(app_inputs, target):
    if target == "closed":
        # The shell's `>&-`: Python starts with no fd 1 and sets sys.stdout to None.
        code = "import os, runpy, sys; os.close(1); sys.stdout = None; sys.argv = sys.argv[1:]; runpy.run_module('edge_app', run_name='__main__')"
        model, image = app_inputs
        args = [sys.executable, "-c", code, "edge_app", "--source", str(image)]
        args += ["--model", str(model), "--headless", "--no-verify", "--max-frames", "3"]
        done = subprocess.run(
            args, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True
        )
        stderr, code = done.stderr, done.returncode
    else:
        with open(target, "w") as full:
            app = _app(*app_inputs, "--max-frames", "3", stdout=full)
            stderr, code = app.stderr.read(), app.wait(timeout=60)
    assert code == 2 and "Traceback" not in stderr and "Exception" not in stderr, stderr
    assert "stdout" in stderr


def test_read_only_save_dir_is_refused_up_front():
    with pytest.raises(UserError) as e:
        SaveSink("/sys")  # root can write anywhere but here
    assert "--save-dir" in str(e.value) and "\n" not in str(e.value)


def _result(frame: int) -> FrameResult:
    return FrameResult(frame=frame, source="cam", reading=Reading(text=""), text="", fps=0.0)


def test_full_disk_mid_run_warns_once_and_stops_saving(tmp_path, monkeypatch, caplog):
    sink = SaveSink(tmp_path)
    image = np.zeros((40, 40, 3), np.uint8)
    sink.handle(_result(0), image)
    real = Path.write_bytes

    def full(self, data):
        real(self, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with caplog.at_level(logging.WARNING):
        for frame in range(1, 5):
            sink.handle(_result(frame), image)
    warnings = [r for r in caplog.records if "stopped saving" in r.getMessage()]
    assert len(warnings) == 1 and "No space left" in warnings[0].getMessage()
    assert sorted(os.listdir(tmp_path)) == ["000000_cam.jpg"]  # no half-written frame, no temp


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_atomic_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = atomic_write_bytes(tmp_path / "x.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode
