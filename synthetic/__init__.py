"""Camera-like frames of numbers with their expected readings: a developer tool, not part of the Pi app."""

from synthetic.folder import generate
from synthetic.labels import LABELS_NAME, read_labels, write_labels
from synthetic.scene import (
    FRAME_SIZE_PX,
    STYLES,
    MnistDigits,
    SceneOptions,
    make_frame,
    make_frame_jpeg,
    random_text,
)
from synthetic.video import write_frames, write_video

__all__ = [
    "FRAME_SIZE_PX",
    "LABELS_NAME",
    "STYLES",
    "MnistDigits",
    "SceneOptions",
    "generate",
    "make_frame",
    "make_frame_jpeg",
    "random_text",
    "read_labels",
    "write_frames",
    "write_labels",
    "write_video",
]
