"""The four MNIST IDX files: parse and verify them (NumPy only, so a Raspberry Pi can read them too)."""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge_app.artifacts import sha256_bytes
from edge_app.errors import UserError
from edge_app.paths import open_regular, read_regular
from edge_app.runtime import IMAGE_SIZE_PX

MNIST_DIR_ENV = "MNIST_DIR"
MAX_IDX_BYTES = 64 << 20  # 64 MiB: the largest MNIST file (train images) is 47 MiB
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
# SHA-256 of the uncompressed IDX bytes (the gzip wrappers differ between mirrors, the contents don't).
KNOWN_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


class DataError(UserError):
    """MNIST could not be loaded; the message says which file and what to do."""


@dataclass
class Mnist:
    """MNIST as uint8 arrays: images (N, 28, 28) 0..255 and labels (N,) 0..9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    checksums: dict[str, str] = field(default_factory=dict)


def _gunzip_bounded(path: Path, limit: int) -> bytes:
    """Decompress `path`, stopping once the size its IDX header promises (or `limit`) is passed.

    A small gzip file can expand to gigabytes; reading at most expected + 1 bytes keeps a bomb
    (or a file with junk appended) from ever being held in memory.
    """
    with os.fdopen(open_regular(path), "rb") as raw_file, gzip.GzipFile(fileobj=raw_file) as f:
        head = f.read(16)
        expected = _expected_size(head)
        if expected is None or expected > limit:
            expected = limit
        data = head + f.read(expected + 1 - len(head))
    if len(data) > expected:
        raise DataError(
            f"{path} decompresses to more than the {expected} bytes its header promises: corrupt "
            "or not MNIST; download it again"
        )
    return data


def _expected_size(head: bytes) -> int | None:
    """Return header + data bytes an IDX file of this header holds, or None for no known header."""
    if len(head) < 8:
        return None
    magic = struct.unpack(">I", head[:4])[0]
    dims = {IMAGE_MAGIC: 3, LABEL_MAGIC: 1}.get(magic)
    if dims is None or len(head) < 4 + 4 * dims:
        return None
    shape = struct.unpack(f">{dims}I", head[4 : 4 + 4 * dims])
    return 4 + 4 * dims + int(np.prod(shape, dtype=np.int64))


def _read_idx_bytes(folder: Path, name: str) -> tuple[bytes, Path]:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            break
    else:
        raise DataError(
            f"missing MNIST file {name}(.gz) in {folder}; put the four IDX files there "
            f"or point --data-dir / {MNIST_DIR_ENV} at the folder that has them"
        )
    try:
        if candidate.suffix == ".gz":
            raw = _gunzip_bounded(candidate, MAX_IDX_BYTES)
        else:
            raw = read_regular(candidate, MAX_IDX_BYTES)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{candidate} is truncated or corrupt ({e}); download it again") from e
    return raw, candidate


def parse_idx(raw: bytes, path: Path, expect_magic: int) -> np.ndarray:
    """Parse IDX bytes (images: magic 2051, labels: magic 2049) into a uint8 array."""
    dims = 3 if expect_magic == IMAGE_MAGIC else 1
    header_size = 4 + 4 * dims
    if len(raw) < header_size:
        raise DataError(
            f"{path} is truncated: {len(raw)} bytes, shorter than an IDX header; download it again"
        )
    magic = struct.unpack(">I", raw[:4])[0]
    if magic != expect_magic:
        raise DataError(
            f"{path} has magic number {magic}, expected {expect_magic}; it is not an MNIST "
            f"{'image' if dims == 3 else 'label'} file (or the file names are swapped)"
        )
    shape = struct.unpack(f">{dims}I", raw[4:header_size])
    if dims == 3 and shape[1:] != (IMAGE_SIZE_PX, IMAGE_SIZE_PX):
        raise DataError(f"{path} holds {shape[1]}x{shape[2]} images, expected 28x28")
    expected = header_size + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(
            f"{path} has {len(raw)} bytes, expected {expected} for shape {shape}: truncated or corrupt; download it again"
        )
    return np.frombuffer(raw, np.uint8, offset=header_size).reshape(shape)


def load_idx_folder(folder: str | os.PathLike, verify: bool = True) -> Mnist:
    """Load MNIST from a folder of the four IDX files, gzipped or not, checking their SHA-256."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            f"MNIST folder {folder} does not exist; point --data-dir or {MNIST_DIR_ENV} at the folder with the IDX files"
        )
    arrays, checksums = {}, {}
    for name, known in KNOWN_SHA256.items():
        raw, path = _read_idx_bytes(folder, name)
        array = parse_idx(raw, path, IMAGE_MAGIC if "images" in name else LABEL_MAGIC)
        digest = sha256_bytes(raw)
        if verify and digest != known:
            raise DataError(
                f"{path} fails its checksum (sha256 {digest[:12]}..., expected {known[:12]}...): corrupt; download it again"
            )
        arrays[name], checksums[name] = array, digest
    for split in ("train", "t10k"):
        n_images, n_labels = (
            len(arrays[f"{split}-images-idx3-ubyte"]),
            len(arrays[f"{split}-labels-idx1-ubyte"]),
        )
        if n_images != n_labels:
            raise DataError(
                f"{folder}: {split} has {n_images} images but {n_labels} labels; the files do not belong together"
            )
    return Mnist(
        x_train=arrays["train-images-idx3-ubyte"],
        y_train=arrays["train-labels-idx1-ubyte"],
        x_test=arrays["t10k-images-idx3-ubyte"],
        y_test=arrays["t10k-labels-idx1-ubyte"],
        source=f"idx:{folder.resolve()}",
        checksums=checksums,
    )
