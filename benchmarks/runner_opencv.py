"""OpenCV DNN as a benchmark runtime, after a crash and correctness check in a child process.

The rule for trusting OpenCV with a model is convert's (convert/opencv_dnn.py), imported lazily so
the runner loads without TensorFlow; it is applied here to random images, there to the test set.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from benchmarks.cli import run_module
from benchmarks.runners import EVAL_CHUNK, OPENCV, Runner, Unavailable, first_line
from edge_app.runtime import IMAGE_SIZE_PX, Classifier, to_float

# 1000 images: at the 0.999 rule, a single different answer is allowed (float32 gives 1.0).
OPENCV_CHECK_IMAGES = 1000
PROBE_TIMEOUT_S = 300


def opencv_agreement(path: Path) -> float:
    """Return the top-1 agreement of OpenCV DNN with edge_app's Classifier on random images.

    Raises Unavailable when OpenCV cannot load the model.
    """
    from convert.opencv_dnn import opencv_check

    images = np.random.default_rng(0).integers(0, 256, (OPENCV_CHECK_IMAGES, 28, 28), np.uint8)
    reference = np.argmax(Classifier(path).predict(images), axis=1)
    result = opencv_check(Path(path), images, reference)
    if not result.loaded:
        raise Unavailable(result.error or "OpenCV cannot load it")
    return float(result.agreement_with_litert)


@functools.cache
def _opencv_problem(path: Path) -> str | None:
    """Run `path` through OpenCV in a child process first and compare its answers with LiteRT's.

    OpenCV's TFLite importer can crash (SIGSEGV) or silently compute garbage on graphs it does not
    expect (dynamic-range weights: about 10% on MNIST); either must cost one row, not the run.
    """
    from convert.opencv_dnn import OPENCV_MIN_AGREEMENT

    result = run_module("benchmarks.probe", "opencv", str(path), timeout=PROBE_TIMEOUT_S)
    if result.returncode < 0:
        return f"OpenCV crashed running it (signal {-result.returncode})"
    try:
        agreement = float(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None  # it did not load: the in-process attempt reports OpenCV's own reason
    if agreement < OPENCV_MIN_AGREEMENT:
        return f"OpenCV runs it but gives LiteRT's top-1 on only {agreement:.0%} of images (wrong answers)"
    return None


class OpenCVRunner(Runner):
    """A .tflite model through OpenCV's DNN module, fed an NCHW blob (N, 1, 28, 28) as it expects."""

    runtime = OPENCV

    def __init__(
        self, path: Path, threads: int, image: np.ndarray, batch: np.ndarray, checked: bool = False
    ):
        try:
            import cv2
        except ImportError as e:
            raise Unavailable("OpenCV is not installed") from e
        if not hasattr(cv2.dnn, "readNetFromTFLite"):
            raise Unavailable(
                f"OpenCV {cv2.__version__} has no TFLite importer (needs 4.9 or later)"
            )
        problem = None if checked else _opencv_problem(Path(path))
        if problem:
            raise Unavailable(problem)
        # OpenCV's thread count is process-wide; the benchmark sets it before every OpenCV row.
        cv2.setNumThreads(threads)
        self._x = self._blob(image[None])
        # OpenCV logs a failed import on stderr too; the reason goes into the report instead.
        log_level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        try:
            self.net = cv2.dnn.readNetFromTFLite(str(path))
            self.single()
        except cv2.error as e:
            raise Unavailable(first_line(e)) from e
        finally:
            cv2.utils.logging.setLogLevel(log_level)
        self._batch_x = self._blob(batch)
        try:
            self.net.setInput(self._batch_x)
            self.native_batch = self.net.forward().shape[0] == len(batch)
        except cv2.error:
            self.native_batch = False
        self._singles = None if self.native_batch else [self._blob(b[None]) for b in batch]

    @staticmethod
    def _blob(images: np.ndarray) -> np.ndarray:
        # Fed NHWC, OpenCV silently returns garbage (about 11% on MNIST): it wants NCHW.
        return np.ascontiguousarray(
            to_float(images).reshape(len(images), 1, IMAGE_SIZE_PX, IMAGE_SIZE_PX)
        )

    def single(self) -> object:
        self.net.setInput(self._x)
        return self.net.forward()

    def batch(self) -> object:
        if self.native_batch:
            self.net.setInput(self._batch_x)
            return self.net.forward()
        out = []
        for x in self._singles:
            self.net.setInput(x)
            out.append(self.net.forward())
        return out

    def predict(self, images: np.ndarray) -> np.ndarray:
        outputs = []
        step = EVAL_CHUNK if self.native_batch else 1
        for i in range(0, len(images), step):
            self.net.setInput(self._blob(images[i : i + step]))
            outputs.append(self.net.forward().reshape(-1, 10))
        return np.concatenate(outputs)
