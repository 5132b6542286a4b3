"""Load the app's model safely: the file must exist, be non-empty and match manifest.json beside it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from edge_app import manifest
from edge_app.artifacts import sha256_bytes
from edge_app.errors import UserError
from edge_app.paths import display_name, read_regular, require_file
from edge_app.runtime import Classifier

DEFAULT_MODEL = "artifacts/model_int8.tflite"
# Enough to tell models apart on a page or in a log line.
SHA256_SHOWN_CHARS = 12
_UNCHECKED = "or pass --no-verify to use the model unchecked"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    """Which model file produced a reading: its SHA-256 and when the file was written."""

    sha256: str
    date: str  # the model file's modification time, ISO 8601 UTC

    @classmethod
    def of(cls, path: Path, data: bytes) -> ModelInfo:
        stamp = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        return cls(sha256_bytes(data), stamp.isoformat(timespec="seconds").replace("+00:00", "Z"))

    def to_json(self) -> dict[str, str]:
        return {"sha256": self.sha256[:SHA256_SHOWN_CHARS], "date": self.date}


def verify_model(path: Path, data: bytes) -> manifest.ModelEntry:
    """Return the manifest entry of `path` after checking `data` (its bytes) against it.

    Fails closed: a missing or malformed manifest, a model it does not list, or a hash mismatch
    (a half-copied or swapped file) raises UserError rather than read digits with an unknown model.
    """
    try:
        listed = manifest.read(manifest.path_in(path.parent))
    except manifest.ManifestError as e:
        raise UserError(f"{e}, {_UNCHECKED}") from None
    entry = listed.entry_for(path.name)
    if entry is None:
        raise UserError(
            f"{path.name} is not listed in {manifest.path_in(path.parent)}: not a model convert "
            f"published; run `python -m convert`, {_UNCHECKED}"
        )
    actual = sha256_bytes(data)
    if actual != entry.sha256:
        raise UserError(
            f"{path} does not match manifest.json (SHA-256 {actual[:12]}... != {entry.sha256[:12]}...): "
            f"the file is damaged or replaced; copy it again, {_UNCHECKED}"
        )
    return entry


def check_specs(classifier: Classifier, entry: manifest.ModelEntry) -> None:
    """Raise UserError if the loaded model's tensors differ from what convert evaluated."""
    for side, loaded, listed in (
        ("input", classifier.input_spec, entry.input),
        ("output", classifier.output_spec, entry.output),
    ):
        if loaded != listed:
            raise UserError(
                f"{classifier.model_path} {side} is {loaded.to_json()}, manifest.json says "
                f"{listed.to_json()}; re-run `python -m convert`, {_UNCHECKED}"
            )


def read_model(path: Path, verify: bool = True) -> tuple[bytes, manifest.ModelEntry | None]:
    """Return (the bytes of model `path`, its manifest entry if `verify`); UserError if unusable."""
    path = require_file(
        path, "model", "run `python -m convert` to make artifacts/, or pass --model PATH"
    )
    try:
        # Read once: hashed here, interpreted by the Classifier, so what is checked is what runs.
        data = read_regular(path)
    except OSError as e:
        raise UserError(f"cannot read model {display_name(path)}: {e.strerror or e}") from e
    if not data:
        raise UserError(f"model {path} is empty (an interrupted copy?); copy it again")
    return data, verify_model(path, data) if verify else None


def load_classifier(
    model: str | os.PathLike, runtime: str = "auto", threads: int = 1, verify: bool = True
) -> Classifier:
    """Return a Classifier for `model` after checking it exists, is not empty and (if `verify`)
    that its hash and tensors match the manifest."""
    path = Path(model)
    data, entry = read_model(path, verify)
    classifier = Classifier(path, runtime=runtime, num_threads=threads, model_bytes=data)
    if entry is not None:
        check_specs(classifier, entry)
        log.info("model %s matches manifest.json", path)
    return classifier
