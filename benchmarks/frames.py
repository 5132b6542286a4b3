"""Camera-like 640x480 frames for the end-to-end and soak benchmarks.

Uses edge_app.synthetic (the app's own generator) when it exists; otherwise draws dark digits with
OpenCV on a paper-coloured, unevenly lit, slightly noisy background.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Run as a script (by soak.py, so the generator's memory stays out of the measured process), Python
# puts benchmarks/ on sys.path, not the repo root that edge_app lives in.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

FRAME_WIDTH_PX = 640
FRAME_HEIGHT_PX = 480
PAPER_BGR = (196, 214, 224)
INK_BGR = (40, 35, 30)
MAX_DIGITS = 4
VIDEO_FPS = 30


def _fallback_frame(text: str, rng: np.random.Generator) -> np.ndarray:
    frame = np.empty((FRAME_HEIGHT_PX, FRAME_WIDTH_PX, 3), np.float32)
    frame[:] = PAPER_BGR
    # A brightness ramp across the frame, like a desk lamp off to one side.
    ramp = np.linspace(0.8, 1.05, FRAME_WIDTH_PX, dtype=np.float32)[None, :, None]
    frame *= ramp
    scale = rng.uniform(2.5, 4.0)
    thickness = int(rng.integers(6, 12))
    (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    x = int(rng.integers(10, max(11, FRAME_WIDTH_PX - w - 10)))
    y = int(rng.integers(h + 10, max(h + 11, FRAME_HEIGHT_PX - 10)))
    cv2.putText(
        frame, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, INK_BGR, thickness, cv2.LINE_AA
    )
    frame += rng.normal(0.0, 4.0, frame.shape).astype(np.float32)
    frame = cv2.GaussianBlur(frame, (3, 3), 0)
    return np.clip(frame, 0, 255).astype(np.uint8)


def camera_frames(count: int, seed: int = 0) -> tuple[list[np.ndarray], str]:
    """Return (`count` BGR uint8 640x480 frames showing 1 to 4 digits each, which generator made them)."""
    rng = np.random.default_rng(seed)
    texts = [
        "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(1, MAX_DIGITS + 1))))
        for _ in range(count)
    ]
    try:
        from edge_app.synthetic import make_frame

        frames = [make_frame(text, rng)[0] for text in texts]
        source = "edge_app.synthetic"
    except Exception as e:  # noqa: BLE001 - the benchmark must not depend on the generator's health
        frames = [_fallback_frame(text, rng) for text in texts]
        source = f"OpenCV putText frames (edge_app.synthetic unusable: {type(e).__name__})"
    size = (FRAME_WIDTH_PX, FRAME_HEIGHT_PX)
    frames = [f if f.shape[1::-1] == size else cv2.resize(f, size) for f in frames]
    return frames, source


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
    parser.add_argument("--count", type=int, default=40, help="frames in the video")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    frames, source = camera_frames(max(1, args.count), args.seed)
    write_video(args.video, frames)
    print(f"{len(frames)} frames from {source} -> {args.video}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
