"""The benchmark chart (matplotlib, no display)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.rows import KERAS_BATCH, Result
from edge_app.artifacts import atomic_path


def plot(path: Path, results: list[Result]) -> None:
    """Write a PNG: p50 latency per row (log scale) and accuracy against model size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, max(4, 0.28 * len(results) + 1)))
    labels = [f"{r.variant} / {r.runtime} / {r.threads}t" for r in results]
    left.barh(range(len(results)), [r.p50_us for r in results], color="tab:blue")
    left.set_yticks(range(len(results)), labels, fontsize=7)
    left.invert_yaxis()
    left.set_xscale("log")
    left.set_xlabel("p50 latency per call (us, log scale)")
    # One point per model file (its first row's runtime), so labels do not pile up.
    per_file: dict[str, Result] = {}
    for r in results:
        if r.accuracy is not None and r.size_bytes and r.variant != KERAS_BATCH:
            per_file.setdefault(r.model, r)
    for i, r in enumerate(per_file.values()):
        point = (r.size_bytes / 1024, r.accuracy * 100)
        right.scatter(*point)
        right.annotate(
            r.model, point, fontsize=7, xytext=(4, 4 + 9 * (i % 3)), textcoords="offset points"
        )
    right.set_xlabel("model size (KB)")
    right.set_ylabel("test accuracy (%)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
