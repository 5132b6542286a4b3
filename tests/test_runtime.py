"""edge_app.runtime: the import fallback order, quantization, batching and bad model files."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from edge_app import runtime
from edge_app.errors import UserError
from edge_app.runtime import Classifier, TensorSpec, dequantize, load_interpreter_class, quantize


def _block(monkeypatch, *blocked: str) -> None:
    real = importlib.import_module

    def fake_import(name, *args, **kwargs):
        if name in blocked:
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(runtime.importlib, "import_module", fake_import)


def test_fallback_prefers_litert_then_tflite_runtime_then_tf_lite(monkeypatch):
    pytest.importorskip("ai_edge_litert")
    assert load_interpreter_class()[1] == "litert"
    _block(monkeypatch, "ai_edge_litert.interpreter", "tflite_runtime.interpreter")
    pytest.importorskip("tensorflow")
    assert load_interpreter_class()[1] == "tf.lite"


def test_no_runtime_at_all_is_a_user_error_with_the_fix(monkeypatch):
    _block(monkeypatch, "ai_edge_litert.interpreter", "tflite_runtime.interpreter", "tensorflow")
    with pytest.raises(UserError, match="pip install ai-edge-litert"):
        load_interpreter_class()
    with pytest.raises(UserError, match="unknown runtime"):
        load_interpreter_class("onnx")


def test_quantize_round_trip_uses_the_tensor_scale_and_zero_point():
    spec = TensorSpec(dtype="int8", shape=(1, 28, 28), scale=1 / 255, zero_point=-128)
    x = np.array([0.0, 0.5, 1.0, 1.5, -0.2], np.float32)
    q = quantize(x, spec)
    assert q.dtype == np.int8 and list(q) == [-128, 0, 127, 127, -128]
    np.testing.assert_allclose(dequantize(q, spec)[:3], [0.0, 128 / 255, 1.0], atol=1e-6)


@pytest.fixture(scope="module")
def images(mnist):
    return mnist.x_test[:37].astype(np.float32) / 255


@pytest.mark.parametrize("variant", ["float32", "int8"])
def test_batched_padded_and_one_image_answers_agree(tiny_artifacts, images, variant):
    classifier = Classifier(tiny_artifacts / f"model_{variant}.tflite")
    batched = classifier.predict(images)  # 37 -> padded to 64
    one_by_one = np.concatenate([classifier.predict(img[None]) for img in images])
    assert batched.shape == (37, 10) and batched.dtype == np.float32
    np.testing.assert_allclose(batched, one_by_one, atol=1e-6)
    np.testing.assert_allclose(batched.sum(axis=1), 1.0, atol=0.02)
    as_uint8 = classifier.predict(np.round(images * 255).astype(np.uint8))
    np.testing.assert_allclose(as_uint8, batched, atol=1e-6)
    assert classifier.predict(np.zeros((0, 28, 28), np.float32)).shape == (0, 10)


def test_float32_matches_keras(tiny_artifacts, images):
    keras = pytest.importorskip("keras")
    model = keras.saving.load_model(tiny_artifacts / "model.keras", safe_mode=True)
    expected = model.predict(images, verbose=0)
    np.testing.assert_allclose(
        Classifier(tiny_artifacts / "model_float32.tflite").predict(images), expected, atol=1e-5
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a usable TFLite model"),
        (b"\x00garbage" * 100, "not a usable TFLite model"),
        ("truncated", "not a usable TFLite model"),
    ],
)
def test_bad_model_files_are_user_errors(tmp_path, tiny_artifacts, content, message):
    path = tmp_path / "model.tflite"
    if content == "truncated":
        content = (tiny_artifacts / "model_int8.tflite").read_bytes()[:5000]
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        Classifier(path)
    with pytest.raises(UserError, match="cannot read model"):
        Classifier(tmp_path / "missing.tflite")
    with pytest.raises(UserError, match="from 1 to"):
        Classifier(tiny_artifacts / "model_int8.tflite", num_threads=0)
