"""Resident memory: current and peak RSS of this process, and of one runner in a fresh process.

The fresh process is `python -m benchmarks.probe rss --runtime litert --model M --threads 1`: the peak
RSS of a Python process that imported the runtime, loaded the model and ran one image and one batch,
i.e. what a process serving that model needs at least.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from benchmarks.cli import run_module

BYTES_PER_MB = 1024 * 1024
KB_PER_MB = 1024
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
    result = run_module(
        "benchmarks.probe",
        "rss",
        "--runtime",
        runtime,
        "--model",
        str(model),
        "--threads",
        str(threads),
        *(["--raw"] if raw else []),
        timeout=PROBE_TIMEOUT_S,
    )
    if result.returncode != 0:
        return None
    try:
        return float(json.loads(result.stdout.strip().splitlines()[-1])["peak_rss_mb"])
    except (ValueError, KeyError, IndexError):
        return None
