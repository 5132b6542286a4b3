"""Read the number in a frame: preprocess, classify every digit in one batched call, build a Reading."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from edge_app.options import DEFAULT_OPTIONS, ReaderOptions
from edge_app.preprocess import IMAGE_SIZE_PX, extract_digits

__all__ = ["Digit", "Reading", "read_digits", "UNSURE"]

UNSURE = "?"


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


def read_digits(
    frame: np.ndarray, classifier: DigitClassifier, options: ReaderOptions = DEFAULT_OPTIONS
) -> Reading:
    """Return the Reading of `frame`; all its digits go through `classifier.predict` in one call."""
    t0 = time.perf_counter_ns()
    crops = extract_digits(frame, options)
    t1 = time.perf_counter_ns()
    digits: list[Digit] = []
    if crops:
        batch = np.stack([c.image for c in crops]).reshape(-1, IMAGE_SIZE_PX, IMAGE_SIZE_PX)
        probs = np.asarray(classifier.predict(batch))
        for crop, p in zip(crops, probs, strict=True):
            best = int(np.argmax(p))
            confidence = float(p[best])
            value = best if confidence >= options.min_confidence else None
            digits.append(Digit(value=value, confidence=confidence, box=crop.box))
    t2 = time.perf_counter_ns()
    text = "".join(UNSURE if d.value is None else str(d.value) for d in digits)
    latency = {
        "preprocess": (t1 - t0) / 1e6,
        "inference": (t2 - t1) / 1e6,
        "total": (t2 - t0) / 1e6,
    }
    return Reading(text=text, digits=tuple(digits), latency_ms=latency)
