"""The accuracy gate on made-up evaluations: every rule can fail, and the message says why (no TF)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from convert.evaluate import ClassStats, VariantEval, class_stats
from convert.gate import GateOptions, check_gate, load_baseline
from convert.opencv_dnn import OpenCvResult
from edge_app.errors import UserError
from edge_app.runtime import TensorSpec

FLOAT_ACCURACY = 0.99
STATIC_OPS = ("RESHAPE", "FULLY_CONNECTED", "SOFTMAX")


def fake_eval(name: str, accuracy: float, agreement: float = 1.0, **changes) -> VariantEval:
    fields = dict(
        name=name,
        path=Path(f"model_{name}.tflite"),
        size_bytes=1000,
        sha256="0" * 64,
        runtime="litert",
        input=TensorSpec("float32", (1, 28, 28), 0.0, 0),
        output=TensorSpec("float32", (1, 10), 0.0, 0),
        stats=ClassStats(accuracy, (accuracy,) * 10, ((0,) * 10,) * 10),
        agreement_with_float=agreement,
        one_image_agreement=1.0,
        one_image_max_abs_diff=0.0,
        eval_seconds=0.1,
        ops=STATIC_OPS,
        opencv=OpenCvResult(loaded=True, accuracy=accuracy, agreement_with_litert=1.0),
        predictions=np.zeros(10, np.int64),
    )
    fields.update(changes)
    return VariantEval(**fields)


def good_set() -> dict[str, VariantEval]:
    return {"float32": fake_eval("float32", 0.99), "int8": fake_eval("int8", 0.989, 0.997)}


def test_good_variants_pass():
    result = check_gate(FLOAT_ACCURACY, good_set())
    assert result.passed and result.reasons == ()
    assert result.to_json()["max_drop_pp"] == 0.5


def test_int8_accuracy_drop_fails_naming_variant_accuracies_and_threshold():
    evals = good_set() | {"int8": fake_eval("int8", 0.982, 0.995)}
    result = check_gate(FLOAT_ACCURACY, evals)
    assert not result.passed
    (reason,) = result.reasons
    assert "int8" in reason and "98.20%" in reason and "99.00%" in reason
    assert "0.80 pp" in reason and "max drop 0.5 pp" in reason


def test_max_drop_threshold_is_respected():
    evals = good_set() | {"int8": fake_eval("int8", 0.982, 0.995)}
    assert check_gate(FLOAT_ACCURACY, evals, GateOptions(max_drop_pp=1.0)).passed


def test_low_agreement_fails_even_with_equal_accuracy():
    evals = good_set() | {"int8": fake_eval("int8", 0.99, 0.98)}
    (reason,) = check_gate(FLOAT_ACCURACY, evals).reasons
    assert "int8" in reason and "0.9800" in reason and "0.99" in reason and "99.00%" in reason


def test_float32_must_match_keras():
    evals = good_set() | {"float32": fake_eval("float32", 0.99, 0.998)}
    (reason,) = check_gate(FLOAT_ACCURACY, evals).reasons
    assert reason.startswith("float32") and "0.999" in reason


def test_baseline_regression_fails(tmp_path):
    baseline = tmp_path / "convert_report.json"
    baseline.write_text(json.dumps({"variants": {"int8": {"accuracy": 0.996}}}))
    result = check_gate(FLOAT_ACCURACY, good_set(), baseline=load_baseline(baseline))
    (reason,) = result.reasons
    assert "int8" in reason and "baseline 99.60%" in reason and "98.90%" in reason


def test_shape_op_batch_mismatch_and_opencv_fail():
    evals = {
        "float32": fake_eval(
            "float32",
            0.99,
            ops=("SHAPE", *STATIC_OPS),
            opencv=OpenCvResult(loaded=False, error="Unsupported operator type SHAPE"),
        ),
        "int8": fake_eval("int8", 0.99, one_image_agreement=0.99),
    }
    reasons = " | ".join(check_gate(FLOAT_ACCURACY, evals).reasons)
    assert "dynamic-shape ops ['SHAPE']" in reasons
    assert "OpenCV DNN" in reasons and "Unsupported operator type SHAPE" in reasons
    assert "batched and one-image" in reasons


@pytest.mark.parametrize("content", ["not json", "{}", '{"variants": {}}', "[]"])
def test_bad_baseline_is_a_user_error(tmp_path, content):
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(UserError):
        load_baseline(path)
    with pytest.raises(UserError):
        load_baseline(tmp_path / "missing.json")


def test_class_stats():
    labels = np.array([0, 0, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 0])
    stats = class_stats(predicted, labels)
    assert stats.accuracy == pytest.approx(0.6)
    assert stats.per_class_accuracy[:3] == (0.5, 1.0, 0.0)
    assert stats.per_class_accuracy[3] == 0.0  # a class with no images
    assert stats.confusion[0][:2] == (1, 1) and stats.confusion[2][0] == 1
    assert sum(map(sum, stats.confusion)) == 5
