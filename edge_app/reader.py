"""Read the number in a frame: preprocess, classify every digit in one batched call, build a Reading."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from edge_app.options import DEFAULT_OPTIONS, ReaderOptions
from edge_app.preprocess import IMAGE_SIZE_PX, DigitCrop, extract_digits
from edge_app.reject import is_suspect, nothing_here

__all__ = ["Digit", "Reading", "read_digits", "UNSURE"]

UNSURE = "?"
# A wide crop less sure than this is tried as two digits, read if both are.
SPLIT_MIN_CONFIDENCE = 0.8


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
    # The (28, 28) images the classifier saw, one per digit: for collecting and labelling, never JSON.
    crops: tuple[np.ndarray, ...] = field(default=(), repr=False, compare=False)


def _digit(probs: np.ndarray, box: tuple[int, int, int, int], options: ReaderOptions) -> Digit:
    best = int(np.argmax(probs))
    confidence = float(probs[best])
    value = best if confidence >= options.min_confidence else None
    return Digit(value=value, confidence=confidence, box=box)


def _unsure(probs: np.ndarray) -> bool:
    return float(probs.max()) < SPLIT_MIN_CONFIDENCE


def _suspect(crop: DigitCrop, options: ReaderOptions) -> bool:
    return crop.evidence is not None and is_suspect(crop.evidence, options.min_digit_height_px)


def _predict(classifier: DigitClassifier, images: list[np.ndarray]) -> np.ndarray:
    batch = np.stack(images).reshape(-1, IMAGE_SIZE_PX, IMAGE_SIZE_PX)
    return np.asarray(classifier.predict(batch))


def read_digits(
    frame: np.ndarray, classifier: DigitClassifier, options: ReaderOptions = DEFAULT_OPTIONS
) -> Reading:
    """Return the Reading of `frame`; its digits go through `classifier.predict` in one batch.

    A frame whose candidates all look like paper texture (see edge_app.reject) and none reads
    sure reads "": a false number is worse than an empty reading. A wide crop read unsure (below SPLIT_MIN_CONFIDENCE) is cut into two touching digits, kept
    when both halves read sure; all such halves of a frame go in one second batch.
    """
    t0 = time.perf_counter_ns()
    crops = extract_digits(frame, options)
    t1 = time.perf_counter_ns()
    digits: list[Digit] = []
    seen: list[np.ndarray] = []  # the image each digit was classified from, in digit order
    if crops:
        probs = _predict(classifier, [c.image for c in crops])
        # Only a crop that reads unsure as one digit is tried as two touching ones: the halves
        # of all such crops go to the classifier in one more batch, and only on those frames.
        halves = {i: c.split() for i, c in enumerate(crops) if c.split and _unsure(probs[i])}
        halves = {i: parts for i, parts in halves.items() if parts}
        flat = [part for parts in halves.values() for part in parts]
        part_probs = iter(_predict(classifier, [p.image for p in flat]) if flat else [])
        for i, (crop, p) in enumerate(zip(crops, probs, strict=True)):
            split = [(part, next(part_probs)) for part in halves.get(i, ())]
            if split and min(float(q.max()) for _, q in split) >= SPLIT_MIN_CONFIDENCE:
                digits += [_digit(q, part.box, options) for part, q in split]
                seen += [part.image for part, _ in split]
            else:
                digits.append(_digit(p, crop.box, options))
                seen.append(crop.image)
    if digits and nothing_here(
        [d.confidence for d in digits], [_suspect(c, options) for c in crops]
    ):
        digits, seen = [], []
    t2 = time.perf_counter_ns()
    text = "".join(UNSURE if d.value is None else str(d.value) for d in digits)
    latency = {
        "preprocess": (t1 - t0) / 1e6,
        "inference": (t2 - t1) / 1e6,
        "total": (t2 - t0) / 1e6,
    }
    return Reading(
        text=text,
        digits=tuple(digits),
        latency_ms=latency,
        crops=tuple(np.asarray(image).reshape(IMAGE_SIZE_PX, IMAGE_SIZE_PX) for image in seen),
    )
