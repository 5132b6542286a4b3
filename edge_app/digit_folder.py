"""The labelled-digit folder: the one owner of its layout, file format, held-out split and size cap.

    DIR/unlabelled/<entry>/frame.jpg, crop_0.png, crop_1.png, ..., read.json   (collected, to label)
    DIR/labelled/<digit>/<sha256>.png                                       (the user's digits)

Every PNG is a 28x28 grayscale digit, white on black, exactly as the classifier saw it: the layout
`keras.utils.image_dataset_from_directory` reads. A labelled file is named by the SHA-256 of its PNG
bytes, so the same crop labelled twice is one file, and whether it is held out for testing is a pure
function of that name: train and convert agree on the split without sharing any metadata.
Every write goes to a dot-named temporary first and is renamed into place, so a reader (or a
crash) never leaves a partial entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge_app.errors import UserError

UNLABELLED = "unlabelled"
LABELLED = "labelled"
FRAME_JPEG = "frame.jpg"
READ_JSON = "read.json"
CROP_SIZE_PX = 28
# A labelled digit whose SHA-256 starts with one of these hex digits is held out (3/16 = 19%).
HELD_OUT_PREFIXES = "012"
TEMP_PREFIX = "."  # temporaries start with a dot: listings and Keras skip them
FRAME_JPEG_QUALITY = 85


def crop_png(crop: np.ndarray) -> bytes:
    """Return the PNG bytes of a (28, 28) crop, float in [0, 1] or uint8."""
    img = np.asarray(crop)
    if img.shape != (CROP_SIZE_PX, CROP_SIZE_PX):
        raise ValueError(f"a digit crop is {CROP_SIZE_PX}x{CROP_SIZE_PX}, got {img.shape}")
    if img.dtype != np.uint8:
        img = np.clip(np.rint(img.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".png", img)
    if not ok:
        raise ValueError("OpenCV could not PNG-encode a digit crop")
    return data.tobytes()


def decode_png(data: bytes) -> np.ndarray:
    """Return the (28, 28) uint8 digit in PNG `data`; anything else is a ValueError."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None or img.shape != (CROP_SIZE_PX, CROP_SIZE_PX):
        raise ValueError(f"not a {CROP_SIZE_PX}x{CROP_SIZE_PX} grayscale PNG")
    return img


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_held_out(sha256: str) -> bool:
    """True when the labelled digit with this PNG SHA-256 is kept for testing, never for training."""
    return sha256[:1].lower() in HELD_OUT_PREFIXES


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _check_text(text: str, count: int) -> str:
    text = text.strip()
    if not text.isdigit() or not text.isascii():
        raise UserError(f"label {text!r}: type the number shown, digits 0-9 only")
    if len(text) != count:
        raise UserError(
            f"label {text!r} has {len(text)} digit(s) but the reader found {count}: "
            "label a frame where every digit has its own box"
        )
    return text


@dataclass(frozen=True)
class UnlabelledEntry:
    """One collected frame waiting for its label."""

    id: str  # folder name: <time in ms>-<crops hash prefix>
    path: Path
    read_as: str  # what the reader made of it ("1?7")
    crops: tuple[Path, ...]
    source: str = ""  # the frame's name (file, or camera)

    @property
    def frame_jpeg(self) -> Path:
        return self.path / FRAME_JPEG


class DigitFolder:
    """Reads and writes one labelled-digit folder (the layout in this module's docstring)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.unlabelled = self.root / UNLABELLED
        self.labelled = self.root / LABELLED

    def create(self) -> DigitFolder:
        """Make the folders (or raise UserError naming why not) and sweep leftover temporaries."""
        try:
            self.unlabelled.mkdir(parents=True, exist_ok=True)
            self.labelled.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(
                f"cannot create {self.root}: {e.strerror or e}; pick another folder"
            ) from e
        for leftover in self.unlabelled.glob(f"{TEMP_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        return self

    # -- labelled digits --------------------------------------------------------------------

    def add_labelled(self, crops: Sequence[np.ndarray], text: str) -> list[Path]:
        """Save each crop under labelled/<its digit of text>/; return the files (existing ones too)."""
        text = _check_text(text, len(crops))
        paths = []
        for crop, digit in zip(crops, text, strict=True):
            data = crop_png(crop)
            folder = self.labelled / digit
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{sha256_hex(data)}.png"
            if not path.exists():
                _write_atomic(path, data)
            paths.append(path)
        return paths

    def labelled_files(self) -> list[tuple[Path, int]]:
        """Return (path, digit) of every labelled PNG, sorted by path."""
        files = []
        for digit in range(10):
            folder = self.labelled / str(digit)
            if folder.is_dir():
                files += [
                    (p, digit)
                    for p in sorted(folder.glob("*.png"))
                    if not p.name.startswith(TEMP_PREFIX)
                ]
        return files

    def load_labelled(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (images uint8 (N, 28, 28), labels uint8 (N,), held_out bool (N,)).

        Held out is decided by the SHA-256 of the bytes, not the file name, so a renamed or
        hand-added file lands in the same split on every machine.
        """
        images, labels, held = [], [], []
        for path, digit in self.labelled_files():
            data = path.read_bytes()
            try:
                images.append(decode_png(data))
            except ValueError as e:
                raise UserError(
                    f"{path} is {e}; delete it or replace it with a digit crop"
                ) from None
            labels.append(digit)
            held.append(is_held_out(sha256_hex(data)))
        shape = (len(images), CROP_SIZE_PX, CROP_SIZE_PX)
        return (
            np.stack(images) if images else np.zeros(shape, np.uint8),
            np.array(labels, np.uint8),
            np.array(held, bool),
        )

    # -- unlabelled entries ----------------------------------------------------------------

    def add_unlabelled(
        self, crops: Sequence[np.ndarray], frame: np.ndarray | None, read_as: str, source: str = ""
    ) -> UnlabelledEntry:
        """Save one frame's crops (and the frame as JPEG) as a new entry, atomically as a folder."""
        pngs = [crop_png(c) for c in crops]
        entry_id = f"{time.time_ns() // 1_000_000:013d}-{crops_hash(pngs)[:12]}"
        final = self.unlabelled / entry_id
        tmp = self.unlabelled / f"{TEMP_PREFIX}{entry_id}.tmp"
        try:
            tmp.mkdir(parents=True)
            for i, data in enumerate(pngs):
                (tmp / f"crop_{i}.png").write_bytes(data)
            if frame is not None:
                ok, jpeg = cv2.imencode(
                    ".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, FRAME_JPEG_QUALITY]
                )
                if ok:
                    (tmp / FRAME_JPEG).write_bytes(jpeg.tobytes())
            (tmp / READ_JSON).write_text(
                json.dumps({"read_as": read_as, "digits": len(pngs), "source": source})
            )
            os.rename(
                tmp, final
            )  # a folder rename is atomic: the entry appears whole or not at all
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return self.entry(entry_id)

    def entry(self, entry_id: str) -> UnlabelledEntry:
        """Return the unlabelled entry `entry_id`, or raise UserError when there is none."""
        path = self.unlabelled / entry_id
        if (
            entry_id.startswith(TEMP_PREFIX)
            or "/" in entry_id
            or "\\" in entry_id
            or not path.is_dir()
        ):
            raise UserError(f"no unlabelled entry {entry_id!r} in {self.unlabelled}")
        try:
            read = json.loads((path / READ_JSON).read_text())
            read_as, source = str(read["read_as"]), str(read.get("source", ""))
        except (OSError, ValueError, KeyError, TypeError):
            read_as = source = ""
        crops = sorted(path.glob("crop_*.png"), key=lambda p: int(p.stem.split("_")[1]))
        return UnlabelledEntry(entry_id, path, read_as, tuple(crops), source)

    def entries(self) -> list[UnlabelledEntry]:
        """Return the unlabelled entries, oldest first."""
        if not self.unlabelled.is_dir():
            return []
        names = sorted(
            p.name
            for p in self.unlabelled.iterdir()
            if p.is_dir() and not p.name.startswith(TEMP_PREFIX)
        )
        return [self.entry(name) for name in names]

    def label_entry(self, entry_id: str, text: str) -> list[Path]:
        """Move entry `entry_id`'s crops into labelled/ as `text` and delete the entry."""
        entry = self.entry(entry_id)
        crops = [decode_png(p.read_bytes()) for p in entry.crops]
        paths = self.add_labelled(crops, text)
        shutil.rmtree(entry.path, ignore_errors=True)
        return paths

    def discard_entry(self, entry_id: str) -> None:
        """Delete an unlabelled entry (a frame not worth labelling)."""
        shutil.rmtree(self.entry(entry_id).path, ignore_errors=True)

    def unlabelled_sizes(self) -> list[tuple[str, int]]:
        """Return (entry id, bytes on disk) of every unlabelled entry, oldest first."""
        return [(e.id, sum(f.stat().st_size for f in e.path.iterdir())) for e in self.entries()]


def labelled_folder(path: str | os.PathLike) -> DigitFolder:
    """Return the DigitFolder of `path`, given as DIR or as DIR/labelled; UserError if it has no digits."""
    path = Path(path)
    folder = DigitFolder(path) if (path / LABELLED).is_dir() else DigitFolder(path.parent)
    if path.name != LABELLED and not (path / LABELLED).is_dir():
        folder.labelled = path  # a bare folder of <digit>/ subfolders, as Keras reads them
    if not folder.labelled_files():
        raise UserError(
            f"{path} holds no labelled digits (<digit>/<sha256>.png); label some with the web "
            "page or `python -m edge_app.label DIR` first"
        )
    return folder


def crops_hash(pngs: Sequence[bytes]) -> str:
    """The SHA-256 over a frame's crop PNGs: equal for the same digits read the same way."""
    digest = hashlib.sha256()
    for data in pngs:
        digest.update(sha256_hex(data).encode())
    return digest.hexdigest()
