"""Play a file at its own frame rate: an iterator wrapper that sleeps until each frame is due."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

IMAGE_FPS = 2.0  # images have no frame rate of their own: long enough to look at each one
MAX_LAG_S = 1.0  # further behind than this (a slow reader): start the schedule again, do not rush

T = TypeVar("T")


def paced(
    frames: Iterable[T],
    fps: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[T]:
    """Yield `frames` no faster than `fps` a second, on a schedule that does not drift.

    Frame k is due at start + k / fps; a frame read late is yielded at once and the next ones
    catch up, so a reader slower than the file plays it as fast as it can, never faster.
    """
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    interval_s = 1.0 / fps
    due: float | None = None
    for frame in frames:
        now = clock()
        if due is None or now - due > MAX_LAG_S:
            due = now
        elif due > now:
            sleep(due - now)
        yield frame
        due += interval_s
