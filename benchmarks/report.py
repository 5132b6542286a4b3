"""Present benchmark rows: an aligned text table and a Markdown section for the README."""

from __future__ import annotations

from benchmarks.rows import EndToEnd, Result, x_floor

RESULT_HEADER = (
    "variant",
    "runtime",
    "threads",
    "p50 us",
    "p90 us",
    "p99 us",
    "mean us",
    "stdev us",
    "x floor",
    "images/s (batch)",
    "size KB",
    "accuracy",
    "peak RSS MB",
)
E2E_HEADER = ("variant", "runtime", "threads", "p50 ms", "p99 ms", "frames/s")


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def result_cells(results: list[Result]) -> list[tuple[str, ...]]:
    """Return one tuple of display strings per row, in RESULT_HEADER order."""
    cells = []
    for r in results:
        ratio = x_floor(r, results)
        throughput = _num(r.throughput_per_s, ",.0f") + (" *" if r.note else "")
        cells.append(
            (
                r.variant,
                r.runtime,
                str(r.threads),
                f"{r.p50_us:.1f}",
                f"{r.p90_us:.1f}",
                f"{r.p99_us:.1f}",
                f"{r.mean_us:.1f}",
                f"{r.stdev_us:.1f}",
                _num(ratio, ".1f") + ("x" if ratio else ""),
                throughput,
                _num(r.size_bytes / 1024 if r.size_bytes else None, ".1f"),
                _num(r.accuracy * 100 if r.accuracy is not None else None, ".2f")
                + ("%" if r.accuracy is not None else ""),
                _num(r.rss_mb, ".0f"),
            )
        )
    return cells


def e2e_cells(rows: list[EndToEnd]) -> list[tuple[str, ...]]:
    return [
        (r.variant, r.runtime, str(r.threads), f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}", f"{r.fps:.0f}")
        for r in rows
    ]


def text_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Return an aligned plain-text table: text columns left-aligned, numbers right-aligned."""
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
        for i, h in enumerate(header)
    ]
    numeric = [i >= 2 for i in range(len(header))]

    def line(cells):
        return "  ".join(
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def markdown_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Return a GitHub Markdown table, numbers right-aligned."""
    align = ["---" if i < 2 else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def legend(results: list[Result]) -> list[str]:
    """Return the lines that explain the columns (shared by stdout and Markdown)."""
    lines = [
        "Latency: one image per call (input set, invoke, output read), after warm-up; "
        "keras-batch: one predict() call on the whole batch. x floor: p50 / p50 of a one-op model "
        "with the same input on the same runtime and threads. Peak RSS: a fresh process that loads "
        "the model and runs it.",
    ]
    if any(r.note for r in results):
        lines.append(
            "* the model has a fixed batch of one there: images/s from single calls in a loop."
        )
    return lines


def markdown(
    results: list[Result],
    end_to_end: list[EndToEnd],
    notes: list[str],
    summary: list[str],
    machine_line: str,
    command: str,
) -> str:
    """Return the README section: machine and command, both tables, notes and the summary."""
    parts = [
        f"Machine: {machine_line}.",
        "",
        f"Command: `{command}`",
        "",
        markdown_table(RESULT_HEADER, result_cells(results)),
        "",
        *legend(results),
    ]
    if end_to_end:
        parts += [
            "",
            "End to end: the reader's per-frame processing of 640x480 camera-like frames "
            "(preprocess + inference, no capture):",
            "",
            markdown_table(E2E_HEADER, e2e_cells(end_to_end)),
        ]
    if notes:
        parts += ["", "Not measured:", "", *(f"- {n}" for n in notes)]
    if summary:
        parts += ["", "Summary:", "", *(f"- {s}" for s in summary)]
    return "\n".join(parts) + "\n"
