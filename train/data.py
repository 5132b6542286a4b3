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


# tfds.load(batch_size=-1) batches a split by the dataset's recorded size; batching by a fixed
# size instead works whatever the metadata says (and under tfds.testing.mock_data, which has none).
TFDS_BATCH_IMAGES = 10_000
TFDS_PACKAGE = "tensorflow_datasets"


def _tfds_arrays(tfds, ds) -> tuple[np.ndarray, np.ndarray]:
    batches = list(tfds.as_numpy(ds.batch(TFDS_BATCH_IMAGES)))
    images = np.concatenate([b[0] for b in batches])[..., 0].astype(np.uint8)
    return images, np.concatenate([b[1] for b in batches]).astype(np.uint8)


def load_tfds() -> Mnist:
    """Load MNIST through tensorflow_datasets, as the reference notebook did (needs the internet once)."""
    offline = f"or set {MNIST_DIR_ENV} (or --data-dir) to a folder with the four MNIST IDX files"
    try:
        import tensorflow_datasets as tfds

        train, test = (
            _tfds_arrays(tfds, ds)
            for ds in tfds.load("mnist", split=["train", "test"], as_supervised=True)
        )
    except ImportError as e:
        missing = e.name or str(e)
        if missing.split(".")[0] == TFDS_PACKAGE:
            raise DataError(
                f"{TFDS_PACKAGE} is not installed: `pip install -e .[train]`, {offline}"
            ) from e
        raise DataError(
            f"{TFDS_PACKAGE} cannot import {missing!r}: `pip install {missing.split('.')[0]}` "
            f"(or reinstall `pip install -e .[train]`), {offline}"
        ) from e
    except Exception as e:  # noqa: BLE001 - tfds raises many kinds of download errors
        detail = (str(e).strip().splitlines() or [""])[0][:200]
        raise DataError(
            f"could not download MNIST with {TFDS_PACKAGE} ({type(e).__name__}: {detail}); "
            f"check the network, {offline}"
        ) from e
    return Mnist(
        x_train=train[0], y_train=train[1], x_test=test[0], y_test=test[1], source="tfds:mnist"
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
