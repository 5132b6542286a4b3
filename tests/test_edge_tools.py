"""synthetic, benchmarks.evaluate and the reader CLI: range-checked flags and bad inputs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import synthetic
import synthetic.__main__ as synthetic_cli
from benchmarks import evaluate
from edge_app.errors import UserError
from tests.tiny_tflite import write_tiny_model

SMALL_OPTIONS = synthetic.SceneOptions(size=(160, 120), styles=("font",))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("model") / "model_int8.tflite")


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    "flags",
    [
        ["--min-confidence", "1.5"],
        ["--min-confidence", "nan"],
        ["--show-errors", "-1"],
    ],
)
def test_evaluate_rejects_out_of_range_flags(flags, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        evaluate.main(["--frames", str(tmp_path), *flags])
    assert e.value.code == 2
    assert flags[0] in capsys.readouterr().err


@pytest.mark.parametrize("labels", ["[1, 2]", '"frame_0000.jpg"', '{"a.jpg": 3}', "{"])
def test_evaluate_bad_labels_json_is_one_error_line(labels, tmp_path, capsys, tiny_model):
    (tmp_path / synthetic.LABELS_NAME).write_text(labels)
    assert evaluate.main(["--frames", str(tmp_path), "--model", str(tiny_model)]) == 2
    assert "labels.json" in _one_error_line(capsys)


def test_evaluate_missing_labels_json_is_one_error_line(tmp_path, capsys, tiny_model):
    assert evaluate.main(["--frames", str(tmp_path), "--model", str(tiny_model)]) == 2
    assert "labels.json" in _one_error_line(capsys)


@pytest.mark.parametrize(
    "flags",
    [
        ["--count", "0"],
        ["--hold", "0"],
        ["--no-digit-fraction", "1.5"],
        ["--seed", "-1"],
        ["--seed", str(2**32)],
    ],
)
def test_synthetic_rejects_out_of_range_flags(flags, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        synthetic_cli.main(["--out", str(tmp_path / "out"), *flags])
    assert e.value.code == 2
    assert flags[0] in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_generated_files_are_the_camera_jpeg_itself(tmp_path):
    labels = synthetic.generate(tmp_path, 2, seed=3, options=SMALL_OPTIONS)
    rng = np.random.default_rng(3)
    for name, text in labels.items():
        jpeg, expected = synthetic.make_frame_jpeg(
            synthetic.random_text(rng, SMALL_OPTIONS), rng, SMALL_OPTIONS
        )
        assert (tmp_path / name).read_bytes() == jpeg.tobytes() and text == expected
        image = cv2.imread(str(tmp_path / name))
        assert image.shape == (120, 160, 3)


def test_make_frame_is_the_decoded_jpeg():
    frame, text = synthetic.make_frame("42", np.random.default_rng(5), SMALL_OPTIONS)
    jpeg, same = synthetic.make_frame_jpeg("42", np.random.default_rng(5), SMALL_OPTIONS)
    assert text == same == "42"
    assert np.array_equal(frame, cv2.imdecode(jpeg, cv2.IMREAD_COLOR))


def test_write_video_without_labels_is_a_user_error(tmp_path):
    synthetic.generate(tmp_path, 1, seed=1, options=SMALL_OPTIONS)
    (tmp_path / synthetic.LABELS_NAME).unlink()
    with pytest.raises(UserError, match="labels.json"):
        synthetic.write_video(tmp_path, tmp_path / "v.avi")
    assert not (tmp_path / "v.avi").exists()


def test_write_video_with_an_unreadable_frame_is_a_user_error(tmp_path):
    synthetic.generate(tmp_path, 2, seed=1, options=SMALL_OPTIONS)
    (tmp_path / "frame_0001.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(UserError, match="frame_0001.jpg"):
        synthetic.write_video(tmp_path, tmp_path / "v.avi")
    assert not (tmp_path / "v.avi").exists()


def test_reader_on_a_folder_of_unreadable_images_exits_2(tmp_path, capsys, tiny_model):
    from edge_app.__main__ import main

    for name in ("a.jpg", "b.png"):
        (tmp_path / name).write_bytes(b"not an image")
    argv = ["--source", str(tmp_path), "--model", str(tiny_model), "--headless", "--no-verify"]
    assert main(argv) == 2
    assert "could be decoded" in _one_error_line(capsys)
