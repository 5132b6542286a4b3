"""The TFLite runtime: the one place that picks LiteRT, tflite-runtime or tf.lite, and a Classifier on top.

The import fallback lives here and only here, so the app, `convert` and the benchmarks all run the
model through the same code the Raspberry Pi runs.
"""

from __future__ import annotations

import functools
import importlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_app.errors import UserError

# Name used on the command line -> (module to import, attribute path of the Interpreter class).
RUNTIMES: dict[str, tuple[str, str]] = {
    "litert": ("ai_edge_litert.interpreter", "Interpreter"),
    "tflite-runtime": ("tflite_runtime.interpreter", "Interpreter"),
    "tf.lite": ("tensorflow", "lite.Interpreter"),
}
AUTO = "auto"
RUNTIME_CHOICES = (AUTO, *RUNTIMES)
IMAGE_SIZE_PX = 28
NUM_CLASSES = 10
# Batches are padded up to a power of two, so a frame with 3 digits reuses the interpreter sized
# for 4 instead of reallocating tensors every time the digit count changes.
MAX_BATCH = 1024
# More interpreter threads than this only slows a small model down; 100000 crashes the runtime.
MAX_THREADS = 64
# Shapes a 28x28 digit classifier may take and give (batch first).
INPUT_SHAPES = ((1, IMAGE_SIZE_PX, IMAGE_SIZE_PX), (1, IMAGE_SIZE_PX, IMAGE_SIZE_PX, 1), (1, 784))
OUTPUT_SHAPE = (1, NUM_CLASSES)
TENSOR_DTYPES = frozenset({"float32", "int8", "uint8"})
# All tensors of one interpreter together: the reference MLP needs under 1 MiB at batch 1 and a few
# MiB at MAX_BATCH; a model whose tensors need more (a TILE blowing up) is refused before it runs.
MAX_TENSOR_BYTES = 256 << 20


def _import_interpreter(name: str) -> type:
    module_name, attr_path = RUNTIMES[name]
    obj = importlib.import_module(module_name)
    for attr in attr_path.split("."):
        obj = getattr(obj, attr)
    return obj


def load_interpreter_class(runtime: str = AUTO) -> tuple[type, str]:
    """Return (Interpreter class, runtime name): the one asked for, or the first that imports."""
    if runtime != AUTO and runtime not in RUNTIMES:
        raise UserError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIME_CHOICES)}")
    names = list(RUNTIMES) if runtime == AUTO else [runtime]
    errors = []
    for name in names:
        try:
            return _import_interpreter(name), name
        except Exception as e:  # noqa: BLE001 - ImportError, or a wheel built for another NumPy
            errors.append(f"{name}: {type(e).__name__}: {e}")
    if runtime == AUTO:
        hint = "install one with `pip install ai-edge-litert`"
    else:
        hint = "install it, or use --runtime auto"
    raise UserError(f"no TFLite runtime could be loaded ({'; '.join(errors)}); {hint}")


@dataclass(frozen=True)
class TensorSpec:
    """What a model tensor holds: dtype name, shape, and affine quantization (scale 0 = float)."""

    dtype: str
    shape: tuple[int, ...]
    scale: float
    zero_point: int

    @property
    def quantized(self) -> bool:
        return self.scale != 0.0

    def to_json(self) -> dict:
        return {
            "dtype": self.dtype,
            "shape": list(self.shape),
            "scale": self.scale,
            "zero_point": self.zero_point,
        }


def _spec(detail: dict) -> TensorSpec:
    scale, zero_point = detail.get("quantization", (0.0, 0))
    return TensorSpec(
        dtype=np.dtype(detail["dtype"]).name,
        shape=tuple(int(d) for d in detail["shape"]),
        scale=float(scale),
        zero_point=int(zero_point),
    )


def to_float(images: np.ndarray) -> np.ndarray:
    """Return uint8 pixels scaled to float32 in [0, 1], other images as float32: every variant's input."""
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32, copy=False)


@functools.cache
def _limits(dtype: str) -> np.iinfo:
    return np.iinfo(dtype)


def quantize(images: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """Turn float images in [0, 1] into the model's input dtype using its own scale and zero point."""
    if not spec.quantized:
        return images.astype(spec.dtype, copy=False)
    info = _limits(spec.dtype)
    q = images * np.float32(1.0 / spec.scale)
    q += np.float32(spec.zero_point)
    np.rint(q, out=q)
    # Two ufuncs: the same values as np.clip, without its Python wrapper's cost per call.
    np.maximum(q, info.min, out=q)
    np.minimum(q, info.max, out=q)
    return q.astype(spec.dtype)


def dequantize(values: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """Turn the model's output tensor into float32 probabilities."""
    if not spec.quantized:
        return values.astype(np.float32, copy=False)
    return ((values.astype(np.float32) - spec.zero_point) * spec.scale).astype(
        np.float32, copy=False
    )


def _check_tensor_bytes(interpreter) -> None:
    """Raise ValueError when the interpreter's tensors together exceed MAX_TENSOR_BYTES.

    Allocation only reserves memory; the first invoke would touch it. So checking the shapes
    after allocate_tensors and before invoke stops a model that would need gigabytes.
    """
    total = 0
    for detail in interpreter.get_tensor_details():
        shape = [max(int(d), 1) for d in detail["shape"]]
        total += int(np.prod(shape, dtype=np.float64)) * np.dtype(detail["dtype"]).itemsize
    if total > MAX_TENSOR_BYTES:
        raise ValueError(
            f"its tensors need {total / (1 << 30):.1f} GiB, over the {MAX_TENSOR_BYTES >> 20} MiB limit"
        )


def _bucket(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


@dataclass
class _Slot:
    """An interpreter allocated for one batch size, with its tensor indices looked up once."""

    interpreter: object
    input_index: int
    output_index: int
    input_buffer: np.ndarray  # padded batch, reused every call


class Classifier:
    """A TFLite digit classifier: batches of 28x28 images in, class probabilities out.

    Callers pass float images in [0, 1] (or uint8 0..255) shaped (N, 28, 28); quantization of the
    input and dequantization of the output come from the model's own tensor details.
    """

    def __init__(
        self,
        model_path: str | os.PathLike,
        runtime: str = AUTO,
        num_threads: int = 1,
        model_bytes: bytes | None = None,
    ) -> None:
        """Load `model_path` (or `model_bytes` already read from it) with `runtime`."""
        if not 1 <= num_threads <= MAX_THREADS:
            raise UserError(f"--threads must be from 1 to {MAX_THREADS}, got {num_threads}")
        self.model_path = Path(model_path)
        self.num_threads = num_threads
        self._interpreter_class, self.runtime = load_interpreter_class(runtime)
        try:
            self._model_bytes = (
                model_bytes if model_bytes is not None else self.model_path.read_bytes()
            )
        except OSError as e:
            raise UserError(
                f"cannot read model {self.model_path}: {e.strerror or e}; run `python -m convert` to make it"
            ) from e
        self._slots: dict[int, _Slot] = {}
        first = self._slot(1).interpreter
        self.input_spec = _spec(first.get_input_details()[0])
        self.output_spec = _spec(first.get_output_details()[0])
        self._check_specs()

    def _check_specs(self) -> None:
        """Refuse a model that loads but is no 28x28 -> 10 class classifier (it would crash later)."""
        ins, outs = self.input_spec, self.output_spec
        problem = None
        if ins.shape not in INPUT_SHAPES or outs.shape != OUTPUT_SHAPE:
            problem = f"takes input {list(ins.shape)} and gives output {list(outs.shape)}"
        elif ins.dtype not in TENSOR_DTYPES or outs.dtype not in TENSOR_DTYPES:
            problem = f"takes {ins.dtype} and gives {outs.dtype} tensors"
        if problem:
            raise UserError(
                f"{self.model_path} {problem}, not 28x28 grey images -> {NUM_CLASSES} class "
                f"{'/'.join(sorted(TENSOR_DTYPES))} scores; use a model made by `python -m convert`"
            )

    def _slot(self, batch: int) -> _Slot:
        """Return the interpreter allocated for `batch` images, built once per size."""
        slot = self._slots.get(batch)
        if slot is not None:
            return slot
        try:
            interpreter = self._interpreter_class(
                model_content=self._model_bytes, num_threads=self.num_threads
            )
            inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
            if len(inputs) != 1 or len(outputs) != 1:
                raise ValueError("expected one input and one output tensor")
            _check_tensor_bytes(interpreter)  # the shapes the file declares
            shape = list(inputs[0]["shape"])
            if batch != shape[0]:
                shape[0] = batch
                interpreter.resize_tensor_input(inputs[0]["index"], shape)
            interpreter.allocate_tensors()
            _check_tensor_bytes(interpreter)  # the shapes the operators computed, before any run
        except (ValueError, RuntimeError, MemoryError) as e:
            raise UserError(
                f"{self.model_path} is not a usable TFLite model ({str(e).splitlines()[0] if str(e) else type(e).__name__}); "
                "re-create it with `python -m convert`"
            ) from e
        slot = _Slot(
            interpreter=interpreter,
            input_index=inputs[0]["index"],
            output_index=outputs[0]["index"],
            input_buffer=np.zeros(shape, inputs[0]["dtype"]),
        )
        self._slots[batch] = slot
        return slot

    def interpreter(self, batch: int = 1):
        """Return the interpreter allocated for `batch` images (benchmarks time its invoke alone)."""
        return self._slot(batch).interpreter

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Return class probabilities, shape (N, 10) float32, for images shaped (N, 28, 28)."""
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE_PX, IMAGE_SIZE_PX):
            raise ValueError(f"expected images shaped (N, 28, 28), got {images.shape}")
        if images.dtype == np.uint8:
            images = to_float(images)
        n = len(images)
        if n == 0:
            return np.zeros((0, NUM_CLASSES), np.float32)
        if n > MAX_BATCH:
            return np.concatenate(
                [self.predict(images[i : i + MAX_BATCH]) for i in range(0, n, MAX_BATCH)]
            )
        slot = self._slot(_bucket(n))
        x = quantize(images.astype(np.float32, copy=False), self.input_spec)
        slot.input_buffer[:n] = x.reshape((n, *slot.input_buffer.shape[1:]))
        if n < len(slot.input_buffer):
            slot.input_buffer[n:] = 0
        slot.interpreter.set_tensor(slot.input_index, slot.input_buffer)
        slot.interpreter.invoke()
        out = slot.interpreter.get_tensor(slot.output_index)[:n]
        return dequantize(out.reshape(n, NUM_CLASSES), self.output_spec)
