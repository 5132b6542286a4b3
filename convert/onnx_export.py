"""Optional ONNX export: float32 from the .tflite (tf2onnx), int8 by ONNX Runtime's quantizer."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from convert.evaluate import VariantEval, class_stats
from convert.quiet import native_output_captured
from edge_app.artifacts import sha256_file
from edge_app.runtime import to_float

ONNX_FILE = "model_float32.onnx"
ONNX_INT8_FILE = "model_int8.onnx"
# Opset 17 is read by every ONNX Runtime since 1.11 (2022), old Pi images included.
ONNX_OPSET = 17
REQUIRED = ("tf2onnx", "onnxruntime")


def missing_packages() -> list[str]:
    """Return the packages of the `onnx` extra that are not installed."""
    return [name for name in REQUIRED if importlib.util.find_spec(name) is None]


def export_onnx(tflite_path: Path, onnx_path: Path) -> None:
    """Convert the .tflite at `tflite_path` to ONNX at `onnx_path` (static (1, 28, 28) input, kept).

    tf2onnx's Keras path fails on Keras 3 models; its TFLite path reads the file we ship.
    """
    import tf2onnx

    with (
        contextlib.redirect_stdout(io.StringIO()),
        warnings.catch_warnings(),
        native_output_captured(),
    ):
        warnings.simplefilter("ignore")
        tf2onnx.convert.from_tflite(str(tflite_path), opset=ONNX_OPSET, output_path=str(onnx_path))


def quantize_onnx_int8(float_path: Path, int8_path: Path, calibration: np.ndarray) -> None:
    """Statically quantize the float ONNX model (QDQ, uint8 activations, int8 weights).

    Calibrated on the same training images as the TFLite int8 model, so the two compare fairly.
    """
    import logging

    import onnxruntime as ort
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    name = (
        ort.InferenceSession(str(float_path), providers=["CPUExecutionProvider"])
        .get_inputs()[0]
        .name
    )

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._images = iter(np.asarray(calibration, np.float32))

        def get_next(self):
            image = next(self._images, None)
            return None if image is None else {name: image[None]}

    root = logging.getLogger()
    level = root.level
    # The quantizer logs a pre-processing hint that does not apply to this already-static graph.
    root.setLevel(logging.ERROR)
    try:
        quantize_static(
            str(float_path),
            str(int8_path),
            Reader(),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
    finally:
        root.setLevel(level)


def onnx_probabilities(onnx_path: Path, images: np.ndarray) -> np.ndarray:
    """Return (N, 10) outputs of the ONNX model for uint8 `images`, one image per call as deployed."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    x = to_float(images)
    return np.concatenate([session.run(None, {name: x[i : i + 1]})[0] for i in range(len(x))])


def _evaluate(path: Path, data, float_labels: np.ndarray, litert_labels: np.ndarray) -> dict:
    import onnxruntime as ort

    started = time.perf_counter()
    predicted = onnx_probabilities(path, data.x_test).argmax(1)
    eval_seconds = time.perf_counter() - started
    stats = class_stats(predicted, data.y_test)
    return {
        "path": path.name,
        "size_bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        "accuracy": stats.accuracy,
        "agreement_with_float": float(np.mean(predicted == float_labels)),
        "agreement_with_litert": float(np.mean(predicted == litert_labels)),
        "per_class_accuracy": list(stats.per_class_accuracy),
        "confusion_matrix": [list(row) for row in stats.confusion],
        "input": {"dtype": "float32", "shape": [1, 28, 28], "scale": 0.0, "zero_point": 0},
        "runtime": f"onnxruntime {ort.__version__}",
        "opset": ONNX_OPSET,
        "eval_seconds": round(eval_seconds, 3),
    }


def export_and_evaluate(
    staging: Path,
    evals: dict[str, VariantEval],
    data,
    float_labels: np.ndarray,
    calibration: np.ndarray,
    log,
) -> tuple[dict[str, Any], list[Path]]:
    """Write model_float32.onnx (and model_int8.onnx) into `staging` and evaluate them.

    Skips with a one-line note when the `onnx` extra is not installed. The int8 model is compared
    with the TFLite int8 model's answers when that variant was built, else with float32's.
    """
    if missing := missing_packages():
        note = f"ONNX export skipped: {', '.join(missing)} not installed (pip install -e '.[onnx]')"
        log(note)
        return {"status": "skipped", "note": note}, []
    log("exporting model_float32.onnx (tf2onnx) and model_int8.onnx (ONNX Runtime quantizer)...")
    float32 = evals["float32"]
    float_path, int8_path = staging / ONNX_FILE, staging / ONNX_INT8_FILE
    export_onnx(float32.path, float_path)
    quantize_onnx_int8(float_path, int8_path, calibration)
    tflite_int8 = evals.get("int8", float32)
    models = {
        "float32": _evaluate(float_path, data, float_labels, float32.predictions),
        "int8": _evaluate(int8_path, data, float_labels, tflite_int8.predictions),
    }
    for name, entry in models.items():
        log(
            f"  onnx {name}: {entry['size_bytes'] / 1024:.1f} KiB, accuracy "
            f"{100 * entry['accuracy']:.2f}%, agreement with float {entry['agreement_with_float']:.4f}"
        )
    return {"status": "ok", "models": models}, [float_path, int8_path]
