"""What every source shares: the Frame it yields, the Source base class, the reconnect policy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

EXIT_SOURCE_LOST = 3


@dataclass(frozen=True)
class Frame:
    """One frame: BGR (or whatever the source gave) image, a name for the JSON, a 0-based index."""

    image: np.ndarray
    name: str
    index: int


@dataclass(frozen=True)
class RetryPolicy:
    """How a live source reconnects after a drop."""

    max_retries: int = 10  # failed reconnect attempts in a row before giving up (exit 3)
    first_delay_s: float = 0.5  # wait before the first attempt; doubles each time
    max_delay_s: float = 8.0  # cap on the wait between attempts
    stall_timeout_s: float = 10.0  # a stream that sends no frame for this long has dropped


def usable(image: np.ndarray | None) -> bool:
    """True for a decoded, non-empty image."""
    return image is not None and getattr(image, "size", 0) > 0


class Source:
    """Base class: iterate for Frames; `live` tells cameras and streams from files."""

    live = False
    label = ""
    fps: float | None = None  # the file's own frame rate, when it has one (videos)
    reconnects = 0  # drops a live source recovered from (files never drop)

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file (safe to call twice)."""


DEFAULT_RETRY = RetryPolicy()
