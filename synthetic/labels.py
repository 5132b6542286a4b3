"""The labelled-frame folder: frame files, labels.json ({file name: expected text}) and, optionally,
conditions.json ({file name: [condition, ...]}), written and read here.

labels.json keeps its plain shape so every reader of it works unchanged; conditions.json is a
sidecar a folder may lack (real photos, older folders): then no frame has a recorded condition.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from edge_app.artifacts import atomic_write_json
from edge_app.errors import UserError

LABELS_NAME = "labels.json"
CONDITIONS_NAME = "conditions.json"
MAKE_FRAMES_HINT = "make it with python -m synthetic"


def write_labels(
    folder: str | os.PathLike,
    labels: dict[str, str],
    conditions: dict[str, list[str]] | None = None,
) -> None:
    """Write `labels` as the folder's labels.json (atomically, after the frames it names).

    `conditions` goes to conditions.json first, so a folder with labels.json is complete.
    """
    if conditions is not None:
        atomic_write_json(Path(folder) / CONDITIONS_NAME, conditions)
    atomic_write_json(Path(folder) / LABELS_NAME, labels)


def _read_json(path: Path, hint: str):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise UserError(f"cannot read {path} ({e}); {hint}") from e


def read_labels(folder: str | os.PathLike, hint: str = MAKE_FRAMES_HINT) -> dict[str, str]:
    """Return {file name: expected text} from the folder's labels.json; UserError ending in `hint`."""
    path = Path(folder) / LABELS_NAME
    labels = _read_json(path, hint)
    if not isinstance(labels, dict) or not all(isinstance(t, str) for t in labels.values()):
        raise UserError(f"{path} is not a JSON object of {{file name: expected text}}; {hint}")
    return labels


def read_conditions(
    folder: str | os.PathLike, hint: str = MAKE_FRAMES_HINT
) -> dict[str, list[str]]:
    """Return {file name: [condition, ...]} from conditions.json, or {} when the folder has none."""
    path = Path(folder) / CONDITIONS_NAME
    if not path.exists():
        return {}
    conditions = _read_json(path, hint)
    if not isinstance(conditions, dict) or not all(
        isinstance(c, list) and all(isinstance(x, str) for x in c) for c in conditions.values()
    ):
        raise UserError(f"{path} is not a JSON object of {{file name: [condition, ...]}}; {hint}")
    return conditions
