"""--save-dir: annotated frames as JPEG files in a folder."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import cv2

from edge_app.artifacts import atomic_path, check_writable_dir
from edge_app.draw import annotate

if TYPE_CHECKING:
    import numpy as np

    from edge_app.result import FrameResult

log = logging.getLogger(__name__)


class SaveSink:
    """Annotated frames as JPEG files in a folder, written atomically.

    The folder is checked writable at start (a read-only one is a one-line error); a disk that
    fills up mid-run stops the saving with one warning and the reading goes on.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = check_writable_dir(folder, flag="--save-dir")
        self.saving = True

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        if not self.saving:
            return
        stem = Path(result.source).stem or "frame"
        path = self.folder / f"{result.frame:06d}_{stem[:100]}.jpg"
        ok, data = cv2.imencode(".jpg", annotate(frame, result))
        if not ok:
            return
        try:
            with atomic_path(path) as tmp:
                tmp.write_bytes(data.tobytes())
        except OSError as e:
            self.saving = False
            log.warning(
                "stopped saving frames to %s at frame %d: %s; still reading",
                self.folder,
                result.frame,
                e.strerror or e,
            )

    def close(self) -> None:
        """Nothing buffered."""
