"""--collect DIR: keep the frames the reader was unsure about, as crops to label later (edge_app.digit_folder)."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from edge_app.digit_folder import DigitFolder, crop_png, crops_hash
from edge_app.errors import UserError

if TYPE_CHECKING:
    from edge_app.result import FrameResult

log = logging.getLogger(__name__)

DEFAULT_MAX_MB = 200
BYTES_PER_MB = 1 << 20
RECENT_ENTRIES = 32  # new crops are compared with this many of the latest saved entries
# Mean absolute pixel difference (0..1) under which two crops are the same digit seen again: a
# sheet held up to a camera gives slightly different pixels every frame, never the same bytes.
NEAR_DUPLICATE = 0.04
LIVE_MIN_INTERVAL_S = 1.0  # live sources: at most one entry a second, however unsure the reader


def is_unsure(result: FrameResult) -> bool:
    """True when a digit was below --min-confidence, or --stable was still settling on a change."""
    digits = result.reading.digits
    if not digits:
        return False
    return any(d.value is None for d in digits) or result.text != result.reading.text


class CollectSink:
    """Saves unsure frames into DIR/unlabelled/: deduplicated, capped at `max_bytes`, oldest out first."""

    def __init__(
        self,
        folder: str | os.PathLike | DigitFolder,
        max_bytes: int = DEFAULT_MAX_MB * BYTES_PER_MB,
        min_interval_s: float = 0.0,
    ) -> None:
        self.folder = (folder if isinstance(folder, DigitFolder) else DigitFolder(folder)).create()
        self.max_bytes = int(max_bytes)
        self.min_interval_s = float(min_interval_s)
        self.saved = 0
        self.skipped_duplicates = 0
        self._sizes = deque(self.folder.unlabelled_sizes())  # (id, bytes), oldest first
        self._total = sum(size for _, size in self._sizes)
        self._recent: deque[tuple[str, np.ndarray]] = deque(maxlen=RECENT_ENTRIES)
        self._last_saved_s = float("-inf")
        self._warned = False
        self._evict()

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        """Save `frame` as a new unlabelled entry if the reader was unsure and it is not a repeat."""
        if not is_unsure(result) or not result.reading.crops:
            return
        now = time.monotonic()
        if now - self._last_saved_s < self.min_interval_s:
            return
        crops = np.stack([np.asarray(c, np.float32) for c in result.reading.crops])
        digest = crops_hash([crop_png(c) for c in crops])
        if self._is_duplicate(digest, crops):
            self.skipped_duplicates += 1
            return
        try:
            entry = self.folder.add_unlabelled(
                list(crops), frame, result.reading.text, result.source
            )
            size = sum(f.stat().st_size for f in entry.path.iterdir())
        except OSError as e:  # a full disk must not stop the reader: say so once, keep reading
            if not self._warned:
                log.warning(
                    "--collect: cannot save to %s: %s", self.folder.unlabelled, e.strerror or e
                )
                self._warned = True
            return
        self._last_saved_s = now
        self._recent.append((digest, crops))
        self._sizes.append((entry.id, size))
        self._total += size
        self.saved += 1
        self._evict()

    def _is_duplicate(self, digest: str, crops: np.ndarray) -> bool:
        for seen_digest, seen in self._recent:
            if seen_digest == digest:
                return True
            if (
                seen.shape == crops.shape
                and np.abs(seen - crops).mean(axis=(1, 2)).max() < NEAR_DUPLICATE
            ):
                return True
        return False

    def _evict(self) -> None:
        """Delete the oldest entries until the folder is under its cap (the newest always stays)."""
        while self._total > self.max_bytes and len(self._sizes) > 1:
            entry_id, size = self._sizes.popleft()
            with contextlib.suppress(UserError):  # labelled or deleted meanwhile: gone either way
                self.folder.discard_entry(entry_id)
            self._total -= size

    def close(self) -> None:
        if self.saved or self.skipped_duplicates:
            log.info(
                "--collect: saved %d unsure frame(s) to %s (%d repeat(s) skipped)",
                self.saved,
                self.folder.unlabelled,
                self.skipped_duplicates,
            )
