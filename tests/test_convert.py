"""The convert pipeline on a real tiny model: static graphs, batched vs one image, OpenCV DNN,
report contents, a gate that fails, and no half-written artifacts (the manifest: test_manifest.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import numpy as np
import pytest

from convert.variants import VARIANTS, variant_file
from edge_app.artifacts import sha256_file
from edge_app.runtime import Classifier, load_interpreter_class, to_float
from tests.conftest import run_module

REPORT_VARIANT_KEYS = {
    "path",
    "size_bytes",
    "accuracy",
    "agreement_with_float",
    "per_class_accuracy",
    "sha256",
    "input",
}
OPENCV_CHECK_IMAGES = 2000


def ops_of(path) -> list[str]:
    interpreter_class, _ = load_interpreter_class()
    return [op["op_name"] for op in interpreter_class(model_path=str(path))._get_ops_details()]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_is_static_without_shape_op(tiny_artifacts, variant):
    path = tiny_artifacts / variant_file(variant)
    ops = ops_of(path)
    assert "SHAPE" not in ops, ops
    assert "FULLY_CONNECTED" in ops
    assert list(Classifier(path).input_spec.shape) == [1, 28, 28]


def test_static_export_changes_no_answer_and_the_shape_check_can_fail(
    tiny_artifacts, mnist, tmp_path
):
    """The Keras graph converted as is (Flatten on a dynamic batch) has SHAPE, which the test above
    would catch; the static int8 file gives exactly its answers."""
    import keras

    from convert.pipeline import CALIBRATION_PER_CLASS, CALIBRATION_SEED
    from convert.variants import convert_variant, representative_images

    model = keras.models.load_model(tiny_artifacts / "model.keras", safe_mode=True)
    calibration = representative_images(
        mnist.x_train, mnist.y_train, CALIBRATION_PER_CLASS, CALIBRATION_SEED
    )
    path = tmp_path / "dynamic_batch_int8.tflite"
    path.write_bytes(convert_variant(model, "int8", calibration))
    assert "SHAPE" in ops_of(path)
    images = mnist.x_test[:1000]
    np.testing.assert_array_equal(
        Classifier(path).predict(images),
        Classifier(tiny_artifacts / "model_int8.tflite").predict(images),
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_batched_matches_one_image(tiny_artifacts, mnist, variant):
    classifier = Classifier(tiny_artifacts / variant_file(variant))
    images = mnist.x_test[:37]  # not a power of two: the last batch is padded
    batched = classifier.predict(images)
    single = np.concatenate([classifier.predict(image) for image in images])
    assert batched.shape == (37, 10)
    np.testing.assert_array_equal(batched.argmax(1), single.argmax(1))
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_float32_in_opencv_dnn_matches_litert(tiny_artifacts, mnist):
    import cv2

    path = tiny_artifacts / "model_float32.tflite"
    images = mnist.x_test[:OPENCV_CHECK_IMAGES]
    net = cv2.dnn.readNetFromTFLite(str(path))
    # NCHW (N, 1, 28, 28): OpenCV's layout; NHWC is silently read as garbage.
    net.setInput(to_float(images)[:, None])
    opencv_top1 = np.asarray(net.forward()).reshape(-1, 10).argmax(1)
    litert_top1 = Classifier(path).predict(images).argmax(1)
    assert np.mean(opencv_top1 == litert_top1) >= 0.999
    report = json.loads((tiny_artifacts / "convert_report.json").read_text())
    assert report["opencv_dnn_agreement"] >= 0.999
    assert report["variants"]["int8"]["opencv_dnn"]["loaded"] is False  # no GemmInt8 in OpenCV


def test_report_contents(tiny_artifacts):
    report = json.loads((tiny_artifacts / "convert_report.json").read_text())
    assert 0.5 < report["float_accuracy"] <= 1
    assert report["test_images"] == 10_000
    assert report["calibration"]["source"] == "train" and report["calibration"]["images"] == 300
    assert set(report["variants"]) == set(VARIANTS)
    for name, v in report["variants"].items():
        assert set(v) >= REPORT_VARIANT_KEYS, name
        path = tiny_artifacts / v["path"]
        assert v["size_bytes"] == path.stat().st_size and v["sha256"] == sha256_file(path)
        assert len(v["per_class_accuracy"]) == 10
        assert sum(map(sum, v["confusion_matrix"])) == 10_000
        assert v["batched_vs_one_image"]["top1_agreement"] == 1.0
    assert report["variants"]["float32"]["agreement_with_float"] >= 0.999
    int8, float32 = report["variants"]["int8"], report["variants"]["float32"]
    assert int8["size_bytes"] <= 0.3 * float32["size_bytes"]
    assert set(report["gate"]) >= {"passed", "max_drop_pp", "min_agreement", "reasons"}
    md = (tiny_artifacts / "convert_report.md").read_text()
    assert "| int8 |" in md and "model_int8.tflite" in md
    assert (tiny_artifacts / "confusion_int8.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_int8_reads_raw_pixels_like_float(tiny_artifacts, mnist):
    int8 = Classifier(tiny_artifacts / "model_int8.tflite").predict(mnist.x_test[:500])
    float32 = Classifier(tiny_artifacts / "model_float32.tflite").predict(mnist.x_test[:500])
    assert np.mean(int8.argmax(1) == float32.argmax(1)) >= 0.97


def test_gate_failure_exits_1_and_leaves_out_untouched(tiny_artifacts, tmp_path):
    """A baseline the model cannot reach: exit 1, the message names variant, accuracies, threshold."""
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"variants": {"int8": {"accuracy": 0.9999}}}))
    out = tmp_path / "out"
    proc = run_module(
        "convert",
        "--model",
        str(tiny_artifacts / "model.keras"),
        "--out",
        str(out),
        "--variants",
        "int8",
        "--baseline",
        str(baseline),
    )
    assert proc.returncode == 1, proc.stderr
    assert "gate FAILED" in proc.stderr and "int8: accuracy" in proc.stderr
    assert "baseline 99.99%" in proc.stderr and "max drop 0.5 pp" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir() if p.name[0] != ".") == ["rejected"]
    rejected = json.loads((out / "rejected" / "convert_report.json").read_text())
    assert rejected["gate"]["passed"] is False and rejected["gate"]["reasons"]
    assert not (out / "rejected" / "manifest.json").exists()


def test_wrong_calibration_set_fails_the_gate(tiny_artifacts, tmp_path, monkeypatch, capsys):
    """int8 calibrated on near-black images saturates on real digits: the gate must refuse it."""
    import convert.pipeline
    from convert.__main__ import main

    real = convert.pipeline.representative_images
    calls = []

    def dark_training_images(x, y, *args, **kwargs):
        calls.append((x.shape, y.shape))
        return real(x, y, *args, **kwargs) * 0.02

    monkeypatch.setattr(convert.pipeline, "representative_images", dark_training_images)
    code = main(
        ["--model", str(tiny_artifacts / "model.keras"), "--out", str(tmp_path / "o")]
        + ["--variants", "int8"]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    assert "int8: accuracy" in err and "below float Keras" in err and "max drop 0.5 pp" in err
    assert not (tmp_path / "o" / "manifest.json").exists()
    assert calls == [((60_000, 28, 28), (60_000,))]  # calibration reads training images only


def test_interrupted_publish_leaves_the_previous_run_whole(tiny_artifacts, tmp_path, capsys):
    """A second convert dying while publishing leaves the first run's files, matching its manifest."""
    import edge_app.publish
    from convert.__main__ import main
    from edge_app.model import load_classifier

    out = tmp_path / "out"
    args = ["--model", str(tiny_artifacts / "model.keras"), "--out", str(out), "--variants", "int8"]
    assert main(args) == 0, capsys.readouterr().err
    before = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    real_link = edge_app.publish._link

    def die_on_the_switch(path, target):
        if path.name == "convert":
            raise OSError(28, "No space left on device")
        real_link(path, target)

    edge_app.publish._link = die_on_the_switch
    try:
        assert main([*args[:-1], "float32,int8"]) == 2
    finally:
        edge_app.publish._link = real_link
    assert "No space left on device" in capsys.readouterr().err
    after = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    assert after == before  # the new float32 link shows nothing until a switch that never came
    load_classifier(out / "model_int8.tflite").predict(np.zeros((1, 28, 28), np.uint8))
    assert not list((out / ".runs").glob("*.partial")) and not list(out.glob(".*.link"))


def test_c_array_and_passing_baseline(tiny_artifacts, tmp_path, capsys):
    from convert.__main__ import main

    out = tmp_path / "out"
    args = ["--model", str(tiny_artifacts / "model.keras"), "--out", str(out), "--variants", "int8"]
    baseline = ["--baseline", str(tiny_artifacts / "convert_report.json"), "--c-array"]
    assert main(args + baseline) == 0, capsys.readouterr().err
    model_bytes = (out / "model_int8.tflite").read_bytes()
    source = (out / "model_int8.cc").read_text()
    assert "alignas(16) const unsigned char g_model_int8[]" in source
    assert f"g_model_int8_len = {len(model_bytes)};" in source
    body = source.split("= {", 1)[1].split("};", 1)[0]
    assert bytes(int(tok, 16) for tok in body.replace(",", " ").split()) == model_bytes
    assert "extern const unsigned char g_model_int8[];" in (out / "model_int8.h").read_text()
    report = json.loads((out / "convert_report.json").read_text())
    arena = report["c_array"]["tensor_arena_bytes"]
    try:
        import tflite_micro  # noqa: F401

        assert arena > 0
    except ImportError:
        assert arena is None
    if shutil.which("g++"):
        compiled = subprocess.run(
            ["g++", "-std=c++17", "-c", str(out / "model_int8.cc"), "-o", str(tmp_path / "m.o")],
            capture_output=True,
            text=True,
        )
        assert compiled.returncode == 0, compiled.stderr


def make_model(input_shape, classes):
    import keras

    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x))


@pytest.mark.parametrize(
    ("input_shape", "classes"), [((32, 32), 10), ((28, 28), 5)], ids=["32x32", "5-classes"]
)
def test_model_of_wrong_shape(mnist, tmp_path, capsys, input_shape, classes):
    from convert.__main__ import main

    model = tmp_path / "model.keras"
    make_model(input_shape, classes).save(model)
    out = tmp_path / "out"
    assert main(["--model", str(model), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "28x28" in err
    assert list(out.iterdir()) == []


def test_unsafe_or_corrupt_keras_file(mnist, tmp_path, capsys):
    import keras

    from convert.__main__ import main

    inputs = keras.Input((28, 28))
    lam = keras.layers.Lambda(lambda t: keras.ops.reshape(t, (-1, 784)))(inputs)
    unsafe = tmp_path / "unsafe.keras"
    keras.Model(inputs, keras.layers.Dense(10)(lam)).save(unsafe)
    corrupt = tmp_path / "corrupt.keras"
    with zipfile.ZipFile(corrupt, "w") as archive:
        archive.writestr("config.json", "{not json")
    for model in (unsafe, corrupt):
        out = tmp_path / f"out_{model.stem}"
        assert main(["--model", str(model), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: cannot load Keras model"), err
        assert list(out.iterdir()) == []


def test_static_export_of_a_sequential_cnn_still_batches(tmp_path):
    """Reshape layers get the same treatment as Flatten: static file, batch resizable, same answers."""
    import keras

    from convert.variants import convert_variant, static_model

    keras.utils.set_random_seed(0)
    cnn = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = tmp_path / "cnn.tflite"
    path.write_bytes(convert_variant(static_model(cnn), "float32"))
    assert "SHAPE" not in ops_of(path)
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(Classifier(path).predict(images), cnn(images), atol=1e-5)
