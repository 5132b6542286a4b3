"""`python -m edge_app` end to end: the --headless JSON contract on a folder and a video, no TensorFlow,
bad models and flags (one line, exit 2), golden images, and reading accuracy with a trained model.

Reading-accuracy tests use the int8 model of the session's `trained_artifacts` (the real train and
convert command lines, see conftest; $MNIST_EDGE_ARTIFACTS reuses a full run). Everything else runs
on a tiny random-weight model built here without TensorFlow.

Regenerate the golden images (tests/data/golden_*.jpg and golden.json) with
`python -c "from tests.test_edge_cli import make_golden; make_golden()"` and check their readings
with a trained model before committing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import synthetic
import synthetic.__main__ as synthetic_cli
from edge_app.__main__ import main
from tests.conftest import ROOT, run_module
from tests.tiny_tflite import tiny_classifier_tflite, write_tiny_model

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = {"golden_42.jpg": ("42", 11), "golden_2026.jpg": ("2026", 12), "golden_7.jpg": ("7", 13)}
GOLDEN_BLANK = ("golden_blank.jpg", 14)
GOLDEN_SIZE_PX = (400, 300)  # small files (a few KB) that still look like a webcam frame
JSON_KEYS = ["frame", "source", "text", "digits", "latency_ms"]
SMALL_SET = 24  # frames in the end-to-end set (the >= 300-frame run is benchmarks.evaluate)
MIN_SEGMENTED = 0.9  # share of frames where the reader finds exactly the digits drawn
MIN_EXACT_MATCH = 0.85  # whole-number accuracy on the small set with a trained model
CTRL_C_EXIT_S = 300.0  # generous: the app stops in well under a second, but CI machines get busy


@pytest.fixture(scope="module")
def trained_model(trained_artifacts) -> Path:
    """The trained int8 model to check readings with."""
    return trained_artifacts / "model_int8.tflite"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("model") / "model_int8.tflite")


@pytest.fixture(scope="module")
def frames_dir(tmp_path_factory) -> Path:
    """A small camera-like set (pen strokes; MNIST digits too when $MNIST_DIR is set).

    Without the real-photo conditions: the reader's accuracy on those is measured per condition by
    benchmarks.evaluate and tested one condition at a time in test_photo_conditions.
    """
    folder = tmp_path_factory.mktemp("frames")
    options = synthetic.SceneOptions(no_digit_fraction=0.2, conditions=())
    synthetic.generate(
        folder, SMALL_SET, seed=11, options=options, mnist_dir=os.environ.get("MNIST_DIR")
    )
    return folder


def _json_lines(stdout: str) -> list[dict]:
    lines = stdout.splitlines()
    assert lines, "no JSON on stdout"
    return [json.loads(line) for line in lines]  # anything else on stdout fails here


def _check_contract(objects: list[dict], frame_shape: tuple[int, int]) -> None:
    h, w = frame_shape
    for i, obj in enumerate(objects):
        assert list(obj) == JSON_KEYS and obj["frame"] == i
        assert list(obj["latency_ms"]) == ["preprocess", "inference", "total"]
        assert len(obj["text"]) == len(obj["digits"])
        for d in obj["digits"]:
            assert list(d) == ["digit", "confidence", "box"]
            assert d["digit"] is None or 0 <= d["digit"] <= 9
            x, y, bw, bh = d["box"]
            assert x >= 0 and y >= 0 and x + bw <= w and y + bh <= h


def test_headless_folder_json_contract_and_segmentation(frames_dir, tiny_model):
    proc = run_module(
        "edge_app",
        "--source",
        str(frames_dir),
        "--model",
        str(tiny_model),
        "--headless",
        "--min-confidence",
        "0",
    )
    assert proc.returncode == 0, proc.stderr
    objects = _json_lines(proc.stdout)
    labels = json.loads((frames_dir / "labels.json").read_text())
    assert [o["source"] for o in objects] == sorted(labels)
    _check_contract(objects, synthetic.FRAME_SIZE_PX[::-1])
    found = [len(o["digits"]) == len(labels[o["source"]]) for o in objects]
    assert sum(found) >= MIN_SEGMENTED * len(found)


def test_headless_video_with_max_frames_loop_and_save_dir(frames_dir, tiny_model, tmp_path):
    video = tmp_path / "clip.avi"
    assert synthetic.write_video(frames_dir, video) == SMALL_SET
    saved = tmp_path / "saved"
    proc = run_module(
        "edge_app",
        "--source",
        str(video),
        "--model",
        str(tiny_model),
        "--headless",
        "--loop",
        "--max-frames",
        str(SMALL_SET + 5),
        "--save-dir",
        str(saved),
    )
    assert proc.returncode == 0, proc.stderr
    objects = _json_lines(proc.stdout)
    assert len(objects) == SMALL_SET + 5 and {o["source"] for o in objects} == {"clip.avi"}
    _check_contract(objects, synthetic.FRAME_SIZE_PX[::-1])
    assert len(list(saved.glob("*.jpg"))) == SMALL_SET + 5


def test_running_the_app_never_imports_tensorflow(frames_dir, tiny_model):
    code = (
        "import sys\n"
        "from edge_app.__main__ import main\n"
        f"rc = main(['--source', {str(frames_dir)!r}, '--model', {str(tiny_model)!r}, "
        "'--headless', '--max-frames', '2'])\n"
        "assert rc == 0, rc\n"
        "assert 'tensorflow' not in sys.modules, 'edge_app imported tensorflow'\n"
        "print('ok', file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stderr


def _one_line_error(capsys, argv: list[str], code: int = 2, match: str = "") -> str:
    assert main(argv) == code
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and re.search(match, err[0]), err
    return err[0]


def test_bad_models_are_one_line_errors(tmp_path, capsys, frames_dir, tiny_model):
    # --no-verify: these files are not in any manifest; what is checked is loading them.
    src = ["--source", str(frames_dir), "--headless", "--max-frames", "1", "--no-verify"]
    _one_line_error(
        capsys, [*src, "--model", str(tmp_path / "missing.tflite")], match="does not exist"
    )
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    _one_line_error(capsys, [*src, "--model", str(empty)], match="empty")
    noise = tmp_path / "noise.tflite"
    noise.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    _one_line_error(capsys, [*src, "--model", str(noise)])
    cut = tmp_path / "cut.tflite"
    cut.write_bytes(tiny_model.read_bytes()[:2000])
    _one_line_error(capsys, [*src, "--model", str(cut)])
    wrong = tmp_path / "wrong.tflite"
    wrong.write_bytes(tiny_classifier_tflite(side=32))
    _one_line_error(capsys, [*src, "--model", str(wrong)], match="28x28")


def test_bad_flags_and_sources(tmp_path, capsys, frames_dir, tiny_model):
    base = ["--model", str(tiny_model), "--headless"]
    for bad in (["--threads", "0"], ["--min-confidence", "2"], ["--roi", "1,2,3"], ["--bogus"]):
        with pytest.raises(SystemExit) as e:
            main(["--source", str(frames_dir), *base, *bad])
        assert e.value.code == 2
        assert "usage:" in capsys.readouterr().err
    _one_line_error(capsys, ["--source", str(tmp_path / "nope"), *base], match="does not exist")
    _one_line_error(
        capsys, ["--source", str(frames_dir), *base, "--roi", "600,400,100,100"], match="--roi"
    )
    _one_line_error(capsys, ["--source", "9", *base], match="cannot open camera 9")


def make_golden(folder: Path = DATA) -> None:
    """Write the golden frames: fonts and pen strokes only, so no MNIST is needed to rebuild them."""
    folder.mkdir(parents=True, exist_ok=True)
    options = synthetic.SceneOptions(size=GOLDEN_SIZE_PX, styles=("font", "stroke"))
    expected = {}
    for name, (text, seed) in [*GOLDEN.items(), (GOLDEN_BLANK[0], ("", GOLDEN_BLANK[1]))]:
        frame, truth = synthetic.make_frame(text, np.random.default_rng(seed), options)
        cv2.imwrite(str(folder / name), frame, [cv2.IMWRITE_JPEG_QUALITY, 60])
        expected[name] = truth
    (folder / "golden.json").write_text(json.dumps(expected, indent=2) + "\n")


def _golden() -> dict[str, str]:
    return json.loads((DATA / "golden.json").read_text())


def test_golden_images_segment_into_their_digits():
    from edge_app.preprocess import extract_digits

    for name, text in _golden().items():
        frame = cv2.imread(str(DATA / name))
        assert frame is not None and (DATA / name).stat().st_size < 40_000
        assert len(extract_digits(frame)) == len(text), name


def test_golden_images_read_with_the_trained_model(trained_model):
    from edge_app.model import load_classifier
    from edge_app.reader import read_digits

    classifier = load_classifier(trained_model, verify=False)
    for name, text in _golden().items():
        assert read_digits(cv2.imread(str(DATA / name)), classifier).text == text, name


def test_reading_accuracy_end_to_end(frames_dir, trained_model):
    proc = run_module(
        "edge_app",
        "--source",
        str(frames_dir),
        "--model",
        str(trained_model),
        "--headless",
        "--no-verify",
    )
    assert proc.returncode == 0, proc.stderr
    labels = json.loads((frames_dir / "labels.json").read_text())
    objects = _json_lines(proc.stdout)
    blanks = [o for o in objects if labels[o["source"]] == ""]
    numbers = [o for o in objects if labels[o["source"]] != ""]
    assert all(o["text"] == "" for o in blanks)
    hits = sum(o["text"] == labels[o["source"]] for o in numbers)
    assert hits >= MIN_EXACT_MATCH * len(numbers), f"{hits}/{len(numbers)} read exactly"


def test_ctrl_c_ends_cleanly(frames_dir, tiny_model):
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    args = ["--source", str(frames_dir), "--model", str(tiny_model), "--headless", "--loop"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge_app", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    first = proc.stdout.readline()  # the app is running once it has printed a frame
    assert json.loads(first)["frame"] == 0
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=CTRL_C_EXIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"still running {CTRL_C_EXIT_S:.0f} s after Ctrl-C; stderr:\n{err[-2000:]}")
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "interrupted" in err
    for line in out.splitlines()[:-1]:  # every complete line is a whole JSON object
        json.loads(line)


def test_synthetic_and_evaluate_command_lines(tmp_path, capsys, tiny_model):
    from benchmarks import evaluate

    out = tmp_path / "frames"
    assert (
        synthetic_cli.main(["--out", str(out), "--count", "3", "--video", str(tmp_path / "v.avi")])
        == 0
    )
    labels = json.loads((out / "labels.json").read_text())
    assert len(labels) == 3 and (tmp_path / "v.avi").stat().st_size > 0
    capsys.readouterr()
    assert (
        evaluate.main(
            ["--frames", str(out), "--model", str(tiny_model), "--show-errors", "0", "--json"]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 3 and 0 <= report["exact_match"] <= 1 and report["p50_ms"] > 0
    assert synthetic_cli.main(["--out", str(out), "--styles", "crayon"]) == 2
    assert evaluate.main(["--frames", str(tmp_path), "--model", str(tiny_model)]) == 2
