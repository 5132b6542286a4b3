"""`python -m train` without MNIST_DIR: tensorflow_datasets, run offline through tfds.testing.mock_data."""

from __future__ import annotations

import json

import pytest

tfds = pytest.importorskip("tensorflow_datasets")

import train.__main__ as train_cli  # noqa: E402
from train.data import DataError, load_tfds  # noqa: E402

# mock_data yields this many random images for each split: a few training steps, seconds to run.
MOCK_IMAGES = 400


@pytest.fixture
def no_mnist_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))


def test_tfds_download_path_has_its_imports(no_mnist_dir, tmp_path):
    # What download_and_prepare reads first; tfds imports importlib_resources there, a module its
    # own package metadata only requires on Python < 3.9, so the train extra must install it.
    builder = tfds.builder("mnist", data_dir=tmp_path / "tfds")
    assert any("train-images-idx3-ubyte" in url for url in builder.url_infos)


@pytest.mark.parametrize(
    ("raised", "expected", "not_expected"),
    [
        (
            ModuleNotFoundError("no", name="importlib_resources"),
            "pip install importlib_resources",
            "is not installed",
        ),
        (
            ModuleNotFoundError("no", name="tensorflow_datasets"),
            "tensorflow_datasets is not installed",
            "cannot import",
        ),
        (OSError("Failed to establish a new connection"), "check the network", "not installed"),
    ],
)
def test_tfds_failure_names_the_real_cause(monkeypatch, raised, expected, not_expected):
    def failing_load(*args, **kwargs):
        raise raised

    monkeypatch.setattr(tfds, "load", failing_load)
    with pytest.raises(DataError) as info:
        load_tfds()
    message = str(info.value)
    assert expected in message and not_expected not in message
    assert "MNIST_DIR" in message and "--data-dir" in message and "\n" not in message


def test_train_cli_runs_end_to_end_through_tfds(no_mnist_dir, tmp_path, capsys):
    out = tmp_path / "art"
    with tfds.testing.mock_data(num_examples=MOCK_IMAGES):
        code = train_cli.main(["--recipe", "seed", "--epochs", "1", "--out", str(out)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    published = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert published == ["model.keras", "train_metrics.json"]
    metrics = json.loads((out / "train_metrics.json").read_text())
    assert metrics["data"]["source"] == "tfds:mnist"
    assert metrics["data"]["test_images"] == MOCK_IMAGES
    assert metrics["data"]["train_images"] + metrics["data"]["val_images"] == MOCK_IMAGES
    # Random images: only that it trained, not how well.
    assert metrics["epochs_run"] == 1 and 0 <= metrics["test_accuracy"] <= 1
    plan, *progress, tested, wrote, next_step = lines
    assert "recipe seed" in plan and "up to 1 epochs" in plan
    assert "tensorflow_datasets" in plan and str(out / "model.keras") in plan
    assert progress == [p for p in progress if p.startswith("epoch 1/1, val accuracy")] != []
    assert tested.startswith("test accuracy") and "after 1 epochs" in tested
    assert str(out / "model.keras") in wrote and str(out / "train_metrics.json") in wrote
    assert next_step.startswith("next: python -m convert") and str(out) in next_step
