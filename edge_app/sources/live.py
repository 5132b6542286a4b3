"""Live sources: cameras, streams and the Pi camera, which may drop and come back.

They reconnect with exponential back-off, log each outage once, and give up with exit code 3
after `max_retries` failed attempts. A stream that stays connected but sends nothing for
`stall_timeout_s` has dropped too: FFmpeg's open and read timeouts end the blocked call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Protocol

import cv2
import numpy as np

from edge_app.errors import UserError
from edge_app.redact import redact_url
from edge_app.sources.base import (
    DEFAULT_RETRY,
    EXIT_SOURCE_LOST,
    Frame,
    RetryPolicy,
    Source,
    usable,
)

PICAMERA_SIZE_PX = (640, 480)
log = logging.getLogger(__name__)


class Capture(Protocol):
    """The part of cv2.VideoCapture a live source uses (a fake one in tests, Picamera2 on a Pi)."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's name

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def release(self) -> None: ...


class LiveSource(Source):
    """A camera or stream that may drop: reconnect with back-off, give up after max_retries."""

    live = True

    def __init__(
        self,
        open_capture: Callable[[], Capture],
        label: str,
        retry: RetryPolicy = DEFAULT_RETRY,
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
        return image if ok and usable(image) else None

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


def open_stream(url: str, stall_timeout_s: float) -> cv2.VideoCapture:
    """Open a stream URL with FFmpeg, where connecting and each read give up after the stall timeout."""
    timeout_ms = max(1, int(stall_timeout_s * 1000))
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        timeout_ms,
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        timeout_ms,
    ]
    return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
