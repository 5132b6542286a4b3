"""Resident memory: current and peak RSS of this process, and a probe measuring one runner in a fresh process.

Run as a script by latency.py: `python benchmarks/memory.py --runtime litert --model M --threads 1`
prints the peak RSS in MB of a fresh Python process that imported the runtime, loaded the model and
ran one image and one batch, i.e. what a process serving that model needs at least.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

# Run as a script, Python puts benchmarks/ (not the repo root) on sys.path; the repo root is needed
# to import edge_app and benchmarks.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

BYTES_PER_MB = 1024 * 1024
KB_PER_MB = 1024
PROBE_BATCH = 256
PROBE_TIMEOUT_S = 300


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float:
    """Return the current resident set size of this process in MB (peak if only that is known)."""
    kb = _status_kb("VmRSS")
    return kb / KB_PER_MB if kb is not None else peak_rss_mb()


def peak_rss_mb() -> float:
    """Return the peak resident set size of this process in MB."""
    kb = _status_kb("VmHWM")
    if kb is not None:
        return kb / KB_PER_MB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    return peak / BYTES_PER_MB if sys.platform == "darwin" else peak / KB_PER_MB


def probe_peak_rss_mb(runtime: str, model: Path, threads: int, raw: bool = False) -> float | None:
    """Return the peak RSS (MB) of a fresh process running `model` on `runtime`, or None if it failed.

    `raw`: the model is not a digit classifier (the floor), as in `open_runner`.
    """
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--runtime",
            runtime,
            "--model",
            str(model),
            "--threads",
            str(threads),
            *(["--raw"] if raw else []),
        ],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
    )
    if result.returncode != 0:
        return None
    try:
        return float(json.loads(result.stdout.strip().splitlines()[-1])["peak_rss_mb"])
    except (ValueError, KeyError, IndexError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Peak RSS of loading and running one model in this (fresh) process.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    from benchmarks.runners import ALL_RUNTIMES, Unavailable, open_runner

    parser.add_argument("--runtime", choices=ALL_RUNTIMES, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--raw", action="store_true", help="not a digit classifier (the floor model)"
    )
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (PROBE_BATCH, 28, 28), dtype=np.uint8)
    try:
        # checked: the benchmark already ran OpenCV's crash check on this model.
        runner = open_runner(
            args.runtime, args.model, args.threads, batch[0], batch, raw=args.raw, checked=True
        )
    except Unavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for _ in range(10):
        runner.single()
    runner.batch()
    print(json.dumps({"peak_rss_mb": round(peak_rss_mb(), 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
