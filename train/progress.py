"""One line per training epoch: validation accuracy, time so far and the most time left."""

from __future__ import annotations

import time
from collections.abc import Callable

import keras


def duration(seconds: float) -> str:
    """`42 s`, `7.5 min` or `1.2 h`: the unit a person reads a wait in."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class EpochProgress(keras.callbacks.Callback):
    """Log a line per epoch; the time left assumes every remaining epoch runs (early stopping may cut it)."""

    def __init__(self, epochs: int, log: Callable[[str], None] = print):
        super().__init__()
        self.epochs = epochs
        self.log = log
        self._started = time.perf_counter()

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        done = epoch + 1
        elapsed = time.perf_counter() - self._started
        parts = [f"epoch {done}/{self.epochs}"]
        if "val_accuracy" in logs:
            parts.append(f"val accuracy {100 * logs['val_accuracy']:.2f}%")
        if "loss" in logs:
            parts.append(f"loss {logs['loss']:.4f}")
        parts.append(f"{duration(elapsed)} elapsed")
        if done < self.epochs:
            parts.append(f"at most {duration(elapsed / done * (self.epochs - done))} left")
        self.log(", ".join(parts))
