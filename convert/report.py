"""The convert report (JSON and Markdown), the confusion-matrix plot and the app's manifest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from convert.evaluate import ClassStats, VariantEval
from convert.gate import GateResult
from convert.opencv_dnn import OPENCV_MIN_AGREEMENT
from convert.variants import VARIANT_NOTES
from edge_app.manifest import Manifest, ModelEntry

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REPORT_JSON = "convert_report.json"
REPORT_MD = "convert_report.md"
CONFUSION_PNG = "confusion_int8.png"
LABELS = [str(d) for d in range(10)]


def variant_json(ev: VariantEval) -> dict[str, Any]:
    """Return the report entry of one variant."""
    return {
        "path": ev.path.name,
        "note": VARIANT_NOTES.get(ev.name, ""),
        "size_bytes": ev.size_bytes,
        "sha256": ev.sha256,
        "accuracy": ev.accuracy,
        "agreement_with_float": ev.agreement_with_float,
        "per_class_accuracy": list(ev.stats.per_class_accuracy),
        "confusion_matrix": [list(row) for row in ev.stats.confusion],
        "input": ev.input.to_json(),
        "output": ev.output.to_json(),
        "runtime": ev.runtime,
        "ops": list(ev.ops),
        "batched_vs_one_image": {
            "top1_agreement": ev.one_image_agreement,
            "max_abs_diff": ev.one_image_max_abs_diff,
        },
        "eval_seconds": round(ev.eval_seconds, 3),
        "opencv_dnn": ev.opencv.to_json(),
    }


def build_report(
    *,
    model_path: Path,
    model_sha256: str,
    float_stats: ClassStats,
    evals: Mapping[str, VariantEval],
    gate: GateResult,
    calibration: Mapping[str, Any],
    test_images: int,
    extras: Mapping[str, Any] | None = None,
    versions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the convert_report.json content."""
    report: dict[str, Any] = {
        "model": {"path": str(model_path), "sha256": model_sha256},
        "test_images": test_images,
        "float_accuracy": float_stats.accuracy,
        "float_per_class_accuracy": list(float_stats.per_class_accuracy),
        "calibration": dict(calibration),
        "variants": {name: variant_json(ev) for name, ev in evals.items()},
        "eval_seconds_total": round(sum(ev.eval_seconds for ev in evals.values()), 3),
        "gate": gate.to_json(),
    }
    if float32 := evals.get("float32"):
        report["opencv_dnn_agreement"] = float32.opencv.agreement_with_litert
    report.update(extras or {})
    report["versions"] = dict(versions or {})
    return report


def _kib(size: int) -> str:
    return f"{size / 1024:.1f} KiB"


def report_markdown(report: Mapping[str, Any]) -> str:
    """Return a readable Markdown summary of a convert report."""
    float32_size = report["variants"].get("float32", {}).get("size_bytes")
    lines = [
        "# Conversion report",
        "",
        f"Model `{report['model']['path']}` (sha256 `{report['model']['sha256'][:12]}...`), "
        f"float Keras accuracy **{100 * report['float_accuracy']:.2f}%** on "
        f"{report['test_images']} test images.",
        "",
        "| variant | file | size | vs float32 | accuracy | agreement with float | input | OpenCV DNN |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, v in report["variants"].items():
        ratio = f"{100 * v['size_bytes'] / float32_size:.0f}%" if float32_size else "-"
        spec = v["input"]
        quant = f" (scale {spec['scale']:.6g}, zp {spec['zero_point']})" if spec["scale"] else ""
        cv = v["opencv_dnn"]
        if not cv["loaded"]:
            cv_text = "cannot load"
        elif cv["agreement_with_litert"] < OPENCV_MIN_AGREEMENT:
            # OpenCV loads some quantized files but computes them wrongly, without an error.
            cv_text = f"loads, wrong answers (agrees {cv['agreement_with_litert']:.4f})"
        else:
            cv_text = f"agrees {cv['agreement_with_litert']:.4f}"
        lines.append(
            f"| {name} | `{v['path']}` | {_kib(v['size_bytes'])} | {ratio} | "
            f"{100 * v['accuracy']:.2f}% | {v['agreement_with_float']:.4f} | "
            f"{spec['dtype']}{quant} | {cv_text} |"
        )
    for name, v in report.get("onnx", {}).get("models", {}).items():
        ratio = f"{100 * v['size_bytes'] / float32_size:.0f}%" if float32_size else "-"
        lines.append(
            f"| {name} (ONNX Runtime) | `{v['path']}` | {_kib(v['size_bytes'])} | {ratio} | "
            f"{100 * v['accuracy']:.2f}% | {v['agreement_with_float']:.4f} | float32 | - |"
        )
    if report.get("onnx", {}).get("status") == "skipped":
        lines += ["", report["onnx"]["note"]]
    gate = report["gate"]
    lines += [
        "",
        f"Evaluated with `{next(iter(report['variants'].values()))['runtime']}` in "
        f"{report['eval_seconds_total']:.1f} s (batched, input resized at run time; "
        "one-image runs checked against it).",
        "",
        f"Gate (max drop {gate['max_drop_pp']:g} pp, min agreement {gate['min_agreement']:g}): "
        f"**{'passed' if gate['passed'] else 'FAILED'}**",
    ]
    lines += [f"- {reason}" for reason in gate["reasons"]]
    if "int8" in report["variants"]:
        per_class = report["variants"]["int8"]["per_class_accuracy"]
        lines += [
            "",
            "int8 per-class accuracy: "
            + ", ".join(f"{d}: {100 * a:.1f}%" for d, a in enumerate(per_class)),
            "",
            f"![int8 confusion matrix]({CONFUSION_PNG})",
        ]
    return "\n".join(lines) + "\n"


def confusion_figure(confusion: Sequence[Sequence[int]], title: str) -> Figure:
    """The confusion matrix as a Figure: counts in the cells, colours on a log scale of counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import LogNorm

    matrix = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(6.4, 5.6), dpi=100)
    # A log norm of the counts themselves: the diagonal (~1000) would otherwise hide the few errors
    # that matter, and the colour bar still reads in images. Empty cells stay white.
    cmap = matplotlib.colormaps["Blues"].with_extremes(bad="white")
    shown = np.ma.masked_equal(matrix, 0)
    image = ax.imshow(shown, cmap=cmap, norm=LogNorm(vmin=0.5, vmax=max(2, int(matrix.max()))))
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            color = "white" if count > matrix.max() ** 0.75 else "black"
            ax.text(col, row, str(count), ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(10), LABELS)
    ax.set_yticks(range(10), LABELS)
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(f"{title}\nwhich digits are mistaken for which (off the diagonal)", fontsize=10)
    fig.colorbar(image, ax=ax, label="test images (log scale)")
    fig.tight_layout()
    return fig


def plot_confusion(confusion: Sequence[Sequence[int]], path: Path, title: str) -> None:
    """Save confusion_figure as a PNG at `path` (matplotlib, no display)."""
    fig = confusion_figure(confusion, title)
    import matplotlib.pyplot as plt

    fig.savefig(path, format="png")
    plt.close(fig)


def build_manifest(evals: Mapping[str, VariantEval]) -> Manifest:
    """Return the manifest of a passing run: each variant's file, hash, tensors and accuracy."""
    return Manifest(
        models={
            name: ModelEntry(
                file=ev.path.name,
                sha256=ev.sha256,
                size_bytes=ev.size_bytes,
                input=ev.input,
                output=ev.output,
                accuracy=ev.accuracy,
            )
            for name, ev in evals.items()
        }
    )
