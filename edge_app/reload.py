"""Swap in a new model while reading: notice it in the artifacts folder, verify, load beside, switch.

A new model arrives as files copied over (scp) into the folder the app reads, the manifest last
from `convert` but in any order by hand. The frame loop calls `ModelWatcher.poll()` between frames;
every `poll_s` it compares the size and modification time of the model and manifest.json (two
stat calls). Once they changed and then held still for one poll (the copy finished), the new
file must match manifest.json, load, and classify a blank batch; only then does the next frame
use it. Anything short of that keeps the current model and logs why.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from edge_app.errors import UserError
from edge_app.manifest import MANIFEST_NAME
from edge_app.model import ModelInfo, check_specs, read_model
from edge_app.runtime import IMAGE_SIZE_PX, NUM_CLASSES, Classifier

log = logging.getLogger(__name__)

POLL_S = 3.0  # how often the artifacts folder is looked at: two stat calls, nothing read

Signature = tuple[tuple[int, int] | None, tuple[int, int] | None]


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class ModelWatcher:
    """The classifier the frame loop uses now, and the watch for a newer one beside it."""

    def __init__(
        self,
        model: str | os.PathLike,
        runtime: str = "auto",
        threads: int = 1,
        verify: bool = True,
        reload: bool = True,
        poll_s: float = POLL_S,
    ) -> None:
        """Load `model` (UserError if it is unusable); watch it for changes if `reload` and `verify`."""
        self.path = Path(model)
        self.runtime, self.threads, self.verify = runtime, threads, verify
        self.poll_s = float(poll_s)
        self.reloads = 0  # successful swaps so far
        self._signature = self._current_signature()
        data, verified = read_model(self.path, verify)
        if verified:
            log.info("model %s matches %s", self.path, MANIFEST_NAME)
        self.classifier = Classifier(self.path, runtime, threads, model_bytes=data)
        if verified:
            check_specs(self.classifier, verified)
        self.info = ModelInfo.of(self.path, data)
        self.enabled = reload and verify
        if reload and not verify:
            log.warning(
                "--no-verify: a new model in %s is not swapped in (it cannot be checked)",
                self.path.parent,
            )
        self._pending: Signature | None = None  # changed files waiting to hold still
        self._next_poll_s = time.monotonic() + self.poll_s

    def describe(self) -> dict[str, str]:
        """What runs now: the model's sha256, file name and runtime."""
        return {
            "sha256": self.info.sha256,
            "file": self.path.name,
            "runtime": self.classifier.runtime,
        }

    def _current_signature(self) -> Signature:
        return _stat(self.path), _stat(self.path.parent / MANIFEST_NAME)

    def poll(self) -> Classifier:
        """Return the classifier for the next frame: a newer verified model once one is complete."""
        if not self.enabled or time.monotonic() < self._next_poll_s:
            return self.classifier
        self._next_poll_s = time.monotonic() + self.poll_s
        signature = self._current_signature()
        if signature == self._signature:
            self._pending = None
        elif signature != self._pending:
            self._pending = signature  # still being copied, perhaps: look again next poll
        else:
            self._pending = None
            self._signature = signature
            self._try_swap()
        return self.classifier

    def _try_swap(self) -> None:
        try:
            # Fails closed: an unlisted or mismatched model is a UserError, logged, not swapped in.
            data, verified = read_model(self.path, verify=True)
            info = ModelInfo.of(self.path, data)
            if info.sha256 == self.info.sha256:
                return
            candidate = Classifier(self.path, self.runtime, self.threads, model_bytes=data)
            check_specs(candidate, verified)
            probs = candidate.predict(np.zeros((2, IMAGE_SIZE_PX, IMAGE_SIZE_PX), np.float32))
            if probs.shape != (2, NUM_CLASSES) or not np.isfinite(probs).all():
                raise UserError("it gives no usable probabilities on a blank image")
        except (UserError, OSError, ValueError, RuntimeError) as e:
            log.warning(
                "new model in %s not used (%s); still reading with %s",
                self.path.parent,
                e,
                self.info.sha256[:12],
            )
            return
        log.warning(
            "model swapped: %s (%s) -> %s (%s)",
            self.info.sha256[:12],
            self.info.date,
            info.sha256[:12],
            info.date,
        )
        self.classifier, self.info = candidate, info
        self.reloads += 1
