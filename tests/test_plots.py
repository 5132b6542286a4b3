"""The benchmark chart and the confusion matrix: titled, labelled, honest axes (checked on the Figures)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from benchmarks import plot  # noqa: E402
from benchmarks.rows import EndToEnd, Result  # noqa: E402
from convert.report import confusion_figure, plot_confusion  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def row(variant: str, runtime: str, p50_us: float, accuracy: float | None, model: str) -> Result:
    return Result(variant, runtime, 1, p50_us, p50_us * 1.2, p50_us * 1.5, p50_us, 1.0, 1e4,
                  100_000, accuracy, 50.0, model=model)  # fmt: skip


ROWS = [
    row("float32", "litert", 30.0, 0.9910, "model_float32.tflite"),
    row("int8", "litert", 12.0, 0.9907, "model_int8.tflite"),
    row("floor", "litert", 3.0, None, "floor.tflite"),
    row("keras", "keras", 25_000.0, 0.9911, "model.keras"),
    row("keras-batch", "keras", 900.0, 0.9911, "model.keras"),
]
FRAMES = [EndToEnd("int8", "litert", 1, 4.1, 6.3, 240.0)]


def test_benchmark_chart_answers_three_questions(tmp_path):
    fig = plot.benchmark_figure(ROWS, FRAMES)
    latency, frames, accuracy = fig.axes[:3]
    assert fig._suptitle is not None and fig._suptitle.get_text() == plot.TITLE
    assert all(ax.get_title() for ax in (latency, frames, accuracy))
    # Keras rows would squash the TFLite bars: left out of the latency axis, and said so
    shown = [t.get_text() for t in latency.get_yticklabels()]
    assert shown == ["float32 / litert / 1t", "int8 / litert / 1t", "floor / litert / 1t"]
    assert latency.get_xscale() == "linear" and latency.get_xlim()[1] < 1000
    assert "not shown: Keras" in latency.get_xlabel() and "25,000 us" in latency.get_xlabel()
    # the camera user's question: milliseconds per frame
    assert "per frame (ms)" in frames.get_xlabel()
    assert [t.get_text() for t in frames.get_yticklabels()] == ["int8 / litert / 1t"]
    # accuracy on an axis wider than a few images, differences labelled in images
    low, high = accuracy.get_ylim()
    assert high == 100 and 100 - low >= 1.5 and low <= 99.07 - 1
    notes = [t.get_text() for t in accuracy.texts]
    assert any("-3 images" in n for n in notes) and any("reference" in n for n in notes)
    assert "accuracy" in accuracy.get_ylabel()
    plot.plot(tmp_path / "bench.png", ROWS, FRAMES)
    assert (tmp_path / "bench.png").read_bytes()[:8] == PNG


def test_benchmark_chart_without_frames_or_accuracy_says_so():
    fig = plot.benchmark_figure([row("int8", "litert", 12.0, None, "m.tflite")], [])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "end-to-end frames not measured" in texts and "accuracy not measured" in texts


def test_confusion_matrix_counts_on_a_log_norm_with_a_title(tmp_path):
    matrix = np.diag([980, 1130, 1020, 1000, 975, 880, 950, 1020, 970, 1000])
    matrix[4, 9] = 12
    fig = confusion_figure(matrix.tolist(), "int8 on 10000 test images: 99.07%")
    ax, bar = fig.axes
    assert ax.get_title().startswith("int8 on 10000 test images")
    assert ax.get_xlabel() == "predicted digit" and ax.get_ylabel() == "true digit"
    assert bar.get_ylabel() == "test images (log scale)" and "log(1" not in bar.get_ylabel()
    image = ax.get_images()[0]
    assert type(image.norm).__name__ == "LogNorm"
    cells = {t.get_text() for t in ax.texts}
    assert {
        "12",
        "980",
        "1130",
    } <= cells and "0" not in cells  # counts annotated, empty cells blank
    plot_confusion(matrix.tolist(), tmp_path / "c.png", "t")
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG
