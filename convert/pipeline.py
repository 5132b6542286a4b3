"""The convert pipeline: load, convert every variant, evaluate, gate, then publish atomically."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from convert import export_c
from convert import report as report_mod
from convert.evaluate import VariantEval, class_stats, evaluate_variant
from convert.gate import GateOptions, GateResult, check_gate, load_baseline
from convert.model_io import check_model_file, load_keras_model
from convert.quiet import import_tensorflow_quietly
from convert.user_digits import check_user_digits, extra_data_from_metrics, user_gate_reasons
from convert.variants import (
    VARIANTS,
    convert_variant,
    representative_images,
    static_model,
    variant_file,
)
from edge_app import manifest
from edge_app.artifacts import atomic_write_json, check_writable_dir, sha256_file
from edge_app.errors import UserError
from edge_app.manifest import MANIFEST_NAME
from edge_app.paths import require_file
from edge_app.publish import commit_run, replace_folder, staged_run
from edge_app.runtime import to_float

DEFAULT_MODEL = Path("artifacts/model.keras")
DEFAULT_OUT = Path("artifacts")
# 30 per class = 300 training images: enough for stable activation ranges, converts in ~2 s.
CALIBRATION_PER_CLASS = 30
CALIBRATION_SEED = 0
REJECTED_DIR = "rejected"
C_SOURCE, C_HEADER, C_SYMBOL = "model_int8.cc", "model_int8.h", "g_model_int8"
KERAS_BATCH = 1000
# TensorFlow writes a SavedModel of the network (a few MiB) to TMPDIR to convert it.
TMP_NEEDED_BYTES = 64 << 20

Log = Callable[[str], None]


@dataclass(frozen=True)
class ConvertOptions:
    """What `python -m convert` does; the CLI flags map one to one onto these fields."""

    model: Path = DEFAULT_MODEL  # trained Keras model (.keras)
    out: Path = DEFAULT_OUT  # folder the artifacts are published to
    variants: tuple[str, ...] = VARIANTS  # which TFLite variants to build
    gate: GateOptions = field(default_factory=GateOptions)
    baseline: Path | None = None  # a previous convert_report.json to compare accuracies with
    c_array: bool = False  # also write model_int8.cc/.h for TFLite Micro
    onnx: bool = False  # also write and evaluate model_float32.onnx
    data_dir: Path | None = None  # MNIST IDX folder; default $MNIST_DIR
    calibration_per_class: int = CALIBRATION_PER_CLASS  # int8 calibration images per digit
    calibration_seed: int = CALIBRATION_SEED
    runtime: str = "auto"  # TFLite runtime for evaluation (edge_app.runtime names)
    # The user's labelled digits (--extra-data); None = the folder a fine-tuned model's
    # train_metrics.json names, if any: then the int8 model must beat the deployed one on them.
    extra_data: Path | None = None


@dataclass(frozen=True)
class ConvertResult:
    """A finished run: the report written, the gate verdict, and where the files went."""

    report: dict[str, Any]
    gate: GateResult
    folder: Path
    files: tuple[Path, ...]


def validate_options(options: ConvertOptions) -> None:
    """Raise UserError for option combinations no run could use (checked before any heavy work).

    Each flag's own value (variant names, --max-drop, --min-agreement) is range-checked once, by
    its argparse type in convert/__main__.py; here only what no single flag can check.
    """
    if options.c_array and "int8" not in options.variants:
        raise UserError("--c-array exports the int8 model; add int8 to --variants")
    if options.onnx and "float32" not in options.variants:
        raise UserError("--onnx exports the float32 model; add float32 to --variants")
    if options.calibration_per_class < 1:
        raise UserError("calibration needs at least one image per class")
    if options.extra_data is not None and "int8" not in options.variants:
        raise UserError("--extra-data gates the int8 model; add int8 to --variants")


def _drop_unlisted(staging: Path, staged: list[Path]) -> None:
    """Remove from `staging` what is not a published file (scratch files of exporters)."""
    keep = {p.name for p in staged}
    for entry in staging.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def _convert(static, name: str, calibration):
    """convert_variant, with a full temporary folder (where TensorFlow works) as one line."""
    try:
        return convert_variant(static, name, calibration)
    except (OSError, TypeError) as e:  # TypeError: TensorFlow's reading of a half-written file
        tmp = tempfile.gettempdir()
        if shutil.disk_usage(tmp).free >= TMP_NEEDED_BYTES:
            raise
        raise UserError(
            f"no space left in the temporary folder {tmp} (TMPDIR), where TensorFlow converts "
            "the model; free some space or point TMPDIR at a folder with room"
        ) from e


def _versions() -> dict[str, str]:
    import cv2
    import keras
    import tensorflow as tf

    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }


def run(options: ConvertOptions, data=None, log: Log = print) -> ConvertResult:
    """Convert, evaluate and gate; publish to `options.out` if the gate passes, else to out/rejected.

    A failed gate leaves the deployable files in `out` untouched (the last good set, and the
    baseline report, stay valid) and puts the rejected models and report beside them for a look.
    """
    validate_options(options)
    check_model_file(options.model)
    out = check_writable_dir(options.out)
    log(
        f"converting {options.model} to TFLite {', '.join(options.variants)}; evaluating each on "
        f"the MNIST test set and gating on accuracy; writes to {out}/ ({report_mod.REPORT_MD}, "
        f"{report_mod.CONFUSION_PNG}, {MANIFEST_NAME})"
    )
    if options.baseline:  # a FIFO would block the read forever
        require_file(
            options.baseline, "--baseline", "pass a convert_report.json from `python -m convert`"
        )
    baseline = load_baseline(options.baseline) if options.baseline else None
    if data is None:
        from train.data import load_mnist

        data = load_mnist(options.data_dir)
    import_tensorflow_quietly()

    log(f"loading {options.model}")
    model = load_keras_model(options.model)
    float_labels = model.predict(to_float(data.x_test), batch_size=KERAS_BATCH, verbose=0).argmax(1)
    float_stats = class_stats(float_labels, data.y_test)
    log(
        f"float Keras: accuracy {100 * float_stats.accuracy:.2f}% on {len(data.y_test)} test images"
    )

    with staged_run(out, "convert") as staging:
        static = static_model(model)
        calibration = representative_images(
            data.x_train, data.y_train, options.calibration_per_class, options.calibration_seed
        )
        evals: dict[str, VariantEval] = {}
        model_bytes: dict[str, bytes] = {}
        for name in options.variants:
            started = time.perf_counter()
            extra = (
                f" (calibrating on {len(calibration)} training images)" if name == "int8" else ""
            )
            log(f"converting {name}{extra}...")
            model_bytes[name] = _convert(static, name, calibration if name == "int8" else None)
            path = staging / variant_file(name)
            path.write_bytes(model_bytes[name])
            convert_s = time.perf_counter() - started
            ev = evaluate_variant(
                name,
                path,
                model_bytes[name],
                data.x_test,
                data.y_test,
                float_labels,
                runtime=options.runtime,
            )
            evals[name] = ev
            log(
                f"  {name}: {ev.size_bytes / 1024:.1f} KiB, accuracy {100 * ev.accuracy:.2f}%, "
                f"agreement with float {ev.agreement_with_float:.4f} "
                f"(converted in {convert_s:.1f} s, evaluated in {ev.eval_seconds:.2f} s)"
            )
        gate = check_gate(
            float_stats.accuracy,
            evals,
            options.gate,
            baseline,
            str(options.baseline) if options.baseline else None,
        )
        extras: dict[str, Any] = {}
        extra_data = options.extra_data or extra_data_from_metrics(options.model)
        if extra_data is not None and "int8" in model_bytes:
            log(f"checking int8 against the deployed model on your held-out digits in {extra_data}")
            user = check_user_digits(
                extra_data, model_bytes["int8"], out, data.x_test, data.y_test, options.runtime
            )
            extras["user_digits"] = user.to_json()
            if reasons := user_gate_reasons(user, options.gate.max_drop_pp):
                gate = dataclasses.replace(gate, passed=False, reasons=(*gate.reasons, *reasons))
        extra_files: list[Path] = []
        if options.c_array:
            extras["c_array"], files = _write_c_array(staging, model_bytes["int8"], log)
            extra_files += files
        if options.onnx:
            extras["onnx"], files = _onnx(staging, evals, data, float_labels, calibration, log)
            extra_files += files
        # A model inside --out is named relative to it, so the folder can be moved or published.
        in_out = options.model.absolute().parent == out.absolute()
        report = report_mod.build_report(
            model_path=Path(options.model.name) if in_out else options.model,
            model_sha256=sha256_file(options.model),
            float_stats=float_stats,
            evals=evals,
            gate=gate,
            calibration={
                "source": "train",
                "images": len(calibration),
                "per_class": options.calibration_per_class,
                "seed": options.calibration_seed,
            },
            test_images=len(data.y_test),
            extras=extras,
            versions=_versions(),
        )
        staged = [ev.path for ev in evals.values()] + extra_files
        if "int8" in evals:
            png = staging / report_mod.CONFUSION_PNG
            report_mod.plot_confusion(
                evals["int8"].stats.confusion,
                png,
                f"int8 on {len(data.y_test)} test images: {100 * evals['int8'].accuracy:.2f}%",
            )
            staged.append(png)
        (staging / report_mod.REPORT_MD).write_text(report_mod.report_markdown(report))
        atomic_write_json(staging / report_mod.REPORT_JSON, report)
        staged += [staging / report_mod.REPORT_MD, staging / report_mod.REPORT_JSON]
        if gate.passed:
            manifest.write(staging / MANIFEST_NAME, report_mod.build_manifest(evals))
            staged.append(staging / MANIFEST_NAME)
        folder = out if gate.passed else out / REJECTED_DIR
        _drop_unlisted(staging, staged)
        try:
            if gate.passed:  # every file switches at once (edge_app.publish)
                written = commit_run(out, "convert", staging)
                shutil.rmtree(out / REJECTED_DIR, ignore_errors=True)  # a pass clears it
            else:  # rejected/ only ever holds the latest rejected run, whole
                replace_folder(staging, folder)
                written = tuple(folder / src.name for src in staged)
        except OSError as e:
            raise UserError(f"cannot write artifacts to {folder}: {e.strerror or e}") from e
    return ConvertResult(report=report, gate=gate, folder=folder, files=written)


def _write_c_array(staging: Path, model_bytes: bytes, log: Log) -> tuple[dict, list[Path]]:
    source, header = export_c.c_array_sources(model_bytes, C_SYMBOL, C_HEADER)
    (staging / C_SOURCE).write_text(source)
    (staging / C_HEADER).write_text(header)
    arena = export_c.tensor_arena_bytes(model_bytes)
    if arena is None:
        log("tensor arena size skipped: `pip install tflite-micro` to measure it")
    else:
        log(f"TFLite Micro tensor arena: {arena} bytes")
    info = {
        "source": C_SOURCE,
        "header": C_HEADER,
        "symbol": C_SYMBOL,
        "length_bytes": len(model_bytes),
        "alignment_bytes": export_c.ARRAY_ALIGNMENT_BYTES,
        "tensor_arena_bytes": arena,
    }
    return info, [staging / C_SOURCE, staging / C_HEADER]


def _onnx(staging: Path, evals, data, float_labels, calibration, log: Log) -> tuple[dict, list]:
    from convert import onnx_export

    return onnx_export.export_and_evaluate(staging, evals, data, float_labels, calibration, log)
