"""The benchmark chart (matplotlib, no display): one question per panel, each titled, honest axes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.rows import KERAS_BATCH, EndToEnd, Result
from edge_app.artifacts import atomic_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

KERAS_VARIANTS = ("keras", KERAS_BATCH)  # 100-1000x slower: on one axis they squash every other bar
MNIST_TEST_IMAGES = 10_000  # the accuracies are on the MNIST test set: 0.01 pp = one image
ACCURACY_MARGIN_PP = 1.0  # the accuracy axis starts this far below the worst model, on a whole pp
TITLE = "mnist-edge benchmark: which model and runtime to run on this machine"


def _label(row: Result | EndToEnd) -> str:
    return f"{row.variant} / {row.runtime} / {row.threads}t"


def _latency_panel(ax, results: list[Result]) -> None:
    rows = [r for r in results if r.variant not in KERAS_VARIANTS]
    keras = [r for r in results if r.variant == "keras"]
    y = range(len(rows))
    ax.barh(y, [r.p50_us for r in rows], color="tab:blue", label="p50")
    ax.errorbar([r.p99_us for r in rows], y, fmt="|", color="black", markersize=8, label="p99")
    ax.set_yticks(y, [_label(r) for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    note = f"\n(not shown: Keras one-image call, p50 {keras[0].p50_us:,.0f} us)" if keras else ""
    ax.set_xlabel("latency per image (us)" + note)
    ax.set_title("How long does one image take?", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")


def _frame_panel(ax, end_to_end: list[EndToEnd]) -> None:
    ax.set_title("How long does a 640x480 camera frame take?", fontsize=10)
    if not end_to_end:
        ax.text(0.5, 0.5, "end-to-end frames not measured", ha="center", va="center")
        ax.set_axis_off()
        return
    y = range(len(end_to_end))
    ax.barh(y, [r.p50_ms for r in end_to_end], height=0.5, color="tab:green", label="p50")
    ax.errorbar([r.p99_ms for r in end_to_end], y, fmt="|", color="black", markersize=8,
                label="p99")  # fmt: skip
    for i, r in enumerate(end_to_end):
        ax.annotate(f" {r.fps:.0f} frames/s", (r.p99_ms, i), va="center", fontsize=7)
    ax.set_yticks(y, [_label(r) for r in end_to_end], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, max(r.p99_ms for r in end_to_end) * 1.35)  # room for the frames/s labels
    ax.set_xlabel("preprocess + inference per frame (ms)")
    ax.legend(fontsize=7, loc="lower right")


def _accuracy_panel(ax, results: list[Result]) -> None:
    ax.set_title("What does each model file get right?", fontsize=10)
    per_file: dict[str, Result] = {}  # one bar per file: every runtime gives it the same accuracy
    for r in results:
        if r.accuracy is not None and r.variant != KERAS_BATCH:
            per_file.setdefault(r.model or r.variant, r)
    if not per_file:
        ax.text(0.5, 0.5, "accuracy not measured", ha="center", va="center")
        ax.set_axis_off()
        return
    names = list(per_file)
    accuracy = [per_file[n].accuracy * 100 for n in names]
    reference = per_file.get("model_float32.tflite", per_file[names[0]])
    floor = max(0.0, int(min(accuracy) - ACCURACY_MARGIN_PP))
    x = range(len(names))
    ax.bar(x, accuracy, color="tab:purple")
    for i, name in enumerate(names):
        images = round((per_file[name].accuracy - reference.accuracy) * MNIST_TEST_IMAGES)
        delta = "reference" if per_file[name] is reference else f"{images:+d} images"
        ax.annotate(f"{accuracy[i]:.2f}%\n{delta}", (i, accuracy[i]), ha="center",
                    va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")  # fmt: skip
    ax.set_xticks(x, [f"{n}\n{per_file[n].size_bytes / 1024:.0f} KB" if per_file[n].size_bytes
                      else n for n in names], fontsize=7, rotation=20)  # fmt: skip
    ax.set_ylim(floor, 100)
    ax.set_ylabel(f"MNIST test accuracy (%, axis from {floor:g})")


def benchmark_figure(results: list[Result], end_to_end: list[EndToEnd]) -> Figure:
    """The chart as a matplotlib Figure: per-image latency, per-frame time, accuracy per file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    height = max(5.0, 0.22 * len(results) + 2)
    fig, (latency, frame, accuracy) = plt.subplots(
        1, 3, figsize=(17, height), gridspec_kw={"width_ratios": [1.2, 1, 1]}
    )
    _latency_panel(latency, results)
    _frame_panel(frame, end_to_end)
    _accuracy_panel(accuracy, results)
    fig.suptitle(TITLE, fontsize=12)
    fig.tight_layout()
    return fig


def plot(path: Path, results: list[Result], end_to_end: list[EndToEnd] | None = None) -> None:
    """Write benchmark_figure as a PNG at `path` (atomically)."""
    fig = benchmark_figure(results, end_to_end or [])
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
