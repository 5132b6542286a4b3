"""Frames to a video file (Motion-JPEG .avi or mp4v .mp4), written atomically."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from edge_app.artifacts import atomic_path
from edge_app.errors import UserError
from synthetic.labels import LABELS_NAME, read_labels

DEFAULT_VIDEO_FPS = 10.0


def write_frames(
    video: str | os.PathLike,
    frames: Iterable[np.ndarray],
    fps: float = DEFAULT_VIDEO_FPS,
    hold: int = 1,
) -> int:
    """Write BGR `frames` (each `hold` times) to `video`; return the number of video frames."""
    video = Path(video)
    fourcc = cv2.VideoWriter_fourcc(*("mp4v" if video.suffix.lower() == ".mp4" else "MJPG"))
    written = 0
    with atomic_path(video) as tmp:
        writer = None
        for frame in frames:
            if writer is None:
                writer = cv2.VideoWriter(str(tmp), fourcc, fps, (frame.shape[1], frame.shape[0]))
                if not writer.isOpened():
                    raise UserError(f"OpenCV cannot write video {video}; use a .avi or .mp4 name")
            for _ in range(hold):
                writer.write(frame)
                written += 1
        if writer is not None:
            writer.release()
    return written


def _read_frames(folder: Path, names: Iterable[str]) -> Iterable[np.ndarray]:
    for name in names:
        # Decoded from bytes read here: OpenCV's imread cannot open every file name.
        data = np.fromfile(folder / name, np.uint8) if (folder / name).is_file() else None
        frame = None if data is None else cv2.imdecode(data, cv2.IMREAD_COLOR)
        if frame is None:
            raise UserError(f"cannot read frame {folder / name}: missing or not an image")
        yield frame


def write_video(
    frames_dir: str | os.PathLike,
    video: str | os.PathLike,
    fps: float = DEFAULT_VIDEO_FPS,
    hold: int = 1,
) -> int:
    """Write the frames of `frames_dir` (in labels.json order) to an MJPG .avi or mp4v .mp4; return frames."""
    folder = Path(frames_dir)
    labels = read_labels(folder, hint="write the frames first")
    if not labels:
        raise UserError(f"{folder / LABELS_NAME} lists no frames ({{file name: text}} expected)")
    return write_frames(video, _read_frames(folder, labels), fps, hold)
