"""benchmarks/latency.py: --quick end to end on tiny models, the JSON schema, floors and user mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, run_module

LATENCY = "benchmarks/latency.py"
RESULT_KEYS = {
    "variant",
    "runtime",
    "threads",
    "p50_us",
    "p90_us",
    "p99_us",
    "mean_us",
    "stdev_us",
    "throughput_per_s",
    "size_bytes",
    "accuracy",
    "rss_mb",
}
E2E_KEYS = {"variant", "runtime", "threads", "p50_ms", "p99_ms", "fps"}
MACHINE_KEYS = {"cpu", "cores", "os", "python", "packages"}
# Keras is asked for but TensorFlow is blocked: the run must work as with the core install on a Pi.
RUNTIMES = "litert,onnxruntime,opencv,keras"
# Runs latency.py with `import tensorflow` / `import keras` failing, as on a core-only install.
WITHOUT_TENSORFLOW = (
    "import runpy, sys; sys.modules['tensorflow'] = sys.modules['keras'] = None; "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def tiny_classifier_tflite(seed: int = 0) -> bytes:
    """Return a float32 .tflite: (N,28,28) -> RESHAPE -> FULLY_CONNECTED(10) -> SOFTMAX, random weights."""
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")
    import flatbuffers

    rng = np.random.default_rng(seed)
    constants = [
        np.array([-1, 784], np.int32),
        rng.normal(0, 0.05, (10, 784)).astype(np.float32),
        np.zeros(10, np.float32),
    ]
    buffers = [schema.BufferT()]  # buffer 0: the schema's empty sentinel
    for array in constants:
        buffer = schema.BufferT()
        buffer.data = list(array.tobytes())
        buffers.append(buffer)
    f32, i32 = schema.TensorType.FLOAT32, schema.TensorType.INT32
    specs = [  # name, shape, type, buffer
        ("input", [1, 28, 28], f32, 0),
        ("shape", [2], i32, 1),
        ("flat", [1, 784], f32, 0),
        ("weights", [10, 784], f32, 2),
        ("bias", [10], f32, 3),
        ("logits", [1, 10], f32, 0),
        ("probs", [1, 10], f32, 0),
    ]
    tensors = []
    for name, shape, dtype, buffer in specs:
        t = schema.TensorT()
        t.name, t.shape, t.type, t.buffer = name, shape, dtype, buffer
        # OpenCV's importer reads every tensor's quantization table (it crashes when absent).
        t.quantization = schema.QuantizationParametersT()
        if shape[0] == 1:
            t.shapeSignature = [-1, *shape[1:]]
        tensors.append(t)
    codes, ops = [], []
    reshape, fc, softmax = (
        schema.ReshapeOptionsT(),
        schema.FullyConnectedOptionsT(),
        schema.SoftmaxOptionsT(),
    )
    reshape.newShape, softmax.beta = [-1, 784], 1.0
    B = schema.BuiltinOperator
    for i, (code, ins, outs, kind, options) in enumerate(
        [
            (B.RESHAPE, [0, 1], [2], schema.BuiltinOptions.ReshapeOptions, reshape),
            (B.FULLY_CONNECTED, [2, 3, 4], [5], schema.BuiltinOptions.FullyConnectedOptions, fc),
            (B.SOFTMAX, [5], [6], schema.BuiltinOptions.SoftmaxOptions, softmax),
        ]
    ):
        c = schema.OperatorCodeT()
        c.builtinCode = c.deprecatedBuiltinCode = code
        c.version = 1
        codes.append(c)
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = i, ins, outs
        op.builtinOptionsType, op.builtinOptions = kind, options
        ops.append(op)
    subgraph = schema.SubGraphT()
    subgraph.tensors, subgraph.inputs, subgraph.outputs, subgraph.operators = tensors, [0], [6], ops
    # OpenCV's importer reads the subgraph name and model description without checking (crashes).
    subgraph.name = "main"
    model = schema.ModelT()
    model.description = "tiny benchmark test model"
    model.version, model.operatorCodes, model.subgraphs, model.buffers = (
        3,
        codes,
        [subgraph],
        buffers,
    )
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


@pytest.fixture(scope="module")
def tiny_bench_artifacts(tmp_path_factory) -> Path:
    """A folder with a tiny float32 and 'int8'-named .tflite (the same float graph) and an ONNX floor.

    Only the file layout matters here, not quantization: the benchmark's numbers are not checked.
    """
    folder = tmp_path_factory.mktemp("bench_artifacts")
    data = tiny_classifier_tflite()
    (folder / "model_float32.tflite").write_bytes(data)
    (folder / "model_int8.tflite").write_bytes(data)
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "format": 1,
                "models": {
                    "float32": {"file": "model_float32.tflite", "accuracy": 0.5},
                    "int8": {"file": "model_int8.tflite", "accuracy": 0.4},
                },
            }
        )
    )
    return folder


def test_quick_run_writes_json_schema_and_markdown(tiny_bench_artifacts, tmp_path):
    out, md = tmp_path / "bench.json", tmp_path / "bench.md"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            WITHOUT_TENSORFLOW,
            str(ROOT / LATENCY),
            "--artifacts",
            str(tiny_bench_artifacts),
            "--quick",
            "--threads",
            "1",
            "--runtimes",
            RUNTIMES,
            "--json",
            str(out),
            "--markdown",
            str(md),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(out.read_text())
    assert set(data) == {"results", "end_to_end", "machine"}
    assert data["results"], "no rows measured"
    for row in data["results"]:
        assert set(row) == RESULT_KEYS
        assert row["p50_us"] > 0 and row["p50_us"] <= row["p99_us"]
    for row in data["end_to_end"]:
        assert set(row) == E2E_KEYS
    assert set(data["machine"]) >= MACHINE_KEYS
    rows = {(r["variant"], r["runtime"]): r for r in data["results"]}
    assert rows[("float32", "litert")]["accuracy"] == 0.5  # read from the manifest
    assert (
        rows[("int8", "litert")]["size_bytes"]
        == (tiny_bench_artifacts / "model_int8.tflite").stat().st_size
    )
    assert ("floor", "litert") in rows
    assert "summary: int8 vs float32" in result.stdout
    assert "note: keras is not available" in result.stdout  # skipped cleanly, no Keras rows
    assert not any(r["runtime"] == "keras" for r in data["results"])
    text = md.read_text()
    assert text.startswith("Machine: ") and "| variant | runtime |" in text


def test_no_artifacts_names_the_commands(tmp_path):
    result = run_module(LATENCY, "--artifacts", str(tmp_path / "nothing"), "--quick")
    assert result.returncode == 2
    assert "python -m train && python -m convert" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args", [["--threads", "0"], ["--threads", "one"], ["--bogus"], ["--runtimes", "cuda"]]
)
def test_bad_flags_exit_2_without_traceback(args, tmp_path):
    from benchmarks import latency

    with pytest.raises(SystemExit) as exit_info:
        latency.main(["--artifacts", str(tmp_path), *args])
    assert exit_info.value.code == 2


def test_floor_models_return_their_input(tmp_path):
    from benchmarks.floor import write_floor_models
    from benchmarks.runners import open_runner

    paths = write_floor_models(tmp_path)
    images = np.random.default_rng(1).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    runners = [("litert", paths["tflite"])]
    if "onnx" in paths:
        pytest.importorskip("onnxruntime")
        runners.append(("onnxruntime", paths["onnx"]))
    for runtime, path in runners:
        runner = open_runner(runtime, path, 1, images[0], images, raw=True)
        np.testing.assert_allclose(
            np.asarray(runner.single()).ravel(), images[0].ravel() / 255.0, rtol=1e-6
        )
        assert np.asarray(runner.batch()).shape == (4, 784)


def test_opencv_reason_is_one_line():
    from benchmarks.runners import first_line

    error = RuntimeError(
        "OpenCV(5.0.0) /io/opencv/modules/dnn/src/tflite/tflite_importer.cpp:298: error: "
        "(-213:The function/feature is not implemented) Unsupported operator type SHAPE in function 'populateNet'\n"
    )
    assert first_line(error) == "Unsupported operator type SHAPE"
