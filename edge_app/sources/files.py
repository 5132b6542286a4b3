"""File sources: one image, a folder of images, a video file; each read to its end.

File names may be any bytes: images are read and decoded from memory, a video whose name OpenCV
cannot take is opened through a symlink with a plain name, and the JSON shows a printable name.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2

from edge_app.errors import UserError
from edge_app.paths import display_name
from edge_app.sources.base import Frame, Source, usable
from edge_app.sources.image_io import ImageError, read_image

MAX_VIDEO_FPS = 1000.0  # a container claiming more is broken: treat its rate as unknown
log = logging.getLogger(__name__)


class ImageFile(Source):
    """One image file, decoded once when opened (so a bad file fails at start); `loop` repeats it."""

    def __init__(self, path: Path, loop: bool = False) -> None:
        try:
            image = read_image(path)
        except ImageError as e:
            raise UserError(f"cannot read image {display_name(path)}: {e}") from e
        # Sinks only read frames (drawing works on a copy), so a loop can hand out the same array.
        self.image, self.label, self.loop = image, display_name(path.name), loop

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            yield Frame(image=self.image, name=self.label, index=index)
            index += 1
            if not self.loop:
                return


class ImageFiles(Source):
    """The images of a folder, sorted by name; unreadable files and FIFOs are skipped with a warning.

    A pass that decodes none of them is a UserError, like a single unreadable image.
    """

    def __init__(self, paths: list[Path], label: str, loop: bool = False) -> None:
        self.paths, self.label, self.loop = paths, label, loop

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            read_any = False
            for path in self.paths:
                try:
                    image = read_image(path)
                except ImageError as e:
                    log.warning("skipping %s: %s", display_name(path), e)
                    continue
                read_any = True
                yield Frame(image=image, name=display_name(path.name), index=index)
                index += 1
            if not read_any:
                raise UserError(
                    f"none of the {len(self.paths)} image file(s) in "
                    f"{display_name(self.paths[0].parent)} could be decoded: not images OpenCV can read"
                )
            if not self.loop:
                return


def _opencv_safe(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class VideoFile(Source):
    """A video file, read to its end (a truncated file ends at its last decodable frame)."""

    def __init__(self, path: Path, loop: bool = False) -> None:
        self.path, self.label, self.loop = path, display_name(path.name), loop
        self._capture: cv2.VideoCapture | None = None
        self._link_dir: str | None = None
        self._open_path = path
        if not _opencv_safe(path):
            # OpenCV crashes on names that are not UTF-8: give it a symlink with a plain name.
            self._link_dir = tempfile.mkdtemp(prefix="mnist-edge-video-")
            self._open_path = Path(self._link_dir) / f"video{display_name(path.suffix)}"
            os.symlink(os.path.abspath(path), self._open_path)
        self._open()

    def _open(self) -> None:
        self._release()
        capture = cv2.VideoCapture(str(self._open_path))
        if not capture.isOpened():
            self.close()
            raise UserError(
                f"cannot open video {display_name(self.path)}: not a video OpenCV can decode"
            )
        self._capture = capture
        rate = capture.get(cv2.CAP_PROP_FPS)
        # 0 or NaN: the container does not say.
        self.fps = rate if 0 < rate <= MAX_VIDEO_FPS else None

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            start = index
            while self._capture is not None:
                try:
                    ok, image = self._capture.read()
                except cv2.error as e:  # a corrupt packet: end like EOF, keep what was read
                    log.warning("stopping %s at frame %d: %s", self.label, index, e)
                    break
                if not ok or not usable(image):
                    break
                yield Frame(image=image, name=self.label, index=index)
                index += 1
            if index == start:
                if start == 0:
                    raise UserError(
                        f"no frame could be decoded from video {display_name(self.path)}"
                    )
                return
            if not self.loop:
                return
            self._open()

    def _release(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def close(self) -> None:
        self._release()
        if self._link_dir is not None:
            shutil.rmtree(self._link_dir, ignore_errors=True)
            self._link_dir = None
