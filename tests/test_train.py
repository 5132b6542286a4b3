"""The model, a short training run on a subset, determinism, and the train CLI's exit codes."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import run_module

tf = pytest.importorskip("tensorflow")

from train.data import Mnist  # noqa: E402
from train.fit import train_model  # noqa: E402
from train.model import REFERENCE_PARAMS, build_mlp  # noqa: E402
from train.recipes import RECIPES  # noqa: E402


def test_model_shape_and_parameter_count():
    model = build_mlp()
    assert model.input_shape == (None, 28, 28) and model.output_shape == (None, 10)
    assert model.count_params() == REFERENCE_PARAMS == 99_710
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [100, 100, 100, 10]


@pytest.fixture(scope="module")
def small_mnist(mnist):
    return Mnist(
        mnist.x_train[:3000],
        mnist.y_train[:3000],
        mnist.x_test[:1000],
        mnist.y_test[:1000],
        source="subset",
    )


@pytest.mark.parametrize("recipe_name", ["seed", "edge"])
def test_short_training_learns_and_is_deterministic(small_mnist, recipe_name):
    recipe = replace(RECIPES[recipe_name], batch_size=50)
    first = train_model(small_mnist, recipe, seed=3, epochs=2, verbose=0)
    assert first.metrics["test_accuracy"] > 0.6, (
        "2 epochs on 2,700 images should be far above chance (0.1)"
    )
    assert first.metrics["epochs_run"] == 2 and len(first.metrics["history"]["val_loss"]) == 2
    again = train_model(small_mnist, recipe, seed=3, epochs=2, verbose=0)
    for a, b in zip(first.model.get_weights(), again.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_augmentation_changes_images_but_keeps_range(small_mnist):
    from train.augment import augment_batch

    x = small_mnist.x_train[:64].astype(np.float32) / 255
    y = augment_batch(tf.constant(x), tf.constant([1, 2], tf.int64)).numpy()
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    assert np.abs(y - x).mean() > 0.01
    again = augment_batch(tf.constant(x), tf.constant([1, 2], tf.int64)).numpy()
    np.testing.assert_array_equal(y, again)


def test_cli_writes_model_and_metrics(tmp_path, mnist_dir):
    out = tmp_path / "art"
    result = run_module(
        "train",
        "--recipe",
        "seed",
        "--epochs",
        "1",
        "--data-dir",
        str(mnist_dir),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir() if p.name[0] != ".") == [
        "model.keras",
        "train_metrics.json",
    ]
    metrics = json.loads((out / "train_metrics.json").read_text())
    for key in (
        "recipe",
        "seed",
        "epochs_run",
        "params",
        "val_accuracy",
        "test_accuracy",
        "test_loss",
        "history",
        "data",
        "train_seconds",
    ):
        assert key in metrics
    assert metrics["params"] == 99_710 and metrics["epochs_run"] == 1
    assert 0.9 < metrics["test_accuracy"] <= 1.0
    assert metrics["data"]["test_images"] == 10000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data-dir", "/nonexistent/mnist"], "does not exist"),
        (["--recipe", "bogus"], "invalid choice"),
        (["--epochs", "0"], "whole number >= 1"),
        (["--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_cli_user_mistakes_exit_2_without_traceback(args, message, tmp_path):
    result = run_module("train", *args, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "model.keras").exists()


def test_flags_go_on_ones_only_up_and_left_of_the_stem(small_mnist):
    from train.flags import flag_ones

    x = small_mnist.x_train[:200].astype(np.float32) / 255
    labels = small_mnist.y_train[:200]
    seed = tf.constant([4, 5], tf.int64)
    flagged = flag_ones(tf.constant(x), tf.constant(labels), seed, share=1.0).numpy()
    changed = np.abs(flagged - x).reshape(len(x), -1).max(axis=1) > 0.5
    # A short flag on a thick or already flagged 1 may add no new ink.
    assert changed[labels == 1].mean() > 0.8 and not changed[labels != 1].any()
    for before, after in zip(x[changed], flagged[changed], strict=True):
        added = np.argwhere(after - before > 0.5)  # (row, column) of the flag's new ink
        stem = np.argwhere(before > 0.5)
        top = stem[:, 0].min()
        assert added[:, 0].mean() < top + 0.5 * (stem[:, 0].max() - top)  # the top half
        assert added[:, 1].mean() < stem[stem[:, 0] <= top + 1, 1].mean()  # left of its start
    one_hot = np.eye(10, dtype=np.float32)[labels]
    again = flag_ones(tf.constant(x), tf.constant(one_hot), seed, share=1.0).numpy()
    np.testing.assert_array_equal(flagged, again)  # one-hot labels (smoothed recipes) alike
    none = flag_ones(tf.constant(x), tf.constant(labels), seed, share=0.0).numpy()
    np.testing.assert_array_equal(none, x)
