"""ONNX export (`convert --onnx`): same answers as LiteRT, and a clean skip without the packages."""

from __future__ import annotations

import numpy as np
import pytest

from convert import onnx_export
from edge_app.runtime import Classifier

CHECK_IMAGES = 500


def test_skips_with_a_note_when_packages_are_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_export, "missing_packages", lambda: ["tf2onnx"])
    notes = []
    info, files = onnx_export.export_and_evaluate(tmp_path, {}, None, None, None, notes.append)
    assert info["status"] == "skipped" and files == []
    assert notes == [info["note"]] and "tf2onnx" in info["note"] and "[onnx]" in info["note"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(
    bool(onnx_export.missing_packages()), reason="the `onnx` extra is not installed"
)
def test_onnx_models_match_litert(tiny_artifacts, mnist, tmp_path):
    from convert.variants import representative_images

    float_onnx, int8_onnx = tmp_path / "model_float32.onnx", tmp_path / "model_int8.onnx"
    onnx_export.export_onnx(tiny_artifacts / "model_float32.tflite", float_onnx)
    images = mnist.x_test[:CHECK_IMAGES]
    litert = Classifier(tiny_artifacts / "model_float32.tflite").predict(images)
    onnx = onnx_export.onnx_probabilities(float_onnx, images)
    np.testing.assert_allclose(onnx, litert, atol=1e-4)

    calibration = representative_images(mnist.x_train, mnist.y_train, per_class=10)
    onnx_export.quantize_onnx_int8(float_onnx, int8_onnx, calibration)
    assert int8_onnx.stat().st_size < 0.35 * float_onnx.stat().st_size
    int8 = onnx_export.onnx_probabilities(int8_onnx, images)
    assert np.mean(int8.argmax(1) == litert.argmax(1)) >= 0.97
