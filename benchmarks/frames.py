"""Camera-like 640x480 frames for the end-to-end and soak benchmarks, drawn by synthetic.

`python -m benchmarks.frames --video FILE` writes them as a Motion-JPEG video (soak.py runs it in a
child process, so drawing frames stays out of the memory it measures).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from edge_app.cli_args import non_negative_int, positive_int
from synthetic import FRAME_SIZE_PX, make_frame, write_frames

FRAME_WIDTH_PX, FRAME_HEIGHT_PX = FRAME_SIZE_PX
MAX_DIGITS = 4
VIDEO_FPS = 30
FRAME_SOURCE = "synthetic"


def camera_frames(count: int, seed: int = 0) -> tuple[list[np.ndarray], str]:
    """Return (`count` BGR uint8 640x480 frames showing 1 to 4 digits each, which generator made them)."""
    rng = np.random.default_rng(seed)
    texts = [
        "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(1, MAX_DIGITS + 1))))
        for _ in range(count)
    ]
    return [make_frame(text, rng)[0] for text in texts], FRAME_SOURCE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a Motion-JPEG video of camera-like 640x480 digit frames.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--video", type=Path, required=True, help="output .avi")
    parser.add_argument("--count", type=positive_int, default=40, help="frames in the video")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="frames' random seed")
    args = parser.parse_args(argv)
    frames, source = camera_frames(args.count, args.seed)
    write_frames(args.video, frames, VIDEO_FPS)
    print(f"{len(frames)} frames from {source} -> {args.video}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
