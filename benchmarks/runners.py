"""One runner per runtime: load a model, run one image (input set each time, as the app does) or a batch.

TFLite models run through edge_app.runtime, the code the app deploys; ONNX Runtime, OpenCV DNN and
Keras are the yardsticks a user would otherwise pick. A runtime that is missing or cannot load a
model raises `Unavailable` with a one-line reason, and that row is skipped with a note.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

import numpy as np

from edge_app.runtime import RUNTIMES as TFLITE_RUNTIMES
from edge_app.runtime import (
    Classifier,
    load_interpreter_class,
    quantize,
    to_float,
)

ONNXRUNTIME = "onnxruntime"
OPENCV = "opencv"
KERAS = "keras"
OTHER_RUNTIMES = (ONNXRUNTIME, OPENCV, KERAS)
ALL_RUNTIMES = (*TFLITE_RUNTIMES, *OTHER_RUNTIMES)
# Accuracy runs the test set in chunks so runtimes without dynamic batches still finish quickly.
EVAL_CHUNK = 256


class Unavailable(Exception):
    """A runtime is not installed or cannot load a model; the message is one line for the report."""


def first_line(error: BaseException) -> str:
    """Return the informative line of an exception message (OpenCV's are several lines long)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    # OpenCV: "OpenCV(5.0.0) /path/file.cpp:123: error: (-213:...) Unsupported operator type SHAPE in ..."
    line = lines[-1] if "error:" in lines[-1] else lines[0]
    line = line.split("error: ", 1)[-1]
    return re.sub(r"^\(-?\d+:[^)]*\)\s*|\s*in function '[^']*'$", "", line)


class Runner:
    """Base: `single()` runs one image, `batch()` runs `len(batch_images)` images, `predict()` returns scores."""

    runtime: str = ""
    #: False when the model has a fixed batch of one and `batch()` loops over single images.
    native_batch: bool = True

    def single(self) -> object:
        raise NotImplementedError

    def batch(self) -> object:
        raise NotImplementedError

    def predict(self, images: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class TFLiteRunner(Runner):
    """A .tflite model through edge_app.runtime: raw invoke for one image, Classifier.predict for batches.

    `raw=True` (for the floor model, which is no classifier) runs batches on a resized interpreter.
    """

    def __init__(
        self,
        path: Path,
        runtime: str,
        threads: int,
        image: np.ndarray,
        batch: np.ndarray,
        raw: bool = False,
    ):
        try:
            if raw:
                self.classifier = None
                interpreter_class, self.runtime = load_interpreter_class(runtime)
                model_bytes = path.read_bytes()
                self.interpreter = interpreter_class(model_content=model_bytes, num_threads=threads)
                self.interpreter.allocate_tensors()
            else:
                self.classifier = Classifier(path, runtime=runtime, num_threads=threads)
                self.runtime = self.classifier.runtime
                # The one-image path times set_tensor + invoke + get_tensor on the Classifier's own
                # batch-1 interpreter, without the Python-side quantization.
                self.interpreter = self.classifier.interpreter(1)
            detail = self.interpreter.get_input_details()[0]
            x = to_float(image[None])
            self._x = (x if raw else quantize(x, self.classifier.input_spec)).reshape(
                detail["shape"]
            )
            if raw:
                self._batch_interpreter = interpreter_class(
                    model_content=model_bytes, num_threads=threads
                )
                self._batch_interpreter.resize_tensor_input(
                    detail["index"], [len(batch), *detail["shape"][1:]]
                )
                self._batch_interpreter.allocate_tensors()
        except Exception as e:  # noqa: BLE001 - any load failure becomes a skipped row
            raise Unavailable(first_line(e)) from e
        self._input_index = detail["index"]
        self._output_index = self.interpreter.get_output_details()[0]["index"]
        self._batch = to_float(batch)

    def single(self) -> object:
        self.interpreter.set_tensor(self._input_index, self._x)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._output_index)

    def batch(self) -> object:
        if self.classifier is None:
            self._batch_interpreter.set_tensor(self._input_index, self._batch)
            self._batch_interpreter.invoke()
            return self._batch_interpreter.get_tensor(self._output_index)
        return self.classifier.predict(self._batch)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.classifier.predict(images)


class OnnxRunner(Runner):
    """An .onnx model through ONNX Runtime's CPU provider, `threads` intra-op threads."""

    runtime = ONNXRUNTIME

    def __init__(self, path: Path, threads: int, image: np.ndarray, batch: np.ndarray):
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise Unavailable("onnxruntime is not installed (pip install onnxruntime)") from e
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # noqa: BLE001 - invalid or unsupported model file
            raise Unavailable(first_line(e)) from e
        meta = self.session.get_inputs()[0]
        self._name = meta.name
        self._uint8 = meta.type == "tensor(uint8)"
        self._dims = [d if isinstance(d, int) else None for d in meta.shape]
        self.native_batch = self._dims[0] is None
        self._x = self._prepare(image[None])
        self._batch = batch
        self._batch_x = self._prepare(batch) if self.native_batch else None
        self._singles = [self._prepare(b[None]) for b in batch] if not self.native_batch else None

    def _prepare(self, images: np.ndarray) -> np.ndarray:
        x = images if self._uint8 else to_float(images)
        return np.ascontiguousarray(x.reshape(len(images), *[d or 1 for d in self._dims[1:]]))

    def single(self) -> object:
        return self.session.run(None, {self._name: self._x})[0]

    def batch(self) -> object:
        if self._batch_x is not None:
            return self.session.run(None, {self._name: self._batch_x})[0]
        return [self.session.run(None, {self._name: x})[0] for x in self._singles]

    def predict(self, images: np.ndarray) -> np.ndarray:
        if self.native_batch:
            chunks = range(0, len(images), EVAL_CHUNK)
            return np.concatenate(
                [
                    self.session.run(None, {self._name: self._prepare(images[i : i + EVAL_CHUNK])})[
                        0
                    ]
                    for i in chunks
                ]
            ).reshape(len(images), -1)
        return np.concatenate(
            [self.session.run(None, {self._name: self._prepare(im[None])})[0] for im in images]
        ).reshape(len(images), -1)


class KerasRunner(Runner):
    """The float Keras model: one image via model(x, training=False), batches via predict()."""

    runtime = KERAS

    def __init__(self, path: Path, image: np.ndarray, batch: np.ndarray):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            keras = importlib.import_module("keras")
        except Exception as e:  # noqa: BLE001 - no TensorFlow on a Pi: a note, not a failure
            raise Unavailable("TensorFlow/Keras is not installed (core install, as on a Pi)") from e
        try:
            # safe_mode refuses models that would run arbitrary Python code on load.
            self.model = keras.models.load_model(path, compile=False, safe_mode=True)
        except Exception as e:  # noqa: BLE001 - unreadable or foreign file
            raise Unavailable(first_line(e)) from e
        self._x = to_float(image)[None]
        self._batch = to_float(batch)

    def single(self) -> object:
        return self.model(self._x, training=False)

    def batch(self) -> object:
        return self.model.predict(self._batch, batch_size=len(self._batch), verbose=0)

    def call_batch(self) -> object:
        """The whole batch through one model() call, the batched form of the one-image baseline."""
        return self.model(self._batch, training=False)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.model.predict(to_float(images), batch_size=1024, verbose=0)


def open_runner(
    runtime: str,
    path: Path,
    threads: int,
    image: np.ndarray,
    batch: np.ndarray,
    raw: bool = False,
    checked: bool = False,
) -> Runner:
    """Return a runner for `runtime` on the model at `path`, or raise Unavailable with a reason.

    `image` is one (28, 28) uint8 image, `batch` (N, 28, 28); `raw` marks a model that is not a
    digit classifier (the floor), which TFLite then runs without edge_app's Classifier; `checked`
    skips OpenCV's child-process check (already done, or being done).
    """
    if runtime in TFLITE_RUNTIMES:
        return TFLiteRunner(path, runtime, threads, image, batch, raw)
    if runtime == ONNXRUNTIME:
        return OnnxRunner(path, threads, image, batch)
    if runtime == OPENCV:
        from benchmarks.runner_opencv import OpenCVRunner

        return OpenCVRunner(path, threads, image, batch, checked or raw)
    if runtime == KERAS:
        return KerasRunner(path, image, batch)
    raise ValueError(f"unknown runtime {runtime!r}")


def runtime_available(runtime: str) -> str | None:
    """Return None when `runtime` can be used here, else a one-line reason."""
    if runtime in TFLITE_RUNTIMES:
        try:
            load_interpreter_class(runtime)
        except Exception:  # noqa: BLE001 - UserError with a long message: keep the note short
            return f"{runtime} is not installed"
        return None
    module = {ONNXRUNTIME: "onnxruntime", OPENCV: "cv2", KERAS: "keras"}[runtime]
    try:
        importlib.import_module(module)
    except Exception:  # noqa: BLE001 - missing or broken install
        hint = {
            ONNXRUNTIME: "pip install onnxruntime",
            OPENCV: "pip install opencv-python-headless",
            KERAS: "TensorFlow is not installed: core install, as on a Pi",
        }[runtime]
        return f"{runtime} is not available ({hint})"
    return None
