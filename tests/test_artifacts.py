"""Atomic artifact writes: a failed write leaves the old file (or nothing), never a partial one."""

from __future__ import annotations

import json
import os

import pytest

from edge_app.artifacts import (
    atomic_path,
    atomic_write_json,
    check_writable_dir,
    sha256_file,
)
from edge_app.errors import UserError


def test_atomic_path_renames_on_success_and_keeps_suffix(tmp_path):
    target = tmp_path / "sub" / "model.keras"
    with atomic_path(target) as tmp:
        assert tmp.suffix == ".keras" and tmp.parent == target.parent
        tmp.write_bytes(b"complete")
    assert target.read_bytes() == b"complete"
    assert os.listdir(target.parent) == ["model.keras"]


def test_atomic_path_failure_keeps_previous_file_and_no_temp(tmp_path):
    target = tmp_path / "report.json"
    atomic_write_json(target, {"v": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b'{"v": 2, "trunc')
        raise RuntimeError("disk full halfway")
    assert json.loads(target.read_text()) == {"v": 1}
    assert os.listdir(tmp_path) == ["report.json"]


def test_sha256_file(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_unwritable_output_folder_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="cannot write to output folder"):
        check_writable_dir(blocker / "out")


def test_train_cli_interrupted_mid_write_leaves_no_partial_model(tmp_path, monkeypatch, mnist_dir):
    """Fail `python -m train` while it writes model.keras: the folder must hold no model and no temp file."""
    keras = pytest.importorskip("keras")
    import train.__main__ as cli
    import train.fit
    from train.model import build_mlp

    def fake_train_model(data, recipe, seed=0, epochs=None, verbose="auto", log=None):
        return train.fit.TrainResult(model=build_mlp(), metrics={"recipe": recipe.name})

    def save_half_then_fail(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(train.fit, "train_model", fake_train_model)
    monkeypatch.setattr(keras.Model, "save", save_half_then_fail)
    out = tmp_path / "art"
    with pytest.raises(OSError, match="No space left"):
        cli.main(["--data-dir", str(mnist_dir), "--out", str(out)])
    # Nothing published and no staging left behind: not a single file under --out.
    assert [p for p in out.rglob("*") if not p.is_dir()] == []
