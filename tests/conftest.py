"""Shared fixtures: the MNIST folder from $MNIST_DIR, loaded once, and paths resolved from this file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    folder = os.environ.get("MNIST_DIR")
    if not folder:
        if os.environ.get("CI"):
            pytest.fail("MNIST_DIR is not set in CI; .ci/run must export it")
        pytest.skip("set MNIST_DIR to the folder with the four MNIST IDX files")
    return Path(folder).resolve()


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    from train.data import load_idx_folder

    return load_idx_folder(mnist_dir)


def run_module(
    module: str, *args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 600
):
    """Run `python -m module args` (or a script path) in a subprocess and return the CompletedProcess."""
    target = ["-m", module] if not module.endswith(".py") else [str(ROOT / module)]
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, *target, *args],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# Training images for the tiny model: a few thousand keeps the fixture well under a minute.
TINY_TRAIN_IMAGES = 3000


@pytest.fixture(scope="session")
def tiny_artifacts(tmp_path_factory, mnist) -> Path:
    """A complete, real artifact folder made once per session (owned by the convert helper).

    build_mlp() trained for 1 epoch on 3,000 training images, then `convert` run on it: model.keras,
    train_metrics.json, the four model_*.tflite variants, convert_report.json/.md,
    confusion_int8.png and manifest.json. The gate is relaxed (a 1-epoch model is not what it
    guards); everything else is the real pipeline. Read it, never write into it.
    """
    import json

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from convert.gate import GateOptions
    from convert.pipeline import ConvertOptions, run
    from edge_app.runtime import to_float
    from train.model import build_mlp

    folder = tmp_path_factory.mktemp("tiny_artifacts")
    keras.utils.set_random_seed(0)
    model = build_mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = to_float(mnist.x_train[:TINY_TRAIN_IMAGES]), mnist.y_train[:TINY_TRAIN_IMAGES]
    model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    model.save(folder / "model.keras")
    test_accuracy = float(
        (
            model.predict(to_float(mnist.x_test), batch_size=1000, verbose=0).argmax(1)
            == mnist.y_test
        ).mean()
    )
    (folder / "train_metrics.json").write_text(
        json.dumps({"recipe": "tiny", "seed": 0, "epochs_run": 1, "test_accuracy": test_accuracy})
    )
    lax = GateOptions(
        max_drop_pp=100.0, min_agreement=0.0, float32_min_agreement=0.0, opencv_min_agreement=0.0
    )
    result = run(
        ConvertOptions(model=folder / "model.keras", out=folder, gate=lax),
        data=mnist,
        log=lambda line: None,
    )
    assert result.gate.passed, result.gate.reasons
    return folder


# Epochs of the default (edge) recipe for the session's trained model: enough to read camera-like
# frames well (about 98.4% on MNIST, 90% on generated frames), short enough for a test run.
TRAINED_EPOCHS = 5


@pytest.fixture(scope="session")
def trained_artifacts(tmp_path_factory, mnist_dir) -> Path:
    """Artifacts made by the real command lines, as a user makes them: `train` then `convert`.

    Set MNIST_EDGE_ARTIFACTS to a folder made by the full main job to reuse it instead.
    """
    existing = os.environ.get("MNIST_EDGE_ARTIFACTS")
    if existing:
        return Path(existing).resolve()
    folder = tmp_path_factory.mktemp("trained_artifacts")
    env = {"MNIST_DIR": str(mnist_dir)}
    trained = run_module("train", "--epochs", str(TRAINED_EPOCHS), "--out", str(folder), env=env)
    assert trained.returncode == 0, trained.stderr[-3000:]
    converted = run_module(
        "convert", "--model", str(folder / "model.keras"), "--out", str(folder), env=env
    )
    assert converted.returncode == 0, converted.stderr[-3000:]
    return folder
