"""Frame sources: image, folder, video, camera, stream URL or Pi camera, each an iterator of Frames.

`open_source` picks the source for what the user typed and says in one line what is wrong with a
path that is none of them (missing, a FIFO, a device, a symlink loop, an empty string).
"""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import Callable
from pathlib import Path

import cv2

from edge_app.errors import UserError
from edge_app.paths import display_name, kind_of, stat_problem
from edge_app.redact import redact_url
from edge_app.sources.base import DEFAULT_RETRY, EXIT_SOURCE_LOST, Frame, RetryPolicy, Source
from edge_app.sources.files import ImageFile, ImageFiles, VideoFile
from edge_app.sources.live import Capture, LiveSource, PiCamera, open_stream

__all__ = [
    "EXIT_SOURCE_LOST",
    "IMAGE_EXTENSIONS",
    "Capture",
    "Frame",
    "ImageFile",
    "ImageFiles",
    "LiveSource",
    "PiCamera",
    "RetryPolicy",
    "Source",
    "VideoFile",
    "open_source",
]

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
)
SOURCE_KINDS = "a camera index (0), /dev/videoN, picamera, a URL, a video, an image or a folder"
log = logging.getLogger(__name__)


def _is_url(spec: str) -> bool:
    return "://" in spec


def _folder(path: Path, loop: bool) -> ImageFiles:
    try:
        names = list(path.iterdir())
    except OSError as e:
        raise UserError(f"cannot list folder {display_name(path)}: {e.strerror or e}") from e
    images = sorted(p for p in names if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not images:
        raise UserError(
            f"folder {display_name(path)} holds no images ({', '.join(sorted(IMAGE_EXTENSIONS))})"
        )
    return ImageFiles(images, label=display_name(path.name), loop=loop)


def open_source(
    spec: str,
    loop: bool = False,
    retry: RetryPolicy = DEFAULT_RETRY,
    sleep: Callable[[float], None] = time.sleep,
) -> Source:
    """Return the Source for `spec`: camera index, /dev/videoN, stream URL, "picamera", video, image or folder."""
    if not spec.strip():
        raise UserError(f"--source is empty; give {SOURCE_KINDS}")
    if spec == "picamera":
        return LiveSource(PiCamera, "picamera", retry, sleep)
    if spec.isdigit():
        return LiveSource(lambda: cv2.VideoCapture(int(spec)), f"camera {spec}", retry, sleep)
    if spec.startswith("/dev/video"):
        return LiveSource(lambda: cv2.VideoCapture(spec), spec, retry, sleep)
    if _is_url(spec):
        # The label is shown everywhere (JSON "source", web view, MQTT, logs): never its password.
        return LiveSource(
            lambda: open_stream(spec, retry.stall_timeout_s), redact_url(spec), retry, sleep
        )
    path = Path(spec)
    st, problem = stat_problem(path)
    if st is None:
        raise UserError(f"source {display_name(spec)!r} {problem}; give {SOURCE_KINDS}")
    if stat.S_ISDIR(st.st_mode):
        return _folder(path, loop)
    if not stat.S_ISREG(st.st_mode):
        raise UserError(
            f"source {display_name(spec)!r} is {kind_of(st.st_mode)}, not an image, video or "
            f"folder; give {SOURCE_KINDS}"
        )
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return ImageFile(path, loop=loop)
    return VideoFile(path, loop=loop)
