"""Evaluate a .tflite file on the test set through the deployed runtime (edge_app.runtime)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convert.opencv_dnn import OpenCvResult, opencv_check
from convert.tflite_schema import op_names
from edge_app.artifacts import sha256_bytes
from edge_app.runtime import NUM_CLASSES, Classifier, TensorSpec

# Images checked one at a time against the batched run (the batched run covers the full set).
ONE_IMAGE_CHECK_COUNT = 256


@dataclass(frozen=True)
class ClassStats:
    """Top-1 accuracy, per-class accuracy and confusion matrix (rows: true label, cols: predicted)."""

    accuracy: float
    per_class_accuracy: tuple[float, ...]
    confusion: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class VariantEval:
    """Everything measured about one .tflite variant on the test set."""

    name: str
    path: Path
    size_bytes: int
    sha256: str
    runtime: str
    input: TensorSpec
    output: TensorSpec
    stats: ClassStats
    agreement_with_float: float
    one_image_agreement: float
    one_image_max_abs_diff: float
    eval_seconds: float
    ops: tuple[str, ...]
    opencv: OpenCvResult
    predictions: np.ndarray  # (N,) top-1 labels on the test set; not written to JSON

    @property
    def accuracy(self) -> float:
        return self.stats.accuracy


def class_stats(predicted: np.ndarray, labels: np.ndarray) -> ClassStats:
    """Return accuracy, per-class accuracy and the confusion matrix of `predicted` vs `labels`."""
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
    np.add.at(confusion, (labels.astype(np.int64), predicted.astype(np.int64)), 1)
    totals = confusion.sum(axis=1)
    per_class = np.divide(np.diag(confusion), totals, out=np.zeros(NUM_CLASSES), where=totals > 0)
    return ClassStats(
        accuracy=float(np.mean(predicted == labels)),
        per_class_accuracy=tuple(round(float(v), 6) for v in per_class),
        confusion=tuple(tuple(int(v) for v in row) for row in confusion),
    )


def batched_and_one_image(
    classifier: Classifier, images: np.ndarray, one_image_count: int = ONE_IMAGE_CHECK_COUNT
) -> tuple[np.ndarray, float, float]:
    """Return (batched probabilities for all images, top-1 agreement and max |diff| vs one-image runs).

    The batched run resizes the static (1, 28, 28) input tensor; the one-image runs use it as
    shipped, which is how the app calls it. Both must give the same answers.
    """
    probs = classifier.predict(images)
    count = min(one_image_count, len(images))
    single = np.concatenate([classifier.predict(images[i : i + 1]) for i in range(count)])
    agreement = float(np.mean(single.argmax(1) == probs[:count].argmax(1))) if count else 1.0
    max_diff = float(np.max(np.abs(single - probs[:count]))) if count else 0.0
    return probs, agreement, max_diff


def evaluate_variant(
    name: str,
    path: Path,
    model_bytes: bytes,
    images: np.ndarray,
    labels: np.ndarray,
    float_predictions: np.ndarray,
    one_image_count: int = ONE_IMAGE_CHECK_COUNT,
    runtime: str = "auto",
) -> VariantEval:
    """Evaluate the .tflite at `path` on uint8 `images` through edge_app's Classifier.

    `model_bytes` is the content just written to `path`: size, hash and ops come from it, so the
    file is not read back for them (the runtime and OpenCV load `path`, as the app will).
    """
    started = time.perf_counter()
    classifier = Classifier(path, runtime=runtime)
    probs, one_agreement, one_diff = batched_and_one_image(classifier, images, one_image_count)
    eval_seconds = time.perf_counter() - started
    predicted = probs.argmax(1)
    return VariantEval(
        name=name,
        path=path,
        size_bytes=len(model_bytes),
        sha256=sha256_bytes(model_bytes),
        runtime=classifier.runtime,
        input=classifier.input_spec,
        output=classifier.output_spec,
        stats=class_stats(predicted, labels),
        agreement_with_float=float(np.mean(predicted == float_predictions)),
        one_image_agreement=one_agreement,
        one_image_max_abs_diff=one_diff,
        eval_seconds=eval_seconds,
        ops=tuple(op_names(model_bytes)),
        opencv=opencv_check(path, images, predicted, labels),
        predictions=predicted,
    )
