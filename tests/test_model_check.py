"""The app's model check fails closed: no manifest, a malformed one, an unlisted model, a changed
hash or different tensors is a one-line error (exit 2) unless --no-verify."""

from __future__ import annotations

import json
import re

import pytest

import synthetic
from edge_app.__main__ import main
from edge_app.artifacts import sha256_file
from tests.tiny_tflite import write_tiny_model


@pytest.fixture(scope="module")
def frames_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    synthetic.generate(folder, 2, seed=3, options=synthetic.SceneOptions(styles=("font",)))
    return folder


def _one_line_error(capsys, argv: list[str], match: str) -> None:
    assert main(argv) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and re.search(match, err[0]), err


def test_manifest_mismatch_is_refused_unless_no_verify(tmp_path, capsys, frames_dir):
    model = write_tiny_model(tmp_path / "model_int8.tflite")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["models"]["int8"]["sha256"] = "0" * 64
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    args = ["--source", str(frames_dir), "--model", str(model), "--headless", "--max-frames", "1"]
    _one_line_error(capsys, args, match="does not match manifest.json")
    assert main([*args, "--no-verify"]) == 0
    manifest["models"]["int8"]["sha256"] = sha256_file(model)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert main(args) == 0


def test_model_check_fails_closed_unless_no_verify(tmp_path, capsys, frames_dir):
    """No manifest, a manifest that is not a file or not JSON, or a model it does not list: exit 2."""
    model = write_tiny_model(tmp_path / "model_int8.tflite")
    listed = (tmp_path / "manifest.json").read_text()
    args = ["--source", str(frames_dir), "--model", str(model), "--headless", "--max-frames", "1"]
    (tmp_path / "manifest.json").unlink()
    _one_line_error(capsys, args, match="not found; run `python -m convert`.*--no-verify")
    assert main([*args, "--no-verify"]) == 0
    (tmp_path / "manifest.json").mkdir()
    _one_line_error(capsys, args, match="not a regular file.*--no-verify")
    (tmp_path / "manifest.json").rmdir()
    (tmp_path / "manifest.json").write_text("[]")
    _one_line_error(capsys, args, match="not a manifest.*--no-verify")
    (tmp_path / "manifest.json").write_text(listed.replace("model_int8.tflite", "other.tflite"))
    _one_line_error(capsys, args, match="model_int8.tflite is not listed.*--no-verify")
    assert main([*args, "--no-verify"]) == 0


def test_model_whose_tensors_differ_from_the_manifest_is_refused(tmp_path, capsys, frames_dir):
    model = write_tiny_model(tmp_path / "model_int8.tflite")
    listed = json.loads((tmp_path / "manifest.json").read_text())
    listed["models"]["int8"]["input"]["dtype"] = "uint8"
    (tmp_path / "manifest.json").write_text(json.dumps(listed))
    args = ["--source", str(frames_dir), "--model", str(model), "--headless", "--max-frames", "1"]
    _one_line_error(capsys, args, match="input is .*manifest.json says")
