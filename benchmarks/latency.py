"""Latency, throughput, memory and accuracy of every model variant on every runtime, in one run.

    python benchmarks/latency.py [--artifacts artifacts] [--threads 1,2] [--runtimes litert,opencv]
        [--accuracy] [--quick] [--json FILE] [--markdown FILE] [--plot FILE.png]

TFLite models run through edge_app.runtime and the end-to-end rows through edge_app.reader, so what
is measured is what the app deploys. Every number is also a ratio: against the same runtime's floor
(a one-op model with the same input), against float32, and against one-image Keras calls.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

# Run as `python benchmarks/latency.py`, Python puts benchmarks/ (not the repo root) on sys.path;
# the repo root is needed to import edge_app (the deployed code) and the benchmarks package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import plot, report  # noqa: E402
from benchmarks.cli import HelpFormatter, check_output_file, write_output  # noqa: E402
from benchmarks.floor import write_floor_models  # noqa: E402
from benchmarks.machine import describe, machine_info  # noqa: E402
from benchmarks.memory import probe_peak_rss_mb  # noqa: E402
from benchmarks.rows import FLOOR, KERAS_BATCH, EndToEnd, Result, summary_lines  # noqa: E402
from benchmarks.runners import (  # noqa: E402
    ALL_RUNTIMES,
    KERAS,
    ONNXRUNTIME,
    OPENCV,
    TFLITE_RUNTIMES,
    Runner,
    Unavailable,
    open_runner,
    runtime_available,
)
from benchmarks.stats import NS_PER_US, throughput_per_s, time_calls  # noqa: E402
from convert.variants import VARIANTS  # noqa: E402 - numpy only: no TensorFlow at import
from edge_app import manifest  # noqa: E402
from edge_app.artifacts import atomic_write_json, atomic_write_text  # noqa: E402
from edge_app.cli_args import positive_int  # noqa: E402
from edge_app.errors import UserError, cli_main  # noqa: E402

E2E_VARIANTS = ("float32", "int8")
KERAS_FILE = "model.keras"
MAKE_ARTIFACTS = "python -m train && python -m convert"
US_PER_MS = 1_000.0
US_PER_S = 1_000_000.0


@dataclass(frozen=True)
class Settings:
    """How long to measure: the full run, or --quick for CI."""

    warmup: int  # untimed calls before timing
    iterations: int  # timed one-image calls per row (at most)
    max_seconds: float  # stop a row's timed calls after this long (slow Keras calls)
    batch: int  # images per batched call for throughput
    batch_repeats: int  # timed batched calls per row
    frames: int  # timed end-to-end frames per row
    distinct_frames: int  # different camera-like frames, cycled (drawing them is slow)
    measure_rss: bool  # probe peak RSS in a fresh process per model and runtime


FULL = Settings(
    warmup=200,
    iterations=3000,
    max_seconds=3.0,
    batch=256,
    batch_repeats=20,
    frames=600,
    distinct_frames=40,
    measure_rss=True,
)
QUICK = Settings(
    warmup=10,
    iterations=100,
    max_seconds=0.2,
    batch=256,
    batch_repeats=2,
    frames=20,
    distinct_frames=6,
    measure_rss=False,
)


@dataclass(frozen=True)
class Model:
    """A model file found in the artifacts folder."""

    variant: str  # float32, float16, dynamic, int8 (from model_<variant>.<ext>), keras or floor
    path: Path

    @property
    def kind(self) -> str:
        return self.path.suffix.lstrip(".")


@dataclass(frozen=True)
class Benchmark:
    """Everything one run measured."""

    results: list[Result]
    end_to_end: list[EndToEnd]
    notes: list[str]  # what could not be measured, one line each
    frame_source: str


def _positive_ints(text: str) -> tuple[int, ...]:
    """Parse "1,2,4" with the range check (and messages) every command line uses."""
    values = tuple(dict.fromkeys(positive_int(v.strip()) for v in text.split(",") if v.strip()))
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}")
    return values


def _runtime_list(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
    unknown = [n for n in names if n not in ALL_RUNTIMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown runtime(s) {', '.join(unknown) or text!r}; choose from {', '.join(ALL_RUNTIMES)}"
        )
    return names


def find_models(folder: Path) -> list[Model]:
    """Return the TFLite and ONNX models in `folder` (float32, float16, dynamic, int8 first)."""
    found = []
    for path in sorted(folder.glob("model_*.tflite")) + sorted(folder.glob("model_*.onnx")):
        found.append(Model(path.stem.removeprefix("model_"), path))
    rank = {v: i for i, v in enumerate(VARIANTS)}
    return sorted(found, key=lambda m: (m.kind, rank.get(m.variant, len(rank)), m.variant))


def known_accuracies(folder: Path) -> dict[str, float]:
    """Return {file name: test accuracy} from manifest.json, convert_report.json's ONNX entries
    and train_metrics.json; a file that is missing or unreadable adds nothing."""
    found: dict[str, float] = {}
    try:
        listed = manifest.read(manifest.path_in(folder))
        found.update({entry.file: entry.accuracy for entry in listed.models.values()})
    except manifest.ManifestError:
        pass
    onnx = _json_object(folder / "convert_report.json").get("onnx", {})
    for entry in (onnx.get("models") or {}).values() if isinstance(onnx, dict) else ():
        if isinstance(entry, dict) and isinstance(entry.get("accuracy"), int | float):
            found.setdefault(str(entry.get("path")), float(entry["accuracy"]))
    test_accuracy = _json_object(folder / "train_metrics.json").get("test_accuracy")
    if isinstance(test_accuracy, int | float):
        found.setdefault(KERAS_FILE, float(test_accuracy))
    return found


def _json_object(path: Path) -> dict:
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):
        return {}
    return obj if isinstance(obj, dict) else {}


class Bench:
    """Measures rows one after the other, so runs never compete for the CPU."""

    def __init__(self, settings: Settings, test_set, accuracies: dict[str, float]):
        self.settings = settings
        self.test_set = test_set  # (images, labels) when --accuracy, else None
        self.accuracies = accuracies
        rng = np.random.default_rng(0)
        # Timing inputs: the models are dense, so their speed does not depend on the pixels.
        self.batch = rng.integers(0, 256, (settings.batch, 28, 28), dtype=np.uint8)
        self.image = self.batch[0]
        self.results: list[Result] = []
        self.notes: list[str] = []
        self._rss: dict[tuple[str, str], float | None] = {}

    def _accuracy(self, model: Model, runtime: str, runner: Runner) -> float | None:
        if model.variant == FLOOR:
            return None
        key = f"{model.path.name} on {runtime}"
        if self.test_set is None:
            # The reports' accuracies come from the runtime family convert evaluated the file with
            # (TFLite interpreters, ONNX Runtime); OpenCV's own is only known when measured.
            return None if runtime == OPENCV else self.accuracies.get(model.path.name)
        if key not in self.accuracies:
            images, labels = self.test_set
            predicted = np.argmax(runner.predict(images), axis=1)
            self.accuracies[key] = float(np.mean(predicted == labels))
        return self.accuracies[key]

    def _peak_rss(self, model: Model, runtime: str, threads: int) -> float | None:
        if not self.settings.measure_rss:
            return None
        key = (str(model.path), runtime)
        if key not in self._rss:
            # Once per model and runtime, at the first thread count: threads add little memory.
            self._rss[key] = probe_peak_rss_mb(
                runtime, model.path, threads, raw=model.variant == FLOOR
            )
        return self._rss[key]

    def measure(self, model: Model, runtime: str, threads: int) -> Result | None:
        """Measure one row and append it, or note why it could not be measured."""
        try:
            runner = open_runner(
                runtime, model.path, threads, self.image, self.batch, raw=model.variant == FLOOR
            )
        except Unavailable as e:
            self._note(f"{runtime} cannot run {model.path.name}: {e}")
            return None
        s = self.settings
        latency = time_calls(runner.single, s.iterations, s.warmup, s.max_seconds)
        throughput = throughput_per_s(runner.batch, len(self.batch), s.batch_repeats)
        return self._add(
            model,
            runtime,
            threads,
            latency,
            throughput,
            runner,
            note="" if runner.native_batch else "loop",
        )

    def _add(
        self, model, runtime, threads, latency, throughput, runner, note="", variant=None
    ) -> Result:
        row = Result(
            variant=variant or model.variant,
            runtime=runtime,
            threads=threads,
            p50_us=latency.p50_us,
            p90_us=latency.p90_us,
            p99_us=latency.p99_us,
            mean_us=latency.mean_us,
            stdev_us=latency.stdev_us,
            throughput_per_s=throughput,
            size_bytes=None if model.variant == FLOOR else model.path.stat().st_size,
            accuracy=self._accuracy(model, runtime, runner),
            rss_mb=self._peak_rss(model, runtime, threads),
            model=model.path.name,
            note=note,
        )
        self.results.append(row)
        return row

    def keras(self, model: Model) -> None:
        """Measure the Keras baselines: one image per model() call, and predict() on a batch."""
        threads = os.cpu_count() or 1  # TensorFlow's default: one intra-op thread per core
        try:
            runner = open_runner(KERAS, model.path, threads, self.image, self.batch)
        except Unavailable as e:
            self._note(f"keras baselines skipped: {e}")
            return
        s = self.settings
        one = time_calls(runner.single, s.iterations, min(s.warmup, 20), s.max_seconds)
        calls = throughput_per_s(runner.call_batch, len(self.batch), s.batch_repeats)
        self._add(model, KERAS, threads, one, calls, runner)
        batch = time_calls(runner.batch, s.batch_repeats, 2, s.max_seconds)
        per_s = len(self.batch) * US_PER_S / batch.p50_us
        self._add(model, KERAS, threads, batch, per_s, runner, variant=KERAS_BATCH)

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def measure_end_to_end(
    models: list[Model],
    runtimes: list[str],
    threads: tuple[int, ...],
    settings: Settings,
) -> tuple[list[EndToEnd], str]:
    """Time the reader's per-frame processing (preprocess + inference) on 640x480 frames."""
    from benchmarks.frames import camera_frames
    from edge_app.reader import read_digits
    from edge_app.runtime import Classifier

    frames, source = camera_frames(settings.distinct_frames)
    rows = []
    for runtime in runtimes:
        for model in models:
            if model.kind != "tflite" or model.variant not in E2E_VARIANTS:
                continue
            for n in threads:
                classifier = Classifier(model.path, runtime=runtime, num_threads=n)
                for frame in frames[: min(len(frames), settings.warmup)]:
                    read_digits(frame, classifier)
                samples = np.empty(settings.frames, np.int64)
                for i in range(settings.frames):
                    frame = frames[i % len(frames)]
                    start = time.perf_counter_ns()
                    read_digits(frame, classifier)
                    samples[i] = time.perf_counter_ns() - start
                ms = samples / (NS_PER_US * US_PER_MS)
                p50, p99 = np.percentile(ms, [50, 99])
                rows.append(
                    EndToEnd(
                        model.variant, runtime, n, float(p50), float(p99), float(1e3 / ms.mean())
                    )
                )
    return rows, source


def run(
    folder: Path, runtimes: tuple[str, ...], threads: tuple[int, ...], settings: Settings, test_set
) -> Benchmark:
    """Measure every model in `folder` on every runtime asked for and installed."""
    models = find_models(folder)
    keras_model = folder / KERAS_FILE
    if not models and not keras_model.exists():
        raise UserError(
            f"no models in {folder}/ (model_*.tflite); make them with `{MAKE_ARTIFACTS}`"
        )
    bench = Bench(settings, test_set, known_accuracies(folder))
    usable = []
    for runtime in runtimes:
        reason = runtime_available(runtime)
        if reason:
            bench.notes.append(reason)
        else:
            usable.append(runtime)
    # OpenCV rows set OpenCV's process-wide thread count; the end-to-end rows need it back as it was.
    opencv_threads = cv2.getNumThreads()
    with tempfile.TemporaryDirectory(prefix="mnist-edge-floor-") as tmp:
        floors = write_floor_models(Path(tmp))
        for runtime in usable:
            if runtime == KERAS:
                continue
            kind = "onnx" if runtime == ONNXRUNTIME else "tflite"
            candidates = [m for m in models if m.kind == kind]
            if not candidates:
                bench.notes.append(f"{runtime}: no .{kind} models in {folder}/")
                continue
            floor = [Model(FLOOR, floors[kind])] if kind in floors else []
            if not floor:
                bench.notes.append(f"{runtime}: no floor row (cannot build a trivial .{kind} here)")
            for n in threads:
                for model in floor + candidates:
                    bench.measure(model, runtime, n)
        if KERAS in usable:
            if keras_model.exists():
                bench.keras(Model(KERAS, keras_model))
            else:
                bench.notes.append(f"keras baselines skipped: no {KERAS_FILE} in {folder}/")
    cv2.setNumThreads(opencv_threads)
    tflite = [r for r in usable if r in TFLITE_RUNTIMES]
    end_to_end, source = measure_end_to_end(models, tflite, threads, settings)
    return Benchmark(bench.results, end_to_end, bench.notes, source)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/latency.py",
        description="Latency (one image), throughput (batches), peak memory and accuracy of every "
        "model variant on every installed runtime, with floors, Keras baselines and end-to-end frames.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--artifacts",
        type=Path,
        default=Path("artifacts"),
        help=f"folder made by `{MAKE_ARTIFACTS}`",
    )
    cores = os.cpu_count() or 1
    parser.add_argument(
        "--threads",
        type=_positive_ints,
        default=None,
        help=f"comma-separated thread counts (default: 1,{cores}, the core count; 1 with --quick)",
    )
    parser.add_argument(
        "--runtimes",
        type=_runtime_list,
        default=",".join(ALL_RUNTIMES),
        help="comma-separated runtimes; those not installed are skipped with a note",
    )
    parser.add_argument(
        "--accuracy",
        action="store_true",
        help="measure accuracy on the MNIST test set on each runtime instead of reading the convert report",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="MNIST IDX folder for --accuracy (default: $MNIST_DIR)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few-second run for CI (no memory probes)"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="write results/end_to_end/machine here"
    )
    parser.add_argument(
        "--markdown", type=Path, default=None, help="write the README results section here"
    )
    parser.add_argument(
        "--plot", type=Path, default=None, help="write a PNG chart here (needs matplotlib)"
    )
    return parser


@cli_main
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # tf.lite is measured on purpose, beside LiteRT; its deprecation notice is not news here.
    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
    for path, flag in (
        (args.json, "--json"),
        (args.markdown, "--markdown"),
        (args.plot, "--plot"),
    ):
        check_output_file(path, flag)
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UserError("--plot needs matplotlib: pip install matplotlib") from None
    if not args.artifacts.is_dir():
        raise UserError(f"no artifacts folder {args.artifacts}/; make it with `{MAKE_ARTIFACTS}`")
    threads = args.threads or (
        (1,) if args.quick else tuple(dict.fromkeys((1, os.cpu_count() or 1)))
    )
    test_set = None
    if args.accuracy:
        from train.data import load_mnist

        mnist = load_mnist(args.data_dir)
        test_set = (mnist.x_test, mnist.y_test)
    bench = run(args.artifacts, args.runtimes, threads, QUICK if args.quick else FULL, test_set)
    machine = machine_info()
    summary = summary_lines(bench.results, bench.end_to_end, tuple(TFLITE_RUNTIMES))
    print_report(bench, machine, summary)
    write_outputs(args, argv, bench, machine, summary)
    return 0


def print_report(bench: Benchmark, machine: dict, summary: list[str]) -> None:
    """Print the machine, the tables, the notes and the summary lines."""
    print(f"machine: {describe(machine)}")
    print(report.text_table(report.RESULT_HEADER, report.result_cells(bench.results)))
    print(*report.legend(bench.results), sep="\n")
    if bench.end_to_end:
        print(f"\nend to end, 640x480 frames from {bench.frame_source} (preprocess + inference):")
        print(report.text_table(report.E2E_HEADER, report.e2e_cells(bench.end_to_end)))
    for note in bench.notes:
        print(f"note: {note}")
    print(*("summary: " + s for s in summary), sep="\n")


def write_outputs(
    args: argparse.Namespace,
    argv: list[str] | None,
    bench: Benchmark,
    machine: dict,
    summary: list[str],
) -> None:
    """Write the --json, --markdown and --plot files asked for; a write failure is a UserError."""
    if args.json:
        data = {
            "results": [r.to_json() for r in bench.results],
            "end_to_end": [r.to_json() for r in bench.end_to_end],
            "machine": machine,
        }
        write_output(args.json, "--json", lambda path: atomic_write_json(path, data))
    if args.markdown:
        command = " ".join(
            ["python benchmarks/latency.py", *(argv if argv is not None else sys.argv[1:])]
        )
        text = report.markdown(
            bench.results, bench.end_to_end, bench.notes, summary, describe(machine), command
        )
        write_output(args.markdown, "--markdown", lambda path: atomic_write_text(path, text))
    if args.plot:
        write_output(
            args.plot, "--plot", lambda path: plot.plot(path, bench.results, bench.end_to_end)
        )


if __name__ == "__main__":
    sys.exit(main())
