"""Labelling from the web page: a frame's crops, or a collected entry, into the digit folder."""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING

from edge_app.digit_folder import DigitFolder
from edge_app.errors import UserError

if TYPE_CHECKING:
    from edge_app.result import FrameResult

# /api/unlabelled: the newest this many entries (a page to label in one go).
MAX_UNLABELLED_LISTED = 50
NO_COLLECT = "labelling needs a folder to save to: start the reader with --collect DIR"


class WebLabels:
    """What POST /api/label and GET /api/unlabelled do; without a folder, each says why not."""

    def __init__(self, folder: str | os.PathLike | None) -> None:
        self.folder = DigitFolder(folder).create() if folder else None

    def label(self, result: FrameResult | None, text: str, entry_id: str | None = None) -> dict:
        """Save `result`'s crops (or entry `entry_id`'s) as the number `text`; UserError says why not."""
        if self.folder is None:
            raise UserError(NO_COLLECT)
        if entry_id is not None:
            paths = self.folder.label_entry(entry_id, text)
        elif result is None:
            raise UserError("no frame received yet: nothing to label")
        elif not result.reading.crops:
            raise UserError("the reader found no digit in the current frame: nothing to label")
        else:
            paths = self.folder.add_labelled(result.reading.crops, text)
        return {
            "saved": [str(p.relative_to(self.folder.root)) for p in paths],
            "text": text.strip(),
        }

    def unlabelled(self) -> dict:
        """The newest unlabelled entries with their crops as PNG data URLs (for the page)."""
        if self.folder is None:
            return {"enabled": False, "detail": NO_COLLECT, "entries": []}
        entries = self.folder.entries()
        listed = []
        for entry in reversed(entries[-MAX_UNLABELLED_LISTED:]):
            try:
                crops = [base64.b64encode(p.read_bytes()).decode() for p in entry.crops]
            except OSError:
                continue  # labelled from another tab or the command line meanwhile
            listed.append(
                {
                    "id": entry.id,
                    "read_as": entry.read_as,
                    "source": entry.source,
                    "crops": [f"data:image/png;base64,{c}" for c in crops],
                }
            )
        return {"enabled": True, "total": len(entries), "entries": listed}
