"""Benchmark rows (typed, with their exact JSON form), floor ratios and the summary lines."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

FLOOR = "floor"
KERAS_BATCH = "keras-batch"
PP_PER_UNIT = 100.0  # accuracy fractions -> percentage points
# Timer resolution is tens of nanoseconds: more decimals (of us, ms) would be noise.
JSON_DECIMALS = 4


@dataclass(frozen=True)
class Result:
    """One model on one runtime at one thread count. Latencies are of one call (one image, except
    keras-batch: one predict() call on a batch); throughput is images/s on batches."""

    variant: str  # float32, float16, dynamic, int8, keras, keras-batch, floor
    runtime: str  # litert, tflite-runtime, tf.lite, onnxruntime, opencv, keras
    threads: int
    p50_us: float
    p90_us: float
    p99_us: float
    mean_us: float
    stdev_us: float
    throughput_per_s: float | None
    size_bytes: int | None
    accuracy: float | None
    rss_mb: float | None
    model: str = field(default="", compare=False)  # file name, shown in tables, not in the JSON
    note: str = field(default="", compare=False)  # e.g. "batch = loop of single images"

    def to_json(self) -> dict:
        """Return the row in the benchmark's JSON schema (--json): numbers only, no presentation fields."""
        data = asdict(self)
        del data["model"], data["note"]
        return {k: round(v, JSON_DECIMALS) if isinstance(v, float) else v for k, v in data.items()}


@dataclass(frozen=True)
class EndToEnd:
    """The app's per-frame processing (preprocess + inference, no capture) of 640x480 frames."""

    variant: str
    runtime: str
    threads: int
    p50_ms: float
    p99_ms: float
    fps: float

    def to_json(self) -> dict:
        return {
            k: round(v, JSON_DECIMALS) if isinstance(v, float) else v
            for k, v in asdict(self).items()
        }


def _find(
    results: list[Result], variant: str, runtime: str | None = None, threads: int | None = None
) -> Result | None:
    """Return the first `variant` row, on `runtime` and at `threads` when given."""
    for row in results:
        if (
            row.variant == variant
            and runtime in (None, row.runtime)
            and threads in (None, row.threads)
        ):
            return row
    return None


def x_floor(row: Result, results: list[Result]) -> float | None:
    """Return row p50 / floor p50 on the same runtime and threads (None without a floor)."""
    floor = _find(results, FLOOR, row.runtime, row.threads)
    if floor is None or row.variant == FLOOR or floor.p50_us <= 0:
        return None
    return row.p50_us / floor.p50_us


def _acc(row: Result) -> str:
    return "accuracy n/a" if row.accuracy is None else f"accuracy {row.accuracy * PP_PER_UNIT:.2f}%"


def _where(row: Result) -> str:
    return f"{row.variant} on {row.runtime}, {row.threads} thread{'s' if row.threads > 1 else ''}"


def summary_lines(
    results: list[Result], end_to_end: list[EndToEnd], tflite_runtimes: tuple[str, ...]
) -> list[str]:
    """Return the closing lines: float32 vs int8, int8 vs Keras, fastest for one image and for batches."""
    lines = []
    models = [r for r in results if r.variant not in (FLOOR, KERAS_BATCH)]
    pair = None
    for runtime in tflite_runtimes:
        threads = min((r.threads for r in results if r.runtime == runtime), default=None)
        f32, i8 = (
            _find(results, "float32", runtime, threads),
            _find(results, "int8", runtime, threads),
        )
        if f32 and i8:
            pair = (f32, i8)
            break
    if pair:
        f32, i8 = pair
        text = (
            f"int8 vs float32 ({i8.runtime}, {i8.threads} thread): {f32.p50_us / i8.p50_us:.1f}x faster "
            f"per image (p50 {i8.p50_us:.1f} vs {f32.p50_us:.1f} us)"
        )
        if f32.size_bytes and i8.size_bytes:
            text += f", {f32.size_bytes / i8.size_bytes:.1f}x smaller ({i8.size_bytes / 1024:.0f} vs {f32.size_bytes / 1024:.0f} KB)"
        if f32.accuracy is not None and i8.accuracy is not None:
            delta = (i8.accuracy - f32.accuracy) * PP_PER_UNIT
            text += f", accuracy {delta:+.2f} pp ({i8.accuracy:.2%} vs {f32.accuracy:.2%})"
        lines.append(text)
        keras = _find(results, "keras")
        if keras:
            lines.append(
                f"int8 on {i8.runtime} vs one-image Keras call: p50 {i8.p50_us:.1f} us vs "
                f"{keras.p50_us:.0f} us = {keras.p50_us / i8.p50_us:.0f}x lower"
            )
    if models:
        best = min(models, key=lambda r: r.p50_us)
        ratio = x_floor(best, results)
        floor_text = f" = {ratio:.1f}x floor" if ratio else ""
        lines.append(
            f"fastest for one image: {_where(best)}, p50 {best.p50_us:.1f} us{floor_text}, {_acc(best)}"
        )
    batched = [r for r in results if r.variant != FLOOR and r.throughput_per_s]
    if batched:
        best = max(batched, key=lambda r: r.throughput_per_s)
        lines.append(
            f"fastest for batches: {_where(best)}, {best.throughput_per_s:,.0f} images/s, {_acc(best)}"
        )
    for row in end_to_end:
        if row.variant == "int8":
            lines.append(
                f"end to end, 640x480 frame (preprocess + inference): {_where(row)}, "
                f"p50 {row.p50_ms:.2f} ms, p99 {row.p99_ms:.2f} ms, {row.fps:.0f} frames/s"
            )
            break
    return lines
