"""`python -m synthetic --out DIR [--count N] [--video FILE]`: frame_NNNN.jpg, labels.json, conditions.json.

The labelled folder is what `python -m benchmarks.evaluate` scores and what the tests read.
"""

from __future__ import annotations

import argparse
import os
import sys

from edge_app.cli_args import bounded, fraction, positive_int
from edge_app.errors import UserError, cli_main
from synthetic.conditions import CONDITIONS
from synthetic.folder import generate
from synthetic.scene import DEFAULT_STYLES, STYLES, SceneOptions
from synthetic.video import write_video

MAX_SEED = 2**32 - 1


def _comma_list(value: str, choices: tuple[str, ...], flag: str) -> tuple[str, ...]:
    names = tuple(s.strip() for s in value.split(",") if s.strip())
    unknown = [s for s in names if s not in choices]
    if unknown:
        raise UserError(f"{flag}: unknown {','.join(unknown)}; choose from {','.join(choices)}")
    return names


@cli_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m synthetic",
        description="Write camera-like frames of numbers (and a video) with their expected readings.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--out", required=True, help="folder for frame_NNNN.jpg and labels.json")
    parser.add_argument("--count", type=positive_int, default=300, help="number of frames")
    parser.add_argument("--seed", type=bounded(int, 0, MAX_SEED), default=0, help="random seed")
    parser.add_argument(
        "--video", default=None, help="also write the frames as a video (.avi or .mp4)"
    )
    parser.add_argument(
        "--hold", type=positive_int, default=1, help="video frames per generated frame"
    )
    parser.add_argument(
        "--no-digit-fraction",
        type=fraction,
        default=SceneOptions.no_digit_fraction,
        help="share of frames with no digit",
    )
    parser.add_argument(
        "--styles",
        default=",".join(DEFAULT_STYLES),
        help=f"comma list of digit styles from {','.join(STYLES)} (font: plumbing tests only, never training)",
    )
    parser.add_argument(
        "--conditions",
        default=",".join(CONDITIONS),
        help="comma list of real-photo conditions that may appear, each in its share of frames "
        f"('' for none): {','.join(CONDITIONS)}",
    )
    parser.add_argument(
        "--mnist-dir",
        default=os.environ.get("MNIST_DIR"),
        help="MNIST IDX folder for the handwritten style (default $MNIST_DIR; without it: strokes only)",
    )
    args = parser.parse_args(argv)
    styles = tuple(s for s in args.styles.split(",") if s)
    if not styles or any(s not in STYLES for s in styles):
        raise UserError(f"--styles must be a comma list of {','.join(STYLES)}, got {args.styles!r}")
    if styles == ("mnist",) and not args.mnist_dir:
        raise UserError("--styles mnist needs MNIST digits: set --mnist-dir or $MNIST_DIR")
    conditions = _comma_list(args.conditions, CONDITIONS, "--conditions")
    options = SceneOptions(
        no_digit_fraction=args.no_digit_fraction, styles=styles, conditions=conditions
    )
    labels = generate(args.out, args.count, args.seed, options, args.mnist_dir)
    print(f"wrote {len(labels)} frames to {args.out}", file=sys.stderr)
    if args.video:
        n = write_video(args.out, args.video, hold=args.hold)
        print(f"wrote {n} video frames to {args.video}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
