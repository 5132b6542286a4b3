"""The --headless output: one JSON object per frame on stdout."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
from typing import IO, TYPE_CHECKING

from edge_app.errors import UserError

if TYPE_CHECKING:
    import numpy as np

    from edge_app.result import FrameResult

# `| head -1` exiting is how a pipe says "enough": not an error worth a traceback, but not success.
EXIT_OUTPUT_CLOSED = 1


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so Python's final flush of stdout cannot fail again at exit.

    The recipe from the `signal` module's note on SIGPIPE.
    """
    with (
        open(os.devnull, "wb") as devnull,
        contextlib.suppress(OSError, ValueError, AttributeError),
    ):
        os.dup2(devnull.fileno(), sys.stdout.fileno())


class JsonSink:
    """One JSON object per frame on stdout (and nothing else there)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        stream = stream or sys.stdout
        if stream is None:
            raise UserError("stdout is closed: run with stdout open (or redirect it to a file)")
        self.stream = stream

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        try:
            self.stream.write(json.dumps(result.to_json()) + "\n")
            self.stream.flush()
        except OSError as e:
            self._failed(e)

    def _failed(self, e: OSError) -> None:
        if self.stream is sys.stdout:
            _silence_stdout()
        self.stream = open(os.devnull, "w")  # noqa: SIM115 - close() flushes it, nothing to leak
        if isinstance(e, BrokenPipeError) or e.errno == errno.EPIPE:
            raise UserError(
                "stdout was closed by the program reading it; stopping",
                exit_code=EXIT_OUTPUT_CLOSED,
            ) from None
        raise UserError(
            f"cannot write JSON to stdout: {e.strerror or e}; redirect it to a file with free space"
        ) from None

    def close(self) -> None:
        try:
            self.stream.flush()
        except OSError as e:
            self._failed(e)
