"""Options of the digit reader, shared by preprocessing and classification."""

from __future__ import annotations

from dataclasses import dataclass

POLARITIES = ("auto", "dark-on-light", "light-on-dark")


@dataclass(frozen=True)
class ReaderOptions:
    """How a frame is turned into digits."""

    roi: tuple[int, int, int, int] | None = None  # x, y, w, h in frame pixels; None = whole frame
    # Below this probability a digit reads "?" (label-smoothed models peak near 0.9).
    min_confidence: float = 0.5
    polarity: str = "auto"  # ink vs paper: auto-detected, or forced
    work_size_px: int = 320  # longer side of the image segmentation runs on (speed vs tiny digits)
    ink_threshold: float = 0.28  # a pixel is ink when it is this much darker than the paper (0..1)
    min_digit_height_px: int = 10  # at work size: anything shorter is a speck
    max_digits: int = 12  # more candidates than this is texture, not a number


DEFAULT_OPTIONS = ReaderOptions()
