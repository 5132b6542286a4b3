"""Run the installed edge_app Classifier on an .npy of 28x28 images and save the probabilities.

deploy/check-pi-arm64.sh runs this on the x86 host and inside the emulated arm64 rootfs, then
compares the two outputs: it is the runtime-level check under the app-level one (a wrong CPU model
in QEMU makes LiteRT's int8 kernels return wrong numbers without crashing).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys

import numpy as np

from edge_app.artifacts import atomic_path
from edge_app.errors import UserError, cli_main
from edge_app.runtime import RUNTIME_CHOICES, Classifier


@cli_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--model", required=True, help="a .tflite model made by `python -m convert`"
    )
    parser.add_argument("--images", required=True, help=".npy of uint8 images shaped (N, 28, 28)")
    parser.add_argument("--out", required=True, help=".npy to write the (N, 10) probabilities to")
    parser.add_argument("--runtime", choices=RUNTIME_CHOICES, default="auto")
    args = parser.parse_args(argv)
    try:
        classifier = Classifier(args.model, runtime=args.runtime)
        probabilities = classifier.predict(np.load(args.images))
    except (OSError, ValueError) as e:
        raise UserError(f"cannot classify {args.images} with {args.model}: {e}") from None
    # Atomic, so the shell script never compares a half-written file; a file object, so np.save
    # adds no .npy suffix to the temporary name.
    with atomic_path(args.out) as tmp, open(tmp, "wb") as f:
        np.save(f, probabilities)
    # One JSON line so the shell script can report what actually ran.
    print(
        json.dumps(
            {
                "runtime": classifier.runtime,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "numpy": np.__version__,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
