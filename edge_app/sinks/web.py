"""Live web view: a phone-friendly page, the annotated MJPEG stream and the latest reading as JSON."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from edge_app.draw import annotate
from edge_app.errors import UserError
from edge_app.sinks.web_access import make_policy
from edge_app.sinks.web_http import (
    CLIENT_TIMEOUT_S,
    MAX_CLIENTS,
    REQUEST_DEADLINE_S,
    Server,
    WebHandler,
    page_bytes,
)

if TYPE_CHECKING:
    from edge_app.result import FrameResult

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "WebSink", "parse_serve", "reading_json"]

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"  # loopback unless the user asks for the network (see the README)
DEFAULT_PORT = 8080
JPEG_QUALITY = 80  # 0..100: a 640x480 frame is ~40 kB, fine for a phone on Wi-Fi
MAX_STREAM_FPS = 15.0  # encoded at most: smooth on a phone, half a 30 fps camera's work
STALE_AFTER_S = 5.0  # /healthz turns 503 when no frame arrived for this long


def parse_serve(spec: str) -> tuple[str, int]:
    """Return (host, port) from `--serve [HOST:]PORT`; the host defaults to loopback."""
    host, sep, port_text = spec.rpartition(":")
    if not sep:
        host = DEFAULT_HOST
    host = host or DEFAULT_HOST
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise UserError(f"--serve {spec!r}: expected [HOST:]PORT, e.g. 8080 or 0.0.0.0:8080")
    if ":" in host:
        raise UserError(f"--serve {spec!r}: IPv6 hosts are not supported; use an IPv4 address")
    return host, int(port_text)


def reading_json(result: FrameResult) -> dict:
    """The --headless JSON object of `result` (its "text" is the stable reading) plus the FPS."""
    return {**result.to_json(), "fps": round(float(result.fps), 2)}


class _Shared:
    """What the reader thread hands to the encoder and the HTTP threads; guarded by `lock`.

    Two conditions on the one lock, so each wake-up reaches only the threads it concerns: the reader
    wakes the encoder (and only when it is idle), the encoder wakes the stream clients. Every
    needless wake-up would make the reader thread hand the GIL over once more.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.frame_ready = threading.Condition(self.lock)  # the encoder waits for a frame
        self.jpeg_ready = threading.Condition(self.lock)  # stream clients wait for a JPEG
        self.stopping = threading.Event()  # set with `closed`: ends the encoder's rate-cap pause
        self.closed = False
        self.encoder_idle = False  # the encoder waits on frame_ready: handle() must wake it
        self.seq = 0  # frames handled so far
        self.result: FrameResult | None = None
        self.frame: np.ndarray | None = None
        self.reading: bytes | None = None  # JSON of `result`, made when first asked for
        self.reading_seq = 0  # the frame `reading` describes
        self.last_frame_s = 0.0  # time.monotonic() of the latest frame
        self.jpeg: bytes | None = None
        self.jpeg_seq = 0  # the frame `jpeg` shows
        self.encoded = 0  # JPEGs made so far: at most one per frame, however many clients
        self.streaming = 0  # clients connected to /stream.mjpg


class WebSink:
    """A Sink serving the live view over HTTP; the reader thread never waits for a client.

    handle() only stores the latest frame. One encoder thread annotates and JPEG-encodes the newest
    one, once however many clients watch, only while somebody does, and at most `max_stream_fps`
    times a second; every stream client sends the shared bytes from its own thread, skipping frames
    when it is slower than the camera.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        jpeg_quality: int = JPEG_QUALITY,
        stale_after_s: float = STALE_AFTER_S,
        max_stream_fps: float = MAX_STREAM_FPS,
        allow_hosts: Sequence[str] = (),
        token_file: Path | None = None,
        max_clients: int = MAX_CLIENTS,
        request_deadline_s: float = REQUEST_DEADLINE_S,
    ) -> None:
        self._shared = _Shared()
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

    def frames(self):
        """Yield JPEG bytes of each new annotated frame until the sink closes (one stream client)."""
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
                    jpeg, sent = shared.jpeg, shared.jpeg_seq
                if jpeg is not None:  # None only when the very first frame failed to encode
                    yield jpeg
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
                    shared.jpeg = buffer.tobytes()
                    shared.encoded += 1
                shared.jpeg_seq = seq
                shared.jpeg_ready.notify_all()
