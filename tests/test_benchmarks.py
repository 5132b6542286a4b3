"""benchmarks/latency.py: --quick end to end on tiny models, the JSON schema, floors and user mistakes."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge_app import manifest
from tests.conftest import ROOT, run_module
from tests.tiny_tflite import write_tiny_model

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


@pytest.fixture(scope="module")
def tiny_bench_artifacts(tmp_path_factory) -> Path:
    """A folder with a tiny float32 and 'int8'-named .tflite (the same float graph) and an ONNX floor.

    Only the file layout matters here, not quantization: the benchmark's numbers are not checked.
    """
    folder = tmp_path_factory.mktemp("bench_artifacts")
    write_tiny_model(folder / "model_float32.tflite", accuracy=0.5)
    float32 = manifest.read(manifest.path_in(folder)).models["int8"]
    (folder / "model_int8.tflite").write_bytes((folder / "model_float32.tflite").read_bytes())
    int8 = dataclasses.replace(float32, file="model_int8.tflite", accuracy=0.4)
    listed = manifest.Manifest(models={"float32": float32, "int8": int8})
    manifest.write(manifest.path_in(folder), listed)
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


@pytest.mark.parametrize("flag", ["--json", "--markdown"])
def test_unwritable_output_fails_before_measuring(flag, tiny_bench_artifacts, tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("a file, not a folder")
    result = run_module(
        LATENCY,
        "--artifacts",
        str(tiny_bench_artifacts),
        "--quick",
        "--runtimes",
        "litert",
        flag,
        str(not_a_folder / "out"),
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot write {flag}")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""  # nothing measured, no table printed


@pytest.mark.parametrize(
    "args", [["--threads", "0"], ["--threads", "one"], ["--bogus"], ["--runtimes", "cuda"]]
)
def test_bad_flags_exit_2_without_traceback(args, tmp_path):
    from benchmarks import latency_cli as latency

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


@pytest.mark.parametrize(
    "args", [["--seed", "-1"], ["--frames", "5"], ["--fps", "-1"], ["--clients", "x"]]
)
def test_web_overhead_bad_flags_exit_2(args, capsys):
    from benchmarks import web_overhead_cli as web_overhead

    with pytest.raises(SystemExit) as exit_info:
        web_overhead.main(args)
    assert exit_info.value.code == 2
    assert f"argument {args[0]}:" in capsys.readouterr().err


def test_web_overhead_writes_json(tmp_path, capsys):
    from benchmarks import web_overhead_cli as web_overhead

    model = write_tiny_model(tmp_path / "model_int8.tflite")
    out = tmp_path / "web.json"
    args = ["--model", str(model), "--frames", "10", "--rounds", "1", "--clients", "1"]
    assert web_overhead.main([*args, "--fps", "0", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert {(r["clock"], r["mode"]) for r in data["rows"]} == {
        (clock, mode) for clock in ("wall", "reader CPU") for mode in ("headless", "web")
    }
    for row in data["rows"]:
        assert row["frames"] == 10 and 0 < row["p50_ms"] <= row["p99_ms"]
    assert data["settings"]["clients"] == 1 and set(data["machine"]) >= MACHINE_KEYS
    assert f"wrote {out}" in capsys.readouterr().out
