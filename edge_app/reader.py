"""Read the number in a frame: preprocess, classify every digit in one batched call, build a Reading."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from edge_app.options import DEFAULT_OPTIONS, ReaderOptions
from edge_app.preprocess import IMAGE_SIZE_PX, extract_digits

__all__ = ["Digit", "Reading", "ReaderOptions", "read_digits", "UNSURE"]

UNSURE = "?"
SPLIT_MIN_CONFIDENCE = 0.8  # both halves of a wide crop must be this sure to read as two digits


class DigitClassifier(Protocol):
    """What the reader needs from runtime.Classifier: (N, 28, 28) in [0, 1] -> (N, 10) probabilities."""

    def predict(self, images: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Digit:
    """One classified digit."""

    value: int | None  # None when the classifier was not confident enough
    confidence: float  # probability of the most likely class
    box: tuple[int, int, int, int]  # x, y, w, h in original frame pixels


@dataclass(frozen=True)
class Reading:
    """What a frame reads as."""

    text: str  # "" when no digit, "?" marks each unsure digit
    digits: tuple[Digit, ...] = ()
    latency_ms: dict[str, float] = field(default_factory=dict)  # preprocess, inference, total


def _digit(probs: np.ndarray, box: tuple[int, int, int, int], options: ReaderOptions) -> Digit:
    best = int(np.argmax(probs))
    confidence = float(probs[best])
    value = best if confidence >= options.min_confidence else None
    return Digit(value=value, confidence=confidence, box=box)


def _reads_as_two(whole: np.ndarray, halves: list[np.ndarray]) -> bool:
    """True when both halves of a wide crop are surely digits and the crop as one digit is less sure."""
    sure = min(float(q.max()) for q in halves)
    return sure >= SPLIT_MIN_CONFIDENCE > float(whole.max())


def read_digits(
    frame: np.ndarray, classifier: DigitClassifier, options: ReaderOptions = DEFAULT_OPTIONS
) -> Reading:
    """Return the Reading of `frame`; all its digits go through `classifier.predict` in one call."""
    t0 = time.perf_counter_ns()
    crops = extract_digits(frame, options)
    t1 = time.perf_counter_ns()
    digits: list[Digit] = []
    if crops:
        # One batch: every crop, then the halves of every wide crop that may be two digits.
        images = [c.image for c in crops] + [p.image for c in crops for p in c.parts]
        batch = np.stack(images).reshape(-1, IMAGE_SIZE_PX, IMAGE_SIZE_PX)
        probs = np.asarray(classifier.predict(batch))
        halves = iter(probs[len(crops) :])
        for crop, p in zip(crops, probs[: len(crops)], strict=True):
            split = [(part, next(halves)) for part in crop.parts]
            if split and _reads_as_two(p, [q for _, q in split]):
                digits += [_digit(q, part.box, options) for part, q in split]
            else:
                digits.append(_digit(p, crop.box, options))
    t2 = time.perf_counter_ns()
    t2 = time.perf_counter_ns()
    text = "".join(UNSURE if d.value is None else str(d.value) for d in digits)
    latency = {
        "preprocess": (t1 - t0) / 1e6,
        "inference": (t2 - t1) / 1e6,
        "total": (t2 - t0) / 1e6,
    }
    return Reading(text=text, digits=tuple(digits), latency_ms=latency)
