"""Measurements that need a fresh process: `python -m benchmarks.probe opencv MODEL` / `rss ...`.

`opencv` prints OpenCV DNN's top-1 agreement with LiteRT on MODEL (a crash costs this process,
not the benchmark); `rss` prints the peak RSS in MB of loading MODEL on one runtime and running it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.memory import peak_rss_mb
from benchmarks.runners import ALL_RUNTIMES, Unavailable, open_runner

PROBE_BATCH = 256
EXIT_UNAVAILABLE = 1


def _opencv(args: argparse.Namespace) -> int:
    from benchmarks.runner_opencv import opencv_agreement

    print(opencv_agreement(args.model))
    return 0


def _rss(args: argparse.Namespace) -> int:
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (PROBE_BATCH, 28, 28), dtype=np.uint8)
    # checked: the benchmark already ran OpenCV's crash check on this model.
    runner = open_runner(
        args.runtime, args.model, args.threads, batch[0], batch, raw=args.raw, checked=True
    )
    for _ in range(10):
        runner.single()
    runner.batch()
    print(json.dumps({"peak_rss_mb": round(peak_rss_mb(), 1)}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.probe",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    opencv = commands.add_parser("opencv", help="OpenCV DNN's top-1 agreement with LiteRT")
    opencv.add_argument("model", type=Path)
    opencv.set_defaults(run=_opencv)
    rss = commands.add_parser("rss", help="peak RSS of one runner in this fresh process")
    rss.add_argument("--runtime", choices=ALL_RUNTIMES, required=True)
    rss.add_argument("--model", type=Path, required=True)
    rss.add_argument("--threads", type=int, default=1)
    rss.add_argument("--raw", action="store_true", help="not a digit classifier (the floor model)")
    rss.set_defaults(run=_rss)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except Unavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
