"""What the reader thread hands to the live view's encoder and HTTP threads, under one lock."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from edge_app.result import FrameResult


class SharedState:
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
        self.frame_size: tuple[int, int] | None = None  # (width, height) of the latest frame
        self.jpeg: bytes | None = None
        self.jpeg_seq = 0  # the frame `jpeg` shows
        self.jpeg_result: FrameResult | None = None  # the reading of that frame
        self.event: bytes | None = None  # frame_event of `jpeg`, made when first asked for
        self.event_seq = 0
        self.encoded = 0  # JPEGs made so far: at most one per frame, however many clients
        self.streaming = 0  # clients of /stream.mjpg and /api/events
