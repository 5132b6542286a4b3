"""MNIST for training: the IDX folder (train.mnist_idx) or tensorflow_datasets, and a fixed split.

NumPy only at import time, so `convert` and the benchmarks can read the test set without TensorFlow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from train.mnist_idx import (  # noqa: F401 - re-exported: train.data is where callers look
    IMAGE_MAGIC,
    KNOWN_SHA256,
    LABEL_MAGIC,
    MNIST_DIR_ENV,
    DataError,
    Mnist,
    load_idx_folder,
    parse_idx,
)

# The validation split does not depend on the training seed, so runs with different seeds are
# compared on the same held-out images.
SPLIT_SEED = 20240101
VAL_FRACTION = 0.1


@dataclass
class Split:
    """A fixed train/validation split of the training images, as index arrays into them."""

    train_idx: np.ndarray
    val_idx: np.ndarray


def load_tfds() -> Mnist:
    """Load MNIST through tensorflow_datasets, as the reference notebook did (needs the internet once)."""
    hint = f"set {MNIST_DIR_ENV} (or --data-dir) to a folder with the four MNIST IDX files to work offline"
    try:
        import tensorflow_datasets as tfds

        train, test = tfds.as_numpy(
            tfds.load("mnist", split=["train", "test"], batch_size=-1, as_supervised=True)
        )
    except ImportError as e:
        raise DataError(
            f"tensorflow_datasets is not installed (`pip install -e .[train]`), or {hint}"
        ) from e
    except Exception as e:  # noqa: BLE001 - tfds raises many kinds of download errors
        raise DataError(
            f"could not download MNIST with tensorflow_datasets ({type(e).__name__}); {hint}"
        ) from e
    return Mnist(
        x_train=train[0][..., 0].astype(np.uint8),
        y_train=train[1].astype(np.uint8),
        x_test=test[0][..., 0].astype(np.uint8),
        y_test=test[1].astype(np.uint8),
        source="tfds:mnist",
    )


def load_mnist(data_dir: str | os.PathLike | None = None) -> Mnist:
    """Load MNIST from `data_dir`, else from $MNIST_DIR, else through tensorflow_datasets."""
    folder = data_dir or os.environ.get(MNIST_DIR_ENV)
    return load_idx_folder(folder) if folder else load_tfds()


def fixed_split(n: int, val_fraction: float = VAL_FRACTION, seed: int = SPLIT_SEED) -> Split:
    """Split range(n) into disjoint train/validation index arrays, the same every call."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * val_fraction))
    return Split(train_idx=np.sort(order[n_val:]), val_idx=np.sort(order[:n_val]))


def representative_indices(labels: np.ndarray, per_class: int, seed: int = 0) -> np.ndarray:
    """Pick `per_class` indices of each class (for int8 calibration), evenly across the ten digits."""
    rng = np.random.default_rng(seed)
    picks = [
        rng.choice(np.flatnonzero(labels == c), size=per_class, replace=False) for c in range(10)
    ]
    return np.sort(np.concatenate(picks))
