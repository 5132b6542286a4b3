"""Live web view: a phone-friendly page, frames with their readings (SSE), MJPEG, ROI and metrics."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from edge_app.draw import annotate
from edge_app.errors import UserError
from edge_app.roi import Roi, RoiControl, parse_roi
from edge_app.sinks.web_access import make_policy
from edge_app.sinks.web_http import WebHandler, page_bytes
from edge_app.sinks.web_labels import WebLabels
from edge_app.sinks.web_reading import frame_event, reading_json
from edge_app.sinks.web_server import (
    CLIENT_TIMEOUT_S,
    DEFAULT_HOST,
    DEFAULT_PORT,
    MAX_CLIENTS,
    REQUEST_DEADLINE_S,
    Server,
)
from edge_app.sinks.web_state import SharedState

if TYPE_CHECKING:
    from edge_app.metrics import Metrics
    from edge_app.result import FrameResult

log = logging.getLogger(__name__)

JPEG_QUALITY = 80  # 0..100: a 640x480 frame is ~40 kB, fine for a phone on Wi-Fi
MAX_STREAM_FPS = 15.0  # encoded at most: smooth on a phone, half a 30 fps camera's work
STALE_AFTER_S = 5.0  # /healthz turns 503 when no frame arrived for this long


class WebSink:
    """A Sink serving the live view over HTTP; the reader thread never waits for a client.

    handle() only stores the latest frame. One encoder thread annotates and JPEG-encodes the newest
    one, once however many clients watch, only while somebody does, and at most `max_stream_fps`
    times a second; every stream client sends the shared bytes from its own thread, skipping frames
    when it is slower than the camera.

    `roi` is where a region set on the page goes (the frame loop reads it, see app.run);
    `on_roi_change` is told each new region (e.g. to save it in the config file); `metrics`
    is rendered at /metrics.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        jpeg_quality: int = JPEG_QUALITY,
        stale_after_s: float = STALE_AFTER_S,
        max_stream_fps: float = MAX_STREAM_FPS,
        roi: RoiControl | None = None,
        on_roi_change: Callable[[Roi | None], None] | None = None,
        metrics: Metrics | None = None,
        allow_hosts: Sequence[str] = (),
        token_file: Path | None = None,
        max_clients: int = MAX_CLIENTS,
        request_deadline_s: float = REQUEST_DEADLINE_S,
        label_folder: str | os.PathLike | None = None,
    ) -> None:
        """Serve on host:port; with `label_folder` (--collect DIR) the page can label digits into it."""
        self._labels = WebLabels(label_folder)
        self._shared = SharedState()
        self._roi, self._on_roi_change, self._metrics = roi, on_roi_change, metrics
        self._jpeg_quality = int(jpeg_quality)
        self._min_interval_s = 1.0 / max_stream_fps if max_stream_fps > 0 else 0.0
        self._stale_after_s = float(stale_after_s)
        try:
            self._server = Server((host, port), WebHandler, max_clients=max_clients)
        except OSError as exc:
            raise UserError(
                f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose another --serve port"
            ) from None
        try:
            self._server.access, self.new_token = make_policy(host, allow_hosts, token_file)
        except UserError:
            self._server.server_close()
            raise
        self._server.request_deadline_s = request_deadline_s
        self._server.sink = self
        self._server.page = page_bytes()  # read once: the page is the same for every visitor
        self.host, self.port = self._server.server_address[:2]
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="web-server", daemon=True),
            threading.Thread(target=self._encode_loop, name="web-encoder", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def url(self) -> str:
        """Where the page is served (the bound port, so port 0 gives the real one)."""
        return f"http://{self.host}:{self.port}/"

    @property
    def token(self) -> str | None:
        """The token clients must present (None: loopback only, no token needed)."""
        return self._server.access.token

    @property
    def frames_encoded(self) -> int:
        """How many frames were JPEG-encoded for the stream (none while nobody watches)."""
        with self._shared.lock:
            return self._shared.encoded

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        """Remember the latest frame and reading; returns at once, whatever the clients do."""
        shared = self._shared
        with shared.lock:
            shared.seq += 1
            shared.result, shared.frame = result, frame
            shared.frame_size = (frame.shape[1], frame.shape[0])
            shared.last_frame_s = time.monotonic()
            if shared.encoder_idle and shared.streaming:
                shared.frame_ready.notify()

    def close(self) -> None:
        """Stop serving and end every stream."""
        shared = self._shared
        with shared.lock:
            shared.closed = True
            shared.frame_ready.notify_all()
            shared.jpeg_ready.notify_all()
        shared.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT_S)

    def health(self) -> tuple[bool, dict]:
        """(frames are arriving, details for /healthz)."""
        shared = self._shared
        with shared.lock:
            seq, last = shared.seq, shared.last_frame_s
        if not seq:
            return False, {"status": "waiting", "frames": 0, "detail": "no frame received yet"}
        age_s = time.monotonic() - last
        ok = age_s <= self._stale_after_s
        return ok, {
            "status": "ok" if ok else "stale",
            "frames": seq,
            "last_frame_age_s": round(age_s, 3),
        }

    def latest_reading(self) -> bytes | None:
        """JSON bytes of the latest reading, None before the first frame."""
        shared = self._shared
        with shared.lock:
            result, seq = shared.result, shared.seq
            if shared.reading_seq == seq:
                return shared.reading
        if result is None:
            return None
        # Built here, in the HTTP thread, and only when asked: the reader thread never pays for it.
        reading = json.dumps(reading_json(result)).encode()
        with shared.lock:
            if seq > shared.reading_seq:
                shared.reading, shared.reading_seq = reading, seq
        return reading

    def set_roi(self, value: object) -> Roi | None:
        """Validate a `{x, y, w, h}` (or None) from the page; the loop reads with it from the next frame.

        Raises ValueError (a message for the client) when it is invalid, there is no frame yet to
        check it against, or the region cannot be changed.
        """
        if self._roi is None:
            raise ValueError("this reader does not take a region from the page")
        with self._shared.lock:
            size = self._shared.frame_size
        if size is None:
            raise ValueError("no frame received yet: the region is checked against its size")
        roi = parse_roi(value, size)
        self._roi.set(roi)
        log.info("web view: region set to %s", "the whole frame" if roi is None else roi)
        if self._on_roi_change is not None:
            self._on_roi_change(roi)
        return roi

    def label(self, text: str, entry_id: str | None = None) -> dict:
        """Save the latest frame's crops (or entry `entry_id`'s) as `text`: edge_app.sinks.web_labels."""
        with self._shared.lock:
            result = self._shared.result
        return self._labels.label(result, text, entry_id)

    def unlabelled(self) -> dict:
        """The collected entries still to label, for the page."""
        return self._labels.unlabelled()

    def metrics_text(self) -> str | None:
        """The Prometheus text of the metrics, None when the sink has none."""
        return None if self._metrics is None else self._metrics.render()

    def frames(self) -> Iterator[tuple[int, bytes]]:
        """Yield (seq, JPEG) of each new annotated frame until the sink closes (one stream client)."""
        for seq, jpeg, _ in self._pictures():
            yield seq, jpeg

    def events(self) -> Iterator[bytes]:
        """Yield a frame_event per new annotated frame until the sink closes (one page)."""
        shared = self._shared
        for seq, jpeg, result in self._pictures():
            with shared.lock:
                event = shared.event if shared.event_seq == seq else None
            if event is None:  # made once per frame by the first page that needs it
                event = frame_event(seq, result, jpeg)
                with shared.lock:
                    if seq > shared.event_seq:
                        shared.event, shared.event_seq = event, seq
            yield event

    def _pictures(self) -> Iterator[tuple[int, bytes, FrameResult]]:
        shared = self._shared
        sent = 0
        with shared.lock:
            shared.streaming += 1
            shared.frame_ready.notify()  # wake the encoder for the frame already waiting
        try:
            while True:
                with shared.lock:
                    shared.jpeg_ready.wait_for(
                        lambda seen=sent: shared.closed or shared.jpeg_seq != seen
                    )
                    if shared.closed:
                        return
                    jpeg, sent, result = shared.jpeg, shared.jpeg_seq, shared.jpeg_result
                if jpeg is not None:  # None only when the very first frame failed to encode
                    yield sent, jpeg, result
        finally:
            with shared.lock:
                shared.streaming -= 1

    def _encode_loop(self) -> None:
        shared = self._shared
        params = [cv2.IMWRITE_JPEG_QUALITY, self._jpeg_quality]
        next_s = 0.0
        while True:
            # The frame-rate cap first, so a fast source (a video read flat out) is not encoded
            # flat out too: the encoder would take CPU the reader needs.
            shared.stopping.wait(max(0.0, next_s - time.monotonic()))
            with shared.lock:
                shared.encoder_idle = True
                shared.frame_ready.wait_for(
                    lambda: (
                        shared.closed or (shared.streaming > 0 and shared.seq != shared.jpeg_seq)
                    )
                )
                shared.encoder_idle = False
                if shared.closed:
                    return
                result, frame, seq = shared.result, shared.frame, shared.seq
            next_s = time.monotonic() + self._min_interval_s
            try:
                ok, buffer = cv2.imencode(".jpg", annotate(frame, result), params)
            except Exception:  # a drawing bug must not kill the live view: log it, skip the frame
                log.exception("web view: could not encode frame %d", seq)
                ok = False
            with shared.lock:
                if ok:
                    shared.jpeg, shared.jpeg_result = buffer.tobytes(), result
                    shared.encoded += 1
                shared.jpeg_seq = seq
                shared.jpeg_ready.notify_all()
