"""argparse value types shared by every command line: numbers checked against their range."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from edge_app.runtime import MAX_THREADS


def bounded(
    kind: type[int] | type[float], minimum: float | None = None, maximum: float | None = None
) -> Callable[[str], int | float]:
    """Return an argparse `type=` that parses `kind` and rejects values outside [minimum, maximum]."""
    noun = "a whole number" if kind is int else "a number"

    def show(value: float) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)

    if minimum is not None and maximum is not None:
        expected = f"{noun} from {show(minimum)} to {show(maximum)}"
    elif minimum is not None:
        expected = f"{noun} >= {show(minimum)}"
    else:
        expected = noun

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        too_low = minimum is not None and value < minimum
        too_high = maximum is not None and value > maximum
        if too_low or too_high or (kind is float and math.isnan(value)):
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in some messages
    return parse


positive_int = bounded(int, minimum=1)
non_negative_int = bounded(int, minimum=0)
non_negative_float = bounded(float, minimum=0.0)
positive_float = bounded(float, minimum=1e-3)
# Interpreter threads: a huge count crashes the TFLite runtime.
thread_count = bounded(int, minimum=1, maximum=MAX_THREADS)
fraction = bounded(float, minimum=0.0, maximum=1.0)
# NumPy's legacy seeding (used by Keras) takes 0 .. 2**32 - 1; anything else is a traceback.
seed = bounded(int, minimum=0, maximum=2**32 - 1)
