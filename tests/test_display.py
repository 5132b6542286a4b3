"""Without a usable window the app says why and what to do, and never switches output silently."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from edge_app.sinks import window
from tests.conftest import run_module
from tests.tiny_tflite import write_tiny_model

HEADLESS_BUILD = re.search(r"GUI:\s+NONE", cv2.getBuildInformation()) is not None
needs_headless_build = pytest.mark.skipif(
    not HEADLESS_BUILD, reason="this OpenCV has a GUI: the headless-build message cannot be shown"
)
FAKE_DISPLAY = {"DISPLAY": ":99", "WAYLAND_DISPLAY": ""}  # a display is "there"; OpenCV decides


@pytest.fixture
def image_and_model(tmp_path):
    image = tmp_path / "frame.png"
    cv2.imwrite(str(image), np.full((120, 160, 3), 255, np.uint8))
    model = write_tiny_model(tmp_path / "tiny.tflite")  # with a manifest, as convert leaves it
    return str(image), str(model)


def test_no_display_variable_is_named(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert window.display_problem() == window.NO_DISPLAY


@needs_headless_build
def test_headless_opencv_with_a_display_is_named(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":99")
    problem = window.display_problem()
    assert problem == window.NO_GUI and "pip install opencv-python" in problem


@needs_headless_build
def test_window_impossible_is_exit_2_with_the_fix_and_no_json(image_and_model):
    image, model = image_and_model
    done = run_module("edge_app", "--source", image, "--model", model, env=FAKE_DISPLAY)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot open a window: this OpenCV build has no GUI support")
    assert "pip uninstall -y opencv-python-headless && pip install opencv-python" in last
    assert "--headless" in last and "--serve" in last
    assert done.stdout == ""  # no silent switch to JSON lines
    assert "Traceback" not in done.stderr


@needs_headless_build
def test_serve_without_a_window_says_so_once_and_prints_no_json(image_and_model):
    image, model = image_and_model
    done = run_module("edge_app", "--source", image, "--model", model, "--no-verify",
                      "--serve", "127.0.0.1:0", "--no-realtime", env=FAKE_DISPLAY)  # fmt: skip
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if "no window" in line]
    assert len(notes) == 1 and "no GUI support" in notes[0] and "web view" in notes[0]
    assert done.stdout == ""


def test_headless_needs_no_display(image_and_model):
    image, model = image_and_model
    done = run_module("edge_app", "--source", image, "--model", model, "--headless",
                      "--no-verify", env={"DISPLAY": "", "WAYLAND_DISPLAY": ""})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "no window" not in done.stderr
