"""What the web view says about a frame: its reading as JSON, and the event pairing it with its picture."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge_app.result import FrameResult


def reading_json(result: FrameResult) -> dict:
    """The --headless JSON object of `result` (its "text" is the stable reading), FPS, ROI, model."""
    roi = list(result.roi) if result.roi is not None else None
    extra = {"model": result.model.to_json()} if result.model is not None else {}
    return {**result.to_json(), "fps": round(float(result.fps), 2), "roi": roi, **extra}


def frame_event(seq: int, result: FrameResult, jpeg: bytes) -> bytes:
    """One Server-Sent Event: the annotated JPEG and the reading of that very frame, together.

    The page draws the picture and the number from the same event, so it can never show the
    number of one frame over the picture of another.
    """
    data = {"seq": seq, "reading": reading_json(result), "jpeg": base64.b64encode(jpeg).decode()}
    return f"id: {seq}\ndata: {json.dumps(data)}\n\n".encode()
