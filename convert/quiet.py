"""Capture what native (C++) code prints on stdout/stderr, which Python's redirect cannot catch."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def native_output_captured() -> Iterator[list[str]]:
    """Point file descriptors 1 and 2 at a temp file; the yielded list gets the text on exit."""
    captured: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = [os.dup(1), os.dup(2)]
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield captured
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            captured.append(sink.read().decode("utf-8", "replace"))


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and find its devices with the start-up log lines swallowed.

    TF 2.21 logs its start-up notes (oneDNN, "Could not find cuda drivers", a failed cuInit on a
    machine without a GPU) through absl before absl::InitializeLog(), which TF_CPP_MIN_LOG_LEVEL
    does not filter; they would be the first thing a user reads. A failed import shows them.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    output: list[str] = []
    try:
        with native_output_captured() as output:
            import tensorflow as tf

            tf.config.list_physical_devices()
    except BaseException:
        sys.stderr.write("".join(output))
        raise
