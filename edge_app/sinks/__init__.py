"""Where the frame loop's results go: the Sink protocol every output (JSON, files, window, web, MQTT) follows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from edge_app.result import FrameResult


class StopRequested(Exception):
    """Raised by a sink (the window's q key) to end the frame loop cleanly."""


class Sink(Protocol):
    """Where results go: handed every frame's result in order, closed once by the loop's caller."""

    def handle(self, result: FrameResult, frame: np.ndarray) -> None: ...

    def close(self) -> None: ...
