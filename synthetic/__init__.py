"""Camera-like frames of numbers with their expected readings: a developer tool, not part of the Pi app."""

from synthetic.conditions import CONDITIONS
from synthetic.folder import generate
from synthetic.glyphs import MnistDigits
from synthetic.labels import (
    CONDITIONS_NAME,
    LABELS_NAME,
    read_conditions,
    read_labels,
    write_labels,
)
from synthetic.scene import (
    DEFAULT_STYLES,
    FRAME_SIZE_PX,
    STYLES,
    SceneOptions,
    SyntheticFrame,
    draw_frame,
    make_frame,
    make_frame_jpeg,
    random_text,
)
from synthetic.video import write_frames, write_video

__all__ = [
    "CONDITIONS",
    "CONDITIONS_NAME",
    "DEFAULT_STYLES",
    "FRAME_SIZE_PX",
    "LABELS_NAME",
    "STYLES",
    "MnistDigits",
    "SceneOptions",
    "SyntheticFrame",
    "draw_frame",
    "generate",
    "make_frame",
    "make_frame_jpeg",
    "random_text",
    "read_conditions",
    "read_labels",
    "write_frames",
    "write_labels",
    "write_video",
]
