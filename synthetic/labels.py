"""The labelled-frame folder: frame files plus labels.json ({file name: expected text}), written and read here."""

from __future__ import annotations

import json
import os
from pathlib import Path

from edge_app.artifacts import atomic_write_json
from edge_app.errors import UserError

LABELS_NAME = "labels.json"
MAKE_FRAMES_HINT = "make it with python -m synthetic"


def write_labels(folder: str | os.PathLike, labels: dict[str, str]) -> None:
    """Write `labels` as the folder's labels.json (atomically, after the frames it names)."""
    atomic_write_json(Path(folder) / LABELS_NAME, labels)


def read_labels(folder: str | os.PathLike, hint: str = MAKE_FRAMES_HINT) -> dict[str, str]:
    """Return {file name: expected text} from the folder's labels.json; UserError ending in `hint`."""
    path = Path(folder) / LABELS_NAME
    try:
        labels = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise UserError(f"cannot read {path} ({e}); {hint}") from e
    if not isinstance(labels, dict) or not all(isinstance(t, str) for t in labels.values()):
        raise UserError(f"{path} is not a JSON object of {{file name: expected text}}; {hint}")
    return labels
