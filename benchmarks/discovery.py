"""What a benchmark run can measure: the model files in an artifacts folder, their known accuracies, and the runtimes installed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from benchmarks.rows import FLOOR
from benchmarks.runners import KERAS, ONNXRUNTIME, TFLITE_RUNTIMES, runtime_available
from convert.variants import VARIANTS
from edge_app import manifest
from edge_app.errors import UserError

KERAS_FILE = "model.keras"
TRAIN_METRICS = "train_metrics.json"
# convert writes it; its "onnx" entry holds the ONNX models' accuracies (they are not in the manifest).
CONVERT_REPORT = "convert_report.json"
MAKE_ARTIFACTS = "python -m train && python -m convert"
# End-to-end rows: the model the app reads with, and the float model it was made from.
E2E_VARIANTS = ("float32", "int8")


@dataclass(frozen=True)
class Model:
    """A model file found in the artifacts folder."""

    variant: str  # float32, float16, dynamic, int8 (from model_<variant>.<ext>), keras or floor
    path: Path

    @property
    def kind(self) -> str:
        return self.path.suffix.lstrip(".")


def find_models(folder: Path) -> list[Model]:
    """Return the TFLite and ONNX models in `folder` (float32, float16, dynamic, int8 first)."""
    found = []
    for path in sorted(folder.glob("model_*.tflite")) + sorted(folder.glob("model_*.onnx")):
        found.append(Model(path.stem.removeprefix("model_"), path))
    rank = {v: i for i, v in enumerate(VARIANTS)}
    return sorted(found, key=lambda m: (m.kind, rank.get(m.variant, len(rank)), m.variant))


def known_accuracies(folder: Path) -> dict[str, float]:
    """Return {file name: test accuracy} from the manifest, the convert report's ONNX entries and
    the training metrics; a file that is missing or unreadable adds nothing."""
    found: dict[str, float] = {}
    try:
        listed = manifest.read(manifest.path_in(folder))
        found.update({entry.file: entry.accuracy for entry in listed.models.values()})
    except manifest.ManifestError:
        pass
    onnx = _json_object(folder / CONVERT_REPORT).get("onnx")
    models = onnx.get("models") if isinstance(onnx, dict) else None
    for entry in models.values() if isinstance(models, dict) else ():
        if isinstance(entry, dict) and isinstance(entry.get("accuracy"), int | float):
            found.setdefault(str(entry.get("path")), float(entry["accuracy"]))
    test_accuracy = _json_object(folder / TRAIN_METRICS).get("test_accuracy")
    if isinstance(test_accuracy, int | float):
        found.setdefault(KERAS_FILE, float(test_accuracy))
    return found


def _json_object(path: Path) -> dict:
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):
        return {}
    return obj if isinstance(obj, dict) else {}


def usable_runtimes(runtimes: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Return (the runtimes of `runtimes` installed here, one note per runtime that is not)."""
    usable, notes = [], []
    for runtime in runtimes:
        reason = runtime_available(runtime)
        if reason:
            notes.append(reason)
        else:
            usable.append(runtime)
    return usable, notes


@dataclass(frozen=True)
class Plan:
    """What a run will measure: (model, runtime, threads) rows, Keras baselines, end-to-end rows."""

    rows: list[tuple[Model, str, int]]
    keras: Model | None
    end_to_end: list[tuple[Model, str, int]]
    notes: list[str]
    models: int
    runtimes: int

    def seconds(self, settings) -> float:
        """Rough wall time with `settings` (a measure.Settings)."""
        e2e_s = len(self.end_to_end) * settings.frames * 0.01
        return (len(self.rows) + 2 * (self.keras is not None)) * settings.seconds_per_row + e2e_s


def make_plan(
    folder: Path, runtimes: tuple[str, ...], threads: tuple[int, ...], floors: dict[str, Path]
) -> Plan:
    """Return every row a run on `folder` will measure, and a note for each it cannot."""
    models = find_models(folder)
    keras_model = folder / KERAS_FILE
    if not models and not keras_model.exists():
        raise UserError(
            f"no models in {folder}/ (model_*.tflite); make them with `{MAKE_ARTIFACTS}`"
        )
    usable, notes = usable_runtimes(runtimes)
    rows = []
    for runtime in (r for r in usable if r != KERAS):
        kind = "onnx" if runtime == ONNXRUNTIME else "tflite"
        candidates = [m for m in models if m.kind == kind]
        if not candidates:
            notes.append(f"{runtime}: no .{kind} models in {folder}/")
            continue
        floor = [Model(FLOOR, floors[kind])] if kind in floors else []
        if not floor:
            notes.append(f"{runtime}: no floor row (cannot build a trivial .{kind} here)")
        rows += [(model, runtime, n) for n in threads for model in floor + candidates]
    keras = None
    if KERAS in usable:
        if keras_model.exists():
            keras = Model(KERAS, keras_model)
        else:
            notes.append(f"keras baselines skipped: no {KERAS_FILE} in {folder}/")
    end_to_end = [
        (model, runtime, n)
        for runtime in usable
        if runtime in TFLITE_RUNTIMES
        for model in models
        if model.kind == "tflite" and model.variant in E2E_VARIANTS
        for n in threads
    ]
    return Plan(rows, keras, end_to_end, notes, len(models) + bool(keras), len(usable))


def plan_line(plan: Plan, settings) -> str:
    """One line saying what the run will measure and roughly how long it takes."""
    keras = " + Keras baselines" if plan.keras else ""
    return (
        f"plan: {plan.models} model file(s) on {plan.runtimes} runtime(s): {len(plan.rows)} rows"
        f"{keras}, {len(plan.end_to_end)} end-to-end rows, about {plan.seconds(settings):.0f} s"
    )
