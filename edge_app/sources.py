"""Frame sources: image, folder, video, camera, stream URL or Pi camera, each an iterator of Frames.

Live sources (cameras, streams) survive drops: they reconnect with exponential back-off, log each
outage once, and give up with exit code 3 after `max_retries` failed attempts. Files end at EOF.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from edge_app.errors import UserError
from edge_app.redact import redact_url

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
)
EXIT_SOURCE_LOST = 3
PICAMERA_SIZE_PX = (640, 480)
MAX_VIDEO_FPS = 1000.0  # a container claiming more is broken: treat its rate as unknown
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Frame:
    """One frame: BGR (or whatever the source gave) image, a name for the JSON, a 0-based index."""

    image: np.ndarray
    name: str
    index: int


@dataclass(frozen=True)
class RetryPolicy:
    """How a live source reconnects after a drop."""

    max_retries: int = 10  # failed reconnect attempts in a row before giving up (exit 3)
    first_delay_s: float = 0.5  # wait before the first attempt; doubles each time
    max_delay_s: float = 8.0  # cap on the wait between attempts


class Capture(Protocol):
    """The part of cv2.VideoCapture a live source uses (a fake one in tests, Picamera2 on a Pi)."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's name

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def release(self) -> None: ...


def _usable(image: np.ndarray | None) -> bool:
    return image is not None and getattr(image, "size", 0) > 0


class Source:
    """Base class: iterate for Frames; `live` tells cameras and streams from files."""

    live = False
    label = ""
    fps: float | None = None  # the file's own frame rate, when it has one (videos)
    reconnects = 0  # drops a live source recovered from (files never drop)

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file (safe to call twice)."""


class ImageFile(Source):
    """One image file, decoded once when opened (so a bad file fails at start); `loop` repeats it."""

    def __init__(self, path: Path, loop: bool = False) -> None:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if not _usable(image):
            raise UserError(f"cannot read image {path}: not an image OpenCV can decode")
        # Sinks only read frames (drawing works on a copy), so a loop can hand out the same array.
        self.image, self.label, self.loop = image, path.name, loop

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            yield Frame(image=self.image, name=self.label, index=index)
            index += 1
            if not self.loop:
                return


class ImageFiles(Source):
    """The images of a folder, sorted by name; unreadable files are skipped with a warning.

    A pass that decodes none of them is a UserError, like a single unreadable image.
    """

    def __init__(self, paths: list[Path], label: str, loop: bool = False) -> None:
        self.paths, self.label, self.loop = paths, label, loop

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            read_any = False
            for path in self.paths:
                image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
                if not _usable(image):
                    log.warning("skipping %s: not a readable image", path)
                    continue
                read_any = True
                yield Frame(image=image, name=path.name, index=index)
                index += 1
            if not read_any:
                raise UserError(
                    f"none of the {len(self.paths)} image file(s) in {self.paths[0].parent} "
                    "could be decoded: not images OpenCV can read"
                )
            if not self.loop:
                return


class VideoFile(Source):
    """A video file, read to its end (a truncated file ends at its last decodable frame)."""

    def __init__(self, path: Path, loop: bool = False) -> None:
        self.path, self.label, self.loop = path, path.name, loop
        self._capture: cv2.VideoCapture | None = None
        self._open()

    def _open(self) -> None:
        self.close()
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            raise UserError(f"cannot open video {self.path}: not a video OpenCV can decode")
        self._capture = capture
        rate = capture.get(cv2.CAP_PROP_FPS)
        self.fps = (
            rate if 0 < rate <= MAX_VIDEO_FPS else None
        )  # 0 or NaN: the container does not say

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            start = index
            while self._capture is not None:
                try:
                    ok, image = self._capture.read()
                except cv2.error as e:  # a corrupt packet: end like EOF, keep what was read
                    log.warning("stopping %s at frame %d: %s", self.path.name, index, e)
                    break
                if not ok or not _usable(image):
                    break
                yield Frame(image=image, name=self.label, index=index)
                index += 1
            if index == start:
                if start == 0:
                    raise UserError(f"no frame could be decoded from video {self.path}")
                return
            if not self.loop:
                return
            self._open()

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class LiveSource(Source):
    """A camera or stream that may drop: reconnect with back-off, give up after max_retries."""

    live = True

    def __init__(
        self,
        open_capture: Callable[[], Capture],
        label: str,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.open_capture, self.label, self.retry, self.sleep = open_capture, label, retry, sleep
        self._capture: Capture | None = None
        self.reconnects = 0  # drops so far, each one a reconnect episode (read by /metrics)
        self._capture = self._try_open()
        if self._capture is None:
            raise UserError(
                f"cannot open {label}: is it connected, not used by another program, and readable "
                "by this user? (list cameras with `v4l2-ctl --list-devices`)"
            )

    def _try_open(self) -> Capture | None:
        try:
            capture = self.open_capture()
        except UserError:
            raise
        except Exception as e:  # noqa: BLE001 - any driver error means "not there (yet)"
            log.debug("opening %s failed: %s", self.label, redact_url(str(e)))
            return None
        if capture is None or not capture.isOpened():
            if capture is not None:
                capture.release()
            return None
        return capture

    def _read(self) -> np.ndarray | None:
        if self._capture is None:
            return None
        try:
            ok, image = self._capture.read()
        except Exception as e:  # noqa: BLE001 - a driver error is a drop like any other
            log.debug("reading %s failed: %s", self.label, redact_url(str(e)))
            return None
        return image if ok and _usable(image) else None

    def _reconnect(self) -> np.ndarray:
        """Reopen until a frame comes back; raise UserError (exit 3) after max_retries attempts."""
        self.reconnects += 1
        log.warning(
            "%s stopped delivering frames; reconnecting (up to %d attempts)",
            self.label,
            self.retry.max_retries,
        )
        delay = self.retry.first_delay_s
        for attempt in range(1, self.retry.max_retries + 1):
            self.close()
            self.sleep(delay)
            delay = min(delay * 2, self.retry.max_delay_s)
            self._capture = self._try_open()
            image = self._read()
            if image is not None:
                log.warning("%s is back after %d reconnect attempt(s)", self.label, attempt)
                return image
        self.close()
        raise UserError(
            f"lost {self.label}: no frame after {self.retry.max_retries} reconnect attempts; "
            "check the cable or stream, or raise --max-retries",
            exit_code=EXIT_SOURCE_LOST,
        )

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            image = self._read()
            if image is None:
                image = self._reconnect()
            yield Frame(image=image, name=self.label, index=index)
            index += 1

    def close(self) -> None:
        if self._capture is not None:
            try:
                self._capture.release()
            except Exception as e:  # noqa: BLE001 - releasing a dead device must not crash the app
                log.debug("releasing %s failed: %s", self.label, e)
            self._capture = None


class PiCamera:
    """Picamera2 behind the Capture protocol; picamera2 is imported only here (Raspberry Pi OS)."""

    def __init__(self, size: tuple[int, int] = PICAMERA_SIZE_PX) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError as e:
            raise UserError(
                "picamera2 is not installed: on Raspberry Pi OS run `sudo apt install python3-picamera2` "
                "and create the venv with --system-site-packages"
            ) from e
        self._camera = Picamera2()
        # "RGB888" in libcamera terms is B, G, R byte order: what OpenCV calls BGR.
        config = self._camera.create_preview_configuration(main={"size": size, "format": "RGB888"})
        self._camera.configure(config)
        self._camera.start()
        self._open = True

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self._open

    def read(self) -> tuple[bool, np.ndarray | None]:
        return True, self._camera.capture_array("main")

    def release(self) -> None:
        if self._open:
            self._open = False
            self._camera.stop()
            self._camera.close()


def _is_url(spec: str) -> bool:
    return "://" in spec


def open_source(
    spec: str,
    loop: bool = False,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> Source:
    """Return the Source for `spec`: camera index, /dev/videoN, stream URL, "picamera", video, image or folder."""
    if spec == "picamera":
        return LiveSource(PiCamera, "picamera", retry, sleep)
    if spec.isdigit():
        return LiveSource(lambda: cv2.VideoCapture(int(spec)), f"camera {spec}", retry, sleep)
    if spec.startswith("/dev/video"):
        return LiveSource(lambda: cv2.VideoCapture(spec), spec, retry, sleep)
    if _is_url(spec):
        # The label is shown everywhere (JSON "source", web view, MQTT, logs): never its password.
        return LiveSource(lambda: cv2.VideoCapture(spec), redact_url(spec), retry, sleep)
    path = Path(spec)
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        if not images:
            raise UserError(
                f"folder {path} holds no images ({', '.join(sorted(IMAGE_EXTENSIONS))})"
            )
        return ImageFiles(images, label=path.name, loop=loop)
    if not path.is_file():
        raise UserError(
            f"source {spec!r} not found: give a camera index (0), /dev/videoN, picamera, a URL, "
            "a video, an image or a folder"
        )
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return ImageFile(path, loop=loop)
    return VideoFile(path, loop=loop)
