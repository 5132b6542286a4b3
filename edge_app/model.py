"""Load the app's model safely: the file must exist, be non-empty and match manifest.json beside it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from edge_app.artifacts import read_manifest, sha256_bytes
from edge_app.errors import UserError
from edge_app.paths import display_name, read_regular, require_file
from edge_app.runtime import Classifier

DEFAULT_MODEL = "artifacts/model_int8.tflite"
SHA256_SHOWN_CHARS = 12  # enough to tell models apart on a page or in a log line
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


def verify_model(path: Path, data: bytes) -> bool:
    """Check `data` (the bytes of `path`) against the SHA-256 in manifest.json beside it.

    Returns True if checked, False if the manifest has no entry for the file.

    A mismatch means a half-copied or swapped file: raise UserError rather than read digits with it.
    """
    manifest = read_manifest(path.parent)
    if manifest is None:
        return False
    models = manifest.get("models") if isinstance(manifest, dict) else None
    entry = next(
        (m for m in (models or {}).values() if isinstance(m, dict) and m.get("file") == path.name),
        None,
    )
    if entry is None or "sha256" not in entry:
        log.warning("%s is not listed in %s/manifest.json; not verified", path.name, path.parent)
        return False
    actual = sha256_bytes(data)
    if actual != entry["sha256"]:
        raise UserError(
            f"{path} does not match manifest.json (SHA-256 {actual[:12]}... != {str(entry['sha256'])[:12]}...): "
            "the file is damaged or replaced; copy it again, or pass --no-verify to use it anyway"
        )
    return True


def read_model(path: Path, verify: bool = True) -> tuple[bytes, bool]:
    """Return (the bytes of model `path`, whether they matched manifest.json); UserError if unusable."""
    path = require_file(
        path, "model", "run `python -m convert` to make artifacts/, or pass --model PATH"
    )
    try:
        data = read_regular(path)  # read once: hashed here, interpreted by the Classifier
    except OSError as e:
        raise UserError(f"cannot read model {display_name(path)}: {e.strerror or e}") from e
    if not data:
        raise UserError(f"model {path} is empty (an interrupted copy?); copy it again")
    return data, verify and verify_model(path, data)


def load_classifier(
    model: str | os.PathLike, runtime: str = "auto", threads: int = 1, verify: bool = True
) -> Classifier:
    """Return a Classifier for `model` after checking it exists, is not empty and (if `verify`) its hash."""
    path = Path(model)
    data, verified = read_model(path, verify)
    if verified:
        log.info("model %s matches manifest.json", path)
    return Classifier(path, runtime=runtime, num_threads=threads, model_bytes=data)
