"""Fine-tune a trained MLP on the user's labelled digits, replaying MNIST so it does not forget.

The user's digits are split by edge_app.digit_folder.is_held_out (a pure function of each PNG's
SHA-256): the held-out share is never trained on and measures the model before and after.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from edge_app.artifacts import sha256_file
from edge_app.digit_folder import HELD_OUT_PREFIXES, labelled_folder
from edge_app.errors import UserError
from edge_app.runtime import to_float
from train.augment import augment_batch
from train.fit import TrainResult, set_determinism
from train.mnist_idx import Mnist
from train.model import NUM_CLASSES
from train.progress import EpochProgress

DEFAULT_EPOCHS = 5
STEPS_PER_EPOCH = 100
BATCH_SIZE = 128
USER_SHARE = 0.25  # of every batch: the rest is MNIST replay, which keeps everyone else's digits
LEARNING_RATE = 3e-4  # a tenth of the edge recipe's peak: nudge the weights, do not retrain
LABEL_SMOOTHING = 0.05  # as the edge recipe, so confidences stay comparable with --min-confidence


def _accuracy(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> float | None:
    if not len(labels):
        return None
    probs = model.predict(to_float(images), batch_size=1000, verbose=0)
    return float(np.mean(np.argmax(probs, axis=1) == labels))


def _mixed_dataset(
    mnist_x: np.ndarray, mnist_y: np.ndarray, user_x: np.ndarray, user_y: np.ndarray, seed: int
) -> tf.data.Dataset:
    """Endless augmented batches, USER_SHARE of each drawn from the user's digits, the rest MNIST."""

    def endless(x, y, salt):
        onehot = np.eye(NUM_CLASSES, dtype=np.float32)[y]
        ds = tf.data.Dataset.from_tensor_slices((to_float(x), onehot)).cache()
        return ds.shuffle(len(x), seed=seed + salt, reshuffle_each_iteration=True).repeat()

    mixed = tf.data.Dataset.sample_from_datasets(
        [endless(mnist_x, mnist_y, 0), endless(user_x, user_y, 1)],
        weights=[1 - USER_SHARE, USER_SHARE],
        seed=seed,
    ).batch(BATCH_SIZE, drop_remainder=True)
    counter = tf.data.Dataset.counter()
    return (
        tf.data.Dataset.zip((mixed, counter))
        .map(
            lambda batch, step: (
                augment_batch(batch[0], tf.stack([tf.constant(seed, tf.int64), step])),
                batch[1],
            ),
            deterministic=True,
        )
        .prefetch(tf.data.AUTOTUNE)
    )


def fine_tune(
    base: Path,
    extra_data: Path,
    data: Mnist,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Continue training the model at `base` on the labelled digits in `extra_data` mixed with MNIST.

    Returns the model and train_metrics.json's content: accuracy on the held-out user digits and on
    MNIST test, before and after.
    """
    from convert.model_io import load_keras_model

    folder = labelled_folder(extra_data)
    images, labels, held = folder.load_labelled()
    if held.all():
        raise UserError(
            f"all {len(labels)} labelled digits in {folder.labelled} fall in the held-out share; "
            "label a few more (about 4 in 5 are trained on)"
        )
    set_determinism(seed)
    model = load_keras_model(base)
    user_test = (images[held], labels[held])
    before = {
        "user_held_out_accuracy": _accuracy(model, *user_test),
        "test_accuracy": _accuracy(model, data.x_test, data.y_test),
    }
    model.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(LEARNING_RATE, epochs * STEPS_PER_EPOCH, 0.1)
        ),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING),
        metrics=["accuracy"],
    )
    dataset = _mixed_dataset(data.x_train, data.y_train, images[~held], labels[~held], seed)
    callbacks = [EpochProgress(epochs, log)] if log else []
    started = time.perf_counter()
    history = model.fit(
        dataset, steps_per_epoch=STEPS_PER_EPOCH, epochs=epochs, callbacks=callbacks, verbose=0
    )
    after = {
        "user_held_out_accuracy": _accuracy(model, *user_test),
        "test_accuracy": _accuracy(model, data.x_test, data.y_test),
    }
    metrics: dict[str, Any] = {
        "recipe": "fine-tune",
        "seed": seed,
        "epochs_run": len(history.history["loss"]),
        "test_accuracy": after["test_accuracy"],
        "params": int(model.count_params()),
        "fine_tune": {
            "base_model": str(base),
            "base_model_sha256": sha256_file(base),
            "extra_data": str(folder.labelled.resolve()),
            "user_digits_train": int((~held).sum()),
            "user_digits_held_out": int(held.sum()),
            "held_out_rule": f"SHA-256 of the PNG starts with one of {HELD_OUT_PREFIXES}",
            "before": before,
            "after": after,
            "user_share": USER_SHARE,
            "steps_per_epoch": STEPS_PER_EPOCH,
            "batch_size": BATCH_SIZE,
            "learning_rate": LEARNING_RATE,
        },
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
        "train_seconds": round(time.perf_counter() - started, 2),
        "data": {"source": data.source, "checksums_sha256": data.checksums},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
    }
    return TrainResult(model=model, metrics=metrics)
