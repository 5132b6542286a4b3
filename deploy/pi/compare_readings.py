"""Compare the x86 and emulated-arm64 outputs of the same input: readings must be identical.

Two kinds of file, told apart by suffix:
- `.jsonl`: `python -m edge_app --headless` output, one object per frame. The frame, source, text
  and every digit's value and box must match; latencies are ignored (emulation speed means nothing).
  One exception, for the same rounding as below: a digit whose confidence sits on the
  --min-confidence line may read as its value on one CPU and "?" on the other, when its two
  confidences are within BORDERLINE_TOLERANCE of each other.
- `.npy`: Classifier probabilities from deploy/pi/classify_npy.py on MNIST test images. LiteRT's
  int8 kernels for ARM (NEON) and x86 (SSE/AVX) round requantization differently, so an output
  may move by a step or a few of the output scale (1/256): measured here, 1 step on 256 images.
  The top class must agree on nearly every image and no probability may move more than
  PROBABILITY_TOLERANCE; a wrong QEMU CPU model or a broken kernel gives far larger differences.
Prints one summary line; exit 0 when they agree, 1 when not, 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Shown on a mismatch; more lines than this bury the first difference.
MAX_DIFF_LINES = 5
# Probabilities are uint8 steps of 1/256; this allows about a dozen steps of rounding drift.
PROBABILITY_TOLERANCE = 0.05
# A digit read on one CPU and unsure ("?") on the other: its confidences may differ by this much
# (a few output steps of 1/256), or it is a real difference.
BORDERLINE_TOLERANCE = 4 / 256
# Share of images whose top class must agree (a near tie may flip on one image in a hundred).
MIN_TOP_CLASS_AGREEMENT = 0.99


def _load_jsonl(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{number} is not JSON ({e.msg}): {line[:80]!r}") from e
        if isinstance(row, dict) and "text" in row:
            rows.append(row)
    return rows


def _reading_key(row: dict) -> dict:
    """The part of a headless result that must not depend on the CPU."""
    return {
        "frame": row.get("frame"),
        "source": row.get("source"),
        "text": row["text"],
        "digits": [(d.get("digit"), list(d.get("box", []))) for d in row.get("digits", [])],
    }


def _borderline_only(a: dict, b: dict) -> bool:
    """True when two readings differ only in digits read on one side and unsure on the other,
    with confidences on the --min-confidence line (within BORDERLINE_TOLERANCE of each other)."""
    ka, kb = _reading_key(a), _reading_key(b)
    if (ka["frame"], ka["source"]) != (kb["frame"], kb["source"]) or len(ka["digits"]) != len(
        kb["digits"]
    ):
        return False
    for da, db in zip(a.get("digits", []), b.get("digits", []), strict=True):
        if list(da.get("box", [])) != list(db.get("box", [])):
            return False
        if da.get("digit") == db.get("digit"):
            continue
        confidences = float(da.get("confidence", 0)), float(db.get("confidence", 0))
        unsure_on_one = None in (da.get("digit"), db.get("digit"))
        if not unsure_on_one or abs(confidences[0] - confidences[1]) > BORDERLINE_TOLERANCE:
            return False
    return True


def compare_jsonl(reference: Path, candidate: Path) -> tuple[bool, str]:
    """Return (identical, summary) for two headless JSON-lines outputs."""
    ref, cand = _load_jsonl(reference), _load_jsonl(candidate)
    if not ref:
        return False, f"{reference} holds no readings"
    diffs = []
    borderline = 0
    if len(ref) != len(cand):
        diffs.append(f"{len(ref)} frames on x86 but {len(cand)} on arm64")
    max_confidence_diff = 0.0
    for a, b in zip(ref, cand, strict=False):
        if _reading_key(a) != _reading_key(b):
            if _borderline_only(a, b):
                borderline += 1
                continue
            diffs.append(f"x86 {_reading_key(a)} != arm64 {_reading_key(b)}")
            continue
        for da, db in zip(a.get("digits", []), b.get("digits", []), strict=True):
            diff = abs(float(da.get("confidence", 0)) - float(db.get("confidence", 0)))
            max_confidence_diff = max(max_confidence_diff, diff)
    if diffs:
        shown = "\n  ".join(diffs[:MAX_DIFF_LINES])
        return False, f"{len(diffs)} differences, first:\n  {shown}"
    digits = sum(len(r.get("digits", [])) for r in ref)
    texts = ",".join(repr(r["text"]) for r in ref)
    on_the_line = f"; {borderline} with a digit on the --min-confidence line" if borderline else ""
    return True, (
        f"{len(ref)} frames identical ({digits} digits, texts {texts}; "
        f"max confidence difference {max_confidence_diff:.3g}{on_the_line})"
    )


def compare_npy(reference: Path, candidate: Path) -> tuple[bool, str]:
    """Return (identical, summary) for two probability arrays."""
    import numpy as np

    a, b = np.load(reference), np.load(candidate)
    if a.shape != b.shape:
        return False, f"shapes differ: x86 {a.shape}, arm64 {b.shape}"
    if np.array_equal(a, b):
        return True, f"{len(a)} images, probabilities bit-identical"
    same_class = int((a.argmax(1) == b.argmax(1)).sum())
    max_diff = float(np.abs(a - b).max())
    summary = (
        f"{len(a)} images: top class same on {same_class}, max probability difference "
        f"{max_diff:.3g} (tolerance {PROBABILITY_TOLERANCE})"
    )
    agree = same_class >= MIN_TOP_CLASS_AGREEMENT * len(a) and max_diff <= PROBABILITY_TOLERANCE
    return agree, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("reference", type=Path, help="the x86 output (.jsonl or .npy)")
    parser.add_argument("candidate", type=Path, help="the arm64 output of the same input")
    parser.add_argument("--label", default="arm64", help="prefix of the summary line")
    args = parser.parse_args(argv)
    compare = compare_npy if args.reference.suffix == ".npy" else compare_jsonl
    try:
        identical, summary = compare(args.reference, args.candidate)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.reference.suffix == ".npy":
        verdict = "agree" if identical else "DIFFERENT"
    else:
        verdict = "identical" if identical else "DIFFERENT"
    print(f"{args.label}: {verdict}: {summary}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
