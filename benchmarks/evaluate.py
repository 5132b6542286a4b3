"""Score the reader on a labelled folder (from `python -m synthetic`): accuracy, false readings, latency,
and why frames failed (too few or too many digits, wrong digits) per recorded condition."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.breakdown import (
    TOO_FEW,
    TOO_MANY,
    WRONG_DIGITS,
    ConditionRow,
    by_condition,
    format_table,
    outcome,
)
from benchmarks.stats import summarize_ns
from edge_app.cli_args import fraction, non_negative_int
from edge_app.errors import UserError, cli_main
from edge_app.model import DEFAULT_MODEL, load_classifier
from edge_app.options import DEFAULT_OPTIONS, ReaderOptions
from edge_app.reader import read_digits
from edge_app.runtime import RUNTIME_CHOICES
from synthetic.labels import read_conditions, read_labels

WARMUP_FRAMES = 5


@dataclass(frozen=True)
class Score:
    """How well the reader did on a labelled set of frames."""

    frames: int
    number_frames: int  # frames showing a number
    exact_match: float  # share of number frames read exactly (whole number)
    digit_frames_unread: int  # number frames read as "" (nothing found)
    too_few: int  # number frames read with fewer digits than shown ("" included)
    too_many: int  # number frames read with more digits than shown
    wrong_digits: int  # number frames read with the right count but a wrong or unsure digit
    blank_frames: int  # frames with no digit
    false_readings: float  # share of blank frames that read as anything but ""
    p50_ms: float  # preprocess + inference per frame, wall clock
    p99_ms: float
    cpu_p50_ms: float  # the same in CPU time of this thread: what a busy machine cannot inflate
    errors: tuple[tuple[str, str, str], ...]  # (file, expected, read) for every miss
    by_condition: tuple[ConditionRow, ...] = ()  # all frames, then each recorded condition


def load_labelled(folder: str | Path) -> list[tuple[str, np.ndarray, str]]:
    """Return [(file name, encoded image bytes, expected text)] from a folder with labels.json.

    Frames stay encoded until scored, so each is decoded right before it is read, as in a camera
    loop (a freshly decoded frame is in cache; hundreds of decoded frames in RAM are not).
    """
    folder = Path(folder)
    labels = read_labels(folder)
    items = []
    for name, text in labels.items():
        try:
            data = np.fromfile(folder / name, np.uint8)
        except OSError as e:
            raise UserError(f"cannot read frame {folder / name}: {e.strerror or e}") from e
        items.append((name, data, text))
    return items


def _decode(data: np.ndarray) -> np.ndarray:
    frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if frame is None:
        raise UserError("a labelled frame is not a readable image")
    return frame


def score(items, classifier, options: ReaderOptions = DEFAULT_OPTIONS, conditions=None) -> Score:
    """Read every frame once (after a warm-up) and return the Score.

    `conditions` ({file name: [condition, ...]}, as in conditions.json) splits the outcomes by condition.
    """
    for _, data, _ in items[:WARMUP_FRAMES]:
        read_digits(_decode(data), classifier, options)
    times, cpu, errors, outcomes = [], [], [], {}
    hits = numbers = unread = blanks = false = 0
    for name, data, truth in items:
        frame = _decode(data)
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        text = read_digits(frame, classifier, options).text
        cpu.append(time.thread_time_ns() - c0)
        times.append(time.perf_counter_ns() - t0)
        if truth:
            numbers += 1
            hits += text == truth
            unread += text == ""
        else:
            blanks += 1
            false += text != ""
        if text != truth:
            errors.append((name, truth, text))
        outcomes[name] = outcome(truth, text)
    wall = summarize_ns(times) if times else None
    return Score(
        frames=len(items),
        number_frames=numbers,
        exact_match=hits / max(1, numbers),
        digit_frames_unread=unread,
        too_few=sum(o == TOO_FEW for o in outcomes.values()),
        too_many=sum(o == TOO_MANY for o in outcomes.values()),
        wrong_digits=sum(o == WRONG_DIGITS for o in outcomes.values()),
        blank_frames=blanks,
        false_readings=false / max(1, blanks),
        p50_ms=wall.p50_ms if wall else 0.0,
        p99_ms=wall.p99_ms if wall else 0.0,
        cpu_p50_ms=summarize_ns(cpu).p50_ms if cpu else 0.0,
        errors=tuple(errors),
        by_condition=by_condition(outcomes, conditions or {}),
    )


def _text_report(report: dict, result: Score) -> str:
    """Return the report as text: a summary line per number, then the per-condition table."""
    summary = [
        f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}"
        for key, value in report.items()
        if key != "by_condition"
    ]
    return "\n".join([*summary, "", format_table(result.by_condition)])


@cli_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.evaluate",
        description="Read a labelled folder of frames and report exact-match accuracy, false readings and latency.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--frames", required=True, help="folder with frames and labels.json")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="int8 .tflite model")
    parser.add_argument("--runtime", default="auto", choices=RUNTIME_CHOICES)
    parser.add_argument(
        "--min-confidence",
        type=fraction,
        default=ReaderOptions.min_confidence,
        help="digits below this softmax confidence read as unknown",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the manifest SHA-256 check")
    parser.add_argument(
        "--show-errors", type=non_negative_int, default=20, help="misread frames to list on stderr"
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    args = parser.parse_args(argv)
    classifier = load_classifier(args.model, args.runtime, 1, verify=not args.no_verify)
    options = ReaderOptions(min_confidence=args.min_confidence)
    items, conditions = load_labelled(args.frames), read_conditions(args.frames)
    result = score(items, classifier, options, conditions)
    for name, truth, text in result.errors[: args.show_errors]:
        why = " ".join([outcome(truth, text), *conditions.get(name, ())])
        print(f"miss {name}: expected {truth!r}, read {text!r} ({why})", file=sys.stderr)
    report = {k: v for k, v in asdict(result).items() if k != "errors"}
    report.update(
        model=args.model,
        runtime=classifier.runtime,
        misses=len(result.errors),
        load_average=os.getloadavg()[0],
    )
    print(json.dumps(report, indent=2) if args.json else _text_report(report, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
