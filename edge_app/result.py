"""One processed frame and its JSON object: the --headless contract every sink reports."""

from __future__ import annotations

from dataclasses import dataclass

from edge_app.model import ModelInfo
from edge_app.reader import Reading

LATENCY_DECIMALS = 3


@dataclass
class FrameResult:
    """Everything known about one processed frame."""

    frame: int
    source: str
    reading: Reading
    text: str  # what the frame reports: the number held by --stable, else this frame's reading
    fps: float
    plausible: bool | None = None  # the counter rule's verdict (--monotonic); None = rule off
    roi: tuple[int, int, int, int] | None = None  # the region read (x, y, w, h); None = whole frame
    model: ModelInfo | None = None  # which model read it (the web view shows it; not in to_json)

    def to_json(self) -> dict:
        """Return the --headless object promised to users (keys and order are a contract)."""
        payload = {
            "frame": self.frame,
            "source": self.source,
            "text": self.text,
            "digits": [
                {"digit": d.value, "confidence": round(d.confidence, 4), "box": list(d.box)}
                for d in self.reading.digits
            ],
            "latency_ms": {
                k: round(v, LATENCY_DECIMALS) for k, v in self.reading.latency_ms.items()
            },
        }
        if self.plausible is not None:  # only with --monotonic: the default output is unchanged
            payload["plausible"] = self.plausible
        return payload
