"""--save-dir: annotated frames as JPEG files in a folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import cv2

from edge_app.artifacts import atomic_path
from edge_app.draw import annotate
from edge_app.errors import UserError

if TYPE_CHECKING:
    import numpy as np

    from edge_app.result import FrameResult


class SaveSink:
    """Annotated frames as JPEG files in a folder, written atomically."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(f"cannot create --save-dir {self.folder}: {e.strerror or e}") from e

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        stem = Path(result.source).stem or "frame"
        path = self.folder / f"{result.frame:06d}_{stem}.jpg"
        ok, data = cv2.imencode(".jpg", annotate(frame, result))
        if ok:
            with atomic_path(path) as tmp:
                tmp.write_bytes(data.tobytes())

    def close(self) -> None:
        """Nothing buffered."""
