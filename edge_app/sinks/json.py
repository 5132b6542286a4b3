"""The --headless output: one JSON object per frame on stdout."""

from __future__ import annotations

import json
import sys
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from edge_app.result import FrameResult


class JsonSink:
    """One JSON object per frame on stdout (and nothing else there)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        self.stream.write(json.dumps(result.to_json()) + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.flush()
