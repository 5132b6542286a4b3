"""Compare the x86 and emulated-arm64 outputs of the same input: readings must be identical.

Two kinds of file, told apart by suffix:
- `.jsonl`: `python -m edge_app --headless` output, one object per frame. The frame, source, text
  and every digit's value and box must match; latencies are ignored (emulation speed means nothing).
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


def compare_jsonl(reference: Path, candidate: Path) -> tuple[bool, str]:
    """Return (identical, summary) for two headless JSON-lines outputs."""
    ref, cand = _load_jsonl(reference), _load_jsonl(candidate)
    if not ref:
        return False, f"{reference} holds no readings"
    diffs = []
    if len(ref) != len(cand):
        diffs.append(f"{len(ref)} frames on x86 but {len(cand)} on arm64")
    max_confidence_diff = 0.0
    for a, b in zip(ref, cand, strict=False):
        if _reading_key(a) != _reading_key(b):
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
    return True, (
        f"{len(ref)} frames identical ({digits} digits, texts {texts}; "
        f"max confidence difference {max_confidence_diff:.3g})"
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
