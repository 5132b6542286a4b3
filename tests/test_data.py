"""The MNIST loader: good files (gz and raw), each corrupt case, and the fixed split."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from train.data import (
    KNOWN_SHA256,
    DataError,
    fixed_split,
    load_idx_folder,
    load_mnist,
    representative_indices,
)


def test_loads_gzipped_folder(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.y_train.shape == (60000,) and set(np.unique(mnist.y_train)) == set(range(10))
    assert mnist.x_test.shape == (10000, 28, 28) and mnist.y_test.shape == (10000,)
    assert mnist.checksums == KNOWN_SHA256


@pytest.fixture(scope="module")
def raw_dir(mnist_dir, tmp_path_factory):
    """The four IDX files uncompressed, as some mirrors ship them."""
    folder = tmp_path_factory.mktemp("raw")
    for name in KNOWN_SHA256:
        (folder / name).write_bytes(gzip.decompress((mnist_dir / f"{name}.gz").read_bytes()))
    return folder


def test_loads_raw_folder_same_arrays(raw_dir, mnist):
    raw = load_idx_folder(raw_dir)
    assert np.array_equal(raw.x_train, mnist.x_train) and np.array_equal(raw.y_test, mnist.y_test)


def test_mnist_dir_env_is_used(monkeypatch, raw_dir):
    monkeypatch.setenv("MNIST_DIR", str(raw_dir))
    assert load_mnist().source.endswith(str(raw_dir.resolve()))


def _copy(raw_dir, tmp_path):
    folder = tmp_path / "mnist"
    shutil.copytree(raw_dir, folder)
    return folder


def _mutate(path, fn):
    path.write_bytes(fn(path.read_bytes()))


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing folder", "does not exist"),
        ("missing file", "missing MNIST file t10k-labels-idx1-ubyte"),
        ("wrong magic", "magic number"),
        ("truncated raw", "truncated or corrupt"),
        ("truncated gz", "truncated or corrupt"),
        ("flipped byte", "fails its checksum"),
        ("short header", "shorter than an IDX header"),
    ],
)
def test_corrupt_cases_raise_clear_error(case, expected, raw_dir, tmp_path):
    folder = _copy(raw_dir, tmp_path)
    images, labels = folder / "t10k-images-idx3-ubyte", folder / "t10k-labels-idx1-ubyte"
    if case == "missing folder":
        folder = tmp_path / "nope"
    elif case == "missing file":
        labels.unlink()
    elif case == "wrong magic":
        _mutate(labels, lambda b: (2051).to_bytes(4, "big") + b[4:])
    elif case == "truncated raw":
        _mutate(images, lambda b: b[:-100])
    elif case == "truncated gz":
        gz = images.with_name(images.name + ".gz")
        gz.write_bytes(gzip.compress(images.read_bytes())[:-5000])
        images.unlink()
    elif case == "flipped byte":
        _mutate(images, lambda b: b[:5000] + bytes([b[5000] ^ 0xFF]) + b[5001:])
    elif case == "short header":
        _mutate(labels, lambda b: b[:6])
    with pytest.raises(DataError, match=expected) as info:
        load_idx_folder(folder)
    assert "\n" not in str(info.value)


def test_split_is_fixed_disjoint_and_ninety_ten():
    a, b = fixed_split(60000), fixed_split(60000)
    assert np.array_equal(a.train_idx, b.train_idx) and np.array_equal(a.val_idx, b.val_idx)
    assert len(a.val_idx) == 6000 and len(a.train_idx) == 54000
    assert not set(a.train_idx) & set(a.val_idx)
    assert len(set(a.train_idx) | set(a.val_idx)) == 60000


def test_representative_indices_are_balanced(mnist):
    idx = representative_indices(mnist.y_train, per_class=30)
    assert np.array_equal(np.bincount(mnist.y_train[idx], minlength=10), np.full(10, 30))


def test_gzip_bomb_stops_at_the_size_its_header_promises(tmp_path, mnist_dir):
    import resource
    import struct
    import zlib

    from train.mnist_idx import KNOWN_SHA256, DataError, load_idx_folder

    for name in KNOWN_SHA256:
        if name != "t10k-labels-idx1-ubyte":
            (tmp_path / f"{name}.gz").symlink_to(mnist_dir / f"{name}.gz")
    # A valid label header for 10,000 labels, then 2 GiB of zeros: about 2 MB gzipped.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(struct.pack(">II", 2049, 10_000))]
    zeros = bytes(64 << 20)
    parts += [compressor.compress(zeros) for _ in range(32)]
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"".join(parts) + compressor.flush())
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DataError, match="more than the 10008 bytes"):
        load_idx_folder(tmp_path)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib) / 1024
    assert grown_mib < 400, f"decompressed the bomb: grew {grown_mib:.0f} MiB"
