"""Read the number in a frame: preprocess, classify its digits in a batch (unsure ones twice), build a Reading."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from edge_app.options import DEFAULT_OPTIONS, ReaderOptions
from edge_app.preprocess import IMAGE_SIZE_PX, DigitCrop, extract_digits
from edge_app.reject import is_inner_rim, is_suspect, nothing_here

__all__ = ["Digit", "Reading", "read_digits", "UNSURE"]

UNSURE = "?"
# A wide crop less sure than this is tried as touching digits ...
SPLIT_MIN_CONFIDENCE = 0.8
PART_MIN_CONFIDENCE = 0.85  # ... read as them if every one reads at least this sure
# Width / height from which a crop is tried as touching digits even when it reads sure as one:
# a merged pair can look like one wrong digit (48 as a sure 8, 21 as a sure 2). Narrower than
# two digits, only a cut that leaves a thin, straight 1 is offered (see edge_app.split).
SPLIT_WIDE_ASPECT = 0.8
# Width / height from which one digit is implausible (a 0 or a 4 written wide stays below): such
# a crop is read as its parts when they all read sure, however sure it reads as one.
SPLIT_SURE_ASPECT = 1.3
# A crop that reads sure as one digit is cut only when every part reads about as sure: halves of
# a wide 0 or 4 still read as digits (a 6 and a 3), but less sure than the whole.
SPLIT_SURE_MARGIN = 0.01
SPLIT_DEPTH = 2  # a part may be cut again (a wide part of a two-way cut)
# A digit read less sure than this is read again, shifted by a pixel each way: an MLP has no
# sense of translation, and the centre of mass of a camera's digit is off by a pixel or two.
SECOND_LOOK_BELOW = 0.8
SECOND_LOOK_SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))
SECOND_LOOK_CENTRE_WEIGHT = 2  # the digit as normalised counts this many times in the average


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


def _textures(crops: list[DigitCrop], options: ReaderOptions) -> Iterator[bool]:
    """Whether each of a frame's candidates looks like paper texture: by its shape, or as a rim
    in the paper when shaped like a digit."""
    for crop in crops:
        yield _suspect(crop, options) or (
            crop.rim_step is not None and is_inner_rim(crop.rim_step())
        )


def _wants_split(crop: DigitCrop, probs: np.ndarray) -> bool:
    _, _, w, h = crop.box
    return crop.split is not None and (_unsure(probs) or w >= SPLIT_WIDE_ASPECT * h)


Resolved = list[tuple[DigitCrop, np.ndarray]]


def _resolve(
    classifier: DigitClassifier, crops: list[DigitCrop], probs: np.ndarray, depth: int
) -> list[Resolved]:
    """Return, per crop, the digits it reads as with their probabilities: itself, or its parts.

    A crop that may be touching digits is replaced by the way of cutting it (see edge_app.split)
    whose digits all read sure, the surest of them if several do. The parts of all such crops go
    to the classifier in one batch per level, and only on frames that have such crops.
    """
    out = [[(crop, p)] for crop, p in zip(crops, probs, strict=True)]
    if depth == 0:
        return out
    # Only a crop that reads unsure as one may be cut through a loop (see edge_app.split).
    options = {
        i: c.split(_unsure(probs[i])) for i, c in enumerate(crops) if _wants_split(c, probs[i])
    }
    options = {i: ways for i, ways in options.items() if ways}
    if not options:
        return out
    flat = [part for ways in options.values() for parts in ways for part in parts]
    resolved = iter(
        _resolve(classifier, flat, _predict(classifier, [p.image for p in flat]), depth - 1)
    )
    for i, ways in options.items():
        _, _, w, h = crops[i].box
        whole = 0.0 if w >= SPLIT_SURE_ASPECT * h else float(probs[i].max())
        best = max(PART_MIN_CONFIDENCE, whole - SPLIT_SURE_MARGIN)
        for parts in ways:
            digits = [d for _ in parts for d in next(resolved)]
            surest = min(float(q.max()) for _, q in digits)
            if surest >= best:
                out[i], best = digits, surest
    return out


def _second_look(classifier: DigitClassifier, resolved: Resolved) -> Resolved:
    """Return `resolved` with each unsure digit's probabilities averaged over one-pixel shifts."""
    unsure = [i for i, (_, q) in enumerate(resolved) if float(q.max()) < SECOND_LOOK_BELOW]
    if not unsure:
        return resolved
    looks = []
    for i in unsure:
        image = np.asarray(resolved[i][0].image).reshape(IMAGE_SIZE_PX, IMAGE_SIZE_PX)
        looks += [image] * SECOND_LOOK_CENTRE_WEIGHT
        looks += [np.roll(image, (dy, dx), axis=(0, 1)) for dx, dy in SECOND_LOOK_SHIFTS]
    per_digit = SECOND_LOOK_CENTRE_WEIGHT + len(SECOND_LOOK_SHIFTS)
    probs = _predict(classifier, looks).reshape(len(unsure), per_digit, -1).mean(axis=1)
    out = list(resolved)
    for i, q in zip(unsure, probs, strict=True):
        out[i] = (resolved[i][0], q)
    return out


def _predict(classifier: DigitClassifier, images: list[np.ndarray]) -> np.ndarray:
    batch = np.stack(images).reshape(-1, IMAGE_SIZE_PX, IMAGE_SIZE_PX)
    return np.asarray(classifier.predict(batch))


def read_digits(
    frame: np.ndarray, classifier: DigitClassifier, options: ReaderOptions = DEFAULT_OPTIONS
) -> Reading:
    """Return the Reading of `frame`; its digits go through `classifier.predict` in one batch.

    A frame whose candidates all look like paper texture (see edge_app.reject) and none reads
    sure reads "": a false number is worse than an empty reading. A crop read unsure (below
    SPLIT_MIN_CONFIDENCE), or wider than SPLIT_WIDE_ASPECT, is cut into touching digits (parts
    may be cut again, see _resolve), kept when every part reads sure. A digit that still reads
    below SECOND_LOOK_BELOW is read again shifted a pixel each way, all such in one more batch.
    """
    t0 = time.perf_counter_ns()
    crops = extract_digits(frame, options)
    t1 = time.perf_counter_ns()
    digits: list[Digit] = []
    seen: list[np.ndarray] = []  # the image each digit was classified from, in digit order
    if crops:
        probs = _predict(classifier, [c.image for c in crops])
        resolved = [d for ds in _resolve(classifier, crops, probs, SPLIT_DEPTH) for d in ds]
        resolved = _second_look(classifier, resolved)
        digits = [_digit(q, crop.box, options) for crop, q in resolved]
        seen = [crop.image for crop, _ in resolved]
    if digits and nothing_here([d.confidence for d in digits], _textures(crops, options)):
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
