"""OpenCV DNN as a second runtime for a .tflite file: does it load, and does it compute what LiteRT does.

The one rule that convert's gate, its report and the benchmarks apply: OpenCV is trusted with a
model when its top-1 answers match LiteRT's on at least OPENCV_MIN_AGREEMENT of the images.
The Pi never runs OpenCV DNN, so this lives in convert; the benchmarks import it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convert.quiet import native_output_captured
from edge_app.runtime import NUM_CLASSES, to_float

# OpenCV loads some graphs (dynamic-range weights) and returns wrong answers without an error:
# below this, it computes something else; above, only rounding differs (float32 gives 1.0).
OPENCV_MIN_AGREEMENT = 0.999
OPENCV_BATCH = 1000


@dataclass(frozen=True)
class OpenCvResult:
    """How OpenCV's DNN module handles a .tflite file: loaded or not, and its top-1 vs LiteRT."""

    loaded: bool
    accuracy: float | None = None
    agreement_with_litert: float | None = None
    error: str | None = None

    @property
    def trusted(self) -> bool:
        """True when OpenCV computes what LiteRT computes, not merely something that loads."""
        return self.loaded and (self.agreement_with_litert or 0.0) >= OPENCV_MIN_AGREEMENT

    def to_json(self) -> dict:
        return {
            "loaded": self.loaded,
            "accuracy": self.accuracy,
            "agreement_with_litert": self.agreement_with_litert,
            "error": self.error,
        }


def opencv_check(
    path: Path, images: np.ndarray, reference: np.ndarray, labels: np.ndarray | None = None
) -> OpenCvResult:
    """Run `path` in OpenCV DNN (NCHW blobs) and compare its top-1 with `reference` labels.

    `labels` (the truth, when known) gives the accuracy. OpenCV reads the 28x28 input as NCHW
    (N, 1, 28, 28); fed NHWC it silently returns garbage.
    """
    import cv2

    try:
        # OpenCV logs its own import errors; the reason goes into the report instead.
        with native_output_captured():
            net = cv2.dnn.readNetFromTFLite(str(path))
        blob = to_float(images)[:, None]
        outputs = []
        for start in range(0, len(blob), OPENCV_BATCH):
            net.setInput(blob[start : start + OPENCV_BATCH])
            outputs.append(np.asarray(net.forward()).reshape(-1, NUM_CLASSES))
    except cv2.error as e:
        reason = str(e).strip().splitlines()[-1] if str(e).strip() else "cv2.error"
        # "OpenCV(5.0.0) /path/importer.cpp:479: error: (-2:Unspecified error) Can't create ..."
        reason = reason.split("error) ", 1)[-1].split(" in function")[0]
        return OpenCvResult(loaded=False, error=reason[:300])
    predicted = np.concatenate(outputs).argmax(1)
    return OpenCvResult(
        loaded=True,
        accuracy=None if labels is None else float(np.mean(predicted == labels)),
        agreement_with_litert=float(np.mean(predicted == reference)),
    )
