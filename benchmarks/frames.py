"""Camera-like 640x480 frames for the end-to-end and soak benchmarks, drawn by edge_app.synthetic."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Run as a script (by soak.py, so the generator's memory stays out of the measured process), Python
# puts benchmarks/ on sys.path, not the repo root that edge_app lives in.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from edge_app.cli_args import non_negative_int, positive_int  # noqa: E402
from edge_app.synthetic import FRAME_SIZE_PX, make_frame  # noqa: E402

FRAME_WIDTH_PX, FRAME_HEIGHT_PX = FRAME_SIZE_PX
MAX_DIGITS = 4
VIDEO_FPS = 30
FRAME_SOURCE = "edge_app.synthetic"


def camera_frames(count: int, seed: int = 0) -> tuple[list[np.ndarray], str]:
    """Return (`count` BGR uint8 640x480 frames showing 1 to 4 digits each, which generator made them)."""
    rng = np.random.default_rng(seed)
    texts = [
        "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(1, MAX_DIGITS + 1))))
        for _ in range(count)
    ]
    return [make_frame(text, rng)[0] for text in texts], FRAME_SOURCE


def write_video(path: Path, frames: list[np.ndarray]) -> Path:
    """Write `frames` as a Motion-JPEG .avi (decodable by every OpenCV build) and return its path."""
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*"MJPG"), VIDEO_FPS, (FRAME_WIDTH_PX, FRAME_HEIGHT_PX)
    )
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write a Motion-JPEG video to {path}")
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


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
    write_video(args.video, frames)
    print(f"{len(frames)} frames from {source} -> {args.video}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
