"""Fit a recipe on MNIST with tf.data and Keras callbacks, then evaluate once on the test set."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from edge_app.runtime import to_float
from train.augment import augment_batch
from train.data import SPLIT_SEED, VAL_FRACTION, Mnist, fixed_split
from train.flags import flag_ones
from train.model import NUM_CLASSES, build_mlp
from train.progress import EpochProgress
from train.recipes import Recipe

FLAG_SEED_OFFSET = 1_000_003  # flag_ones' seeds stay apart from augment_batch's


@dataclass
class TrainResult:
    """A trained model and the metrics written to train_metrics.json."""

    model: keras.Model
    metrics: dict[str, Any]


def set_determinism(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TF ops deterministic: same seed, same model."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def _targets(labels: np.ndarray, recipe: Recipe) -> np.ndarray:
    # Keras' sparse cross-entropy has no label smoothing, so smoothed recipes use one-hot targets.
    if recipe.label_smoothing > 0:
        return np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    return labels.astype(np.int32)


def _flag_seed(seed: int, step: tf.Tensor) -> tf.Tensor:
    return tf.stack([tf.constant(seed + FLAG_SEED_OFFSET, tf.int64), step])


def make_train_dataset(x: np.ndarray, y: np.ndarray, recipe: Recipe, seed: int) -> tf.data.Dataset:
    """Endless shuffled (and, if the recipe says so, augmented) batches; Keras counts the epochs."""
    ds = tf.data.Dataset.from_tensor_slices((x, y)).cache()
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).repeat()
    ds = ds.batch(recipe.batch_size, drop_remainder=True)
    if recipe.augment:
        counter = tf.data.Dataset.counter()
        ds = tf.data.Dataset.zip((ds, counter)).map(
            lambda batch, step: (
                augment_batch(
                    flag_ones(batch[0], batch[1], _flag_seed(seed, step), recipe.flag_ones),
                    tf.stack([tf.constant(seed, tf.int64), step]),
                ),
                batch[1],
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
    return ds.prefetch(tf.data.AUTOTUNE)


def _optimizer(recipe: Recipe, steps_per_epoch: int, epochs: int) -> keras.optimizers.Optimizer:
    lr: Any = recipe.learning_rate
    if recipe.cosine_decay:
        warmup = recipe.warmup_epochs * steps_per_epoch
        lr = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=recipe.learning_rate / 10 if warmup else recipe.learning_rate,
            decay_steps=max(1, epochs * steps_per_epoch - warmup),
            alpha=0.01,
            warmup_target=recipe.learning_rate if warmup else None,
            warmup_steps=warmup,
        )
    if recipe.weight_decay > 0:
        return keras.optimizers.AdamW(learning_rate=lr, weight_decay=recipe.weight_decay)
    return keras.optimizers.Adam(learning_rate=lr)


def train_model(
    data: Mnist,
    recipe: Recipe,
    seed: int = 0,
    epochs: int | None = None,
    verbose: int | str = "auto",
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train `recipe` on the fixed 90/10 split of `data`, evaluate on its test set, return both.

    With `log`, each epoch ends in one line through it instead of Keras' own progress output.
    """
    set_determinism(seed)
    epochs = epochs or recipe.epochs
    split = fixed_split(len(data.x_train))
    x_train, y_train = (
        to_float(data.x_train[split.train_idx]),
        _targets(data.y_train[split.train_idx], recipe),
    )
    x_val, y_val = (
        to_float(data.x_train[split.val_idx]),
        _targets(data.y_train[split.val_idx], recipe),
    )
    steps_per_epoch = max(1, len(x_train) // recipe.batch_size)

    model = build_mlp()
    loss = (
        keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)
        if recipe.label_smoothing > 0
        else keras.losses.SparseCategoricalCrossentropy()
    )
    model.compile(
        optimizer=_optimizer(recipe, steps_per_epoch, epochs), loss=loss, metrics=["accuracy"]
    )
    callbacks = []
    if recipe.early_stopping_patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=recipe.early_stopping_patience,
                restore_best_weights=True,
            )
        )
    if log is not None:
        callbacks.append(EpochProgress(epochs, log))
        verbose = 0
    elif verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    started = time.perf_counter()
    history = model.fit(
        make_train_dataset(x_train, y_train, recipe, seed),
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
        validation_data=tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(1000).cache(),
        callbacks=callbacks,
        verbose=verbose,
        shuffle=False,  # the dataset shuffles itself; Keras warns that it ignores shuffle=True
    )
    train_seconds = time.perf_counter() - started

    val_loss, val_accuracy = model.evaluate(x_val, y_val, batch_size=1000, verbose=0)
    test_probs = model.predict(to_float(data.x_test), batch_size=1000, verbose=0)
    test_accuracy = float(np.mean(np.argmax(test_probs, axis=1) == data.y_test))
    test_loss = float(
        keras.losses.sparse_categorical_crossentropy(data.y_test, test_probs).numpy().mean()
    )
    hist = {k: [float(v) for v in values] for k, values in history.history.items()}
    best_epoch = (
        int(np.argmin(hist["val_loss"])) + 1
        if recipe.early_stopping_patience
        else len(hist["loss"])
    )
    metrics = {
        "recipe": recipe.name,
        "seed": seed,
        "epochs_run": len(hist["loss"]),
        "best_epoch": best_epoch,
        "params": int(model.count_params()),
        "val_accuracy": float(val_accuracy),
        "val_loss": float(val_loss),
        "test_accuracy": test_accuracy,
        "test_loss": test_loss,
        "history": hist,
        "recipe_settings": {k: v for k, v in vars(recipe).items()} | {"epochs": epochs},
        "data": {
            "source": data.source,
            "checksums_sha256": data.checksums,
            "train_images": len(split.train_idx),
            "val_images": len(split.val_idx),
            "test_images": len(data.x_test),
            "val_fraction": VAL_FRACTION,
            "split_seed": SPLIT_SEED,
        },
        "train_seconds": round(train_seconds, 2),
        "versions": {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
    }
    if not math.isfinite(metrics["test_loss"]):
        metrics["test_loss"] = None
    return TrainResult(model=model, metrics=metrics)
