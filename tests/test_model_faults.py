"""Model load checks: odd but valid models, odd paths and absurd thread counts fail in one line."""

from __future__ import annotations

import os
import resource

import pytest

from edge_app.errors import UserError
from edge_app.model import load_classifier
from edge_app.runtime import Classifier
from tests.conftest import run_module
from tests.odd_tflite import color_input_model, tile_bomb_model, two_row_output_model
from tests.tiny_tflite import tiny_classifier_tflite


@pytest.mark.parametrize(
    ("build", "said"),
    [
        (color_input_model, "input [1, 28, 28, 3]"),
        (two_row_output_model, "output [1, 2, 10]"),
        (tile_bomb_model, "GiB"),
    ],
)
def test_odd_models_fail_the_load_check_in_one_line(tmp_path, build, said):
    path = tmp_path / "odd.tflite"
    path.write_bytes(build())
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(UserError) as e:
        Classifier(path).predict(__import__("numpy").zeros((1, 28, 28), "float32"))
    assert said in str(e.value) and "\n" not in str(e.value)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib) / 1024
    assert grown_mib < 500, f"the check came too late: the process grew {grown_mib:.0f} MiB"


def test_the_tiny_model_still_loads(tmp_path):
    path = tmp_path / "tiny.tflite"
    path.write_bytes(tiny_classifier_tflite())
    assert Classifier(path).predict(__import__("numpy").zeros((3, 28, 28))).shape == (3, 10)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        ("fifo", "is a FIFO"),
        ("devnull", "is a character device"),
        ("loop", "symlink loop"),
        ("long", "name too long"),
    ],
)
def test_odd_model_paths_say_what_they_are(tmp_path, make, said):
    path = {"devnull": "/dev/null", "long": str(tmp_path / ("m" * 300 + ".tflite"))}.get(
        make, str(tmp_path / "model.tflite")
    )
    if make == "fifo":
        os.mkfifo(path)
    elif make == "loop":
        os.symlink(path, path)
    with pytest.raises(UserError) as e:
        load_classifier(path, verify=False)
    assert said in str(e.value) and "not found" not in str(e.value)


def test_absurd_thread_count_is_refused_by_argparse():
    done = run_module("edge_app", "--source", "0", "--threads", "100000", timeout=60)
    assert done.returncode == 2 and "--threads" in done.stderr
    assert "Traceback" not in done.stderr and "from 1 to" in done.stderr
