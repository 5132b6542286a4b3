"""Does fine-tuning learn one writer's hand? 50 labelled digits per imagined writer, before and after.

`python -m benchmarks.learning --model artifacts/model.keras` labels 50 digits of each writer in
synthetic.writers (crops cut from camera-like frames by the reader's own preprocessing), runs
train.fine_tune on them, and prints accuracy on that writer's held-out labelled digits, on 300
fresh digits of the same writer, and on the MNIST test set, before and after (float Keras).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from edge_app.cli_args import positive_int
from edge_app.digit_folder import DigitFolder
from edge_app.errors import cli_main
from edge_app.preprocess import extract_digits
from edge_app.runtime import to_float
from synthetic.writers import WRITERS, writer_frame

DIGITS_PER_FRAME = 3
FRESH_DIGITS = 300


def writer_digits(writer: str, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return `count` (28, 28) crops of `writer`'s digits as the reader cuts them, and their labels."""
    rng = np.random.default_rng(seed)
    crops, labels = [], []
    while len(labels) < count:
        text = "".join(str(d) for d in rng.integers(0, 10, DIGITS_PER_FRAME))
        found = extract_digits(writer_frame(text, WRITERS[writer], rng))
        if len(found) != len(text):
            continue  # the user would not label a frame whose digits were cut wrong
        crops += [c.image.reshape(28, 28) for c in found]
        labels += [int(ch) for ch in text]
    return np.stack(crops[:count]), np.array(labels[:count])


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    return float((model.predict(to_float(x), batch_size=1000, verbose=0).argmax(1) == y).mean())


@cli_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.learning",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--model", type=Path, required=True, help="base model.keras")
    parser.add_argument("--labelled", type=positive_int, default=50, help="digits a writer labels")
    parser.add_argument("--epochs", type=positive_int, default=5, help="fine-tuning epochs")
    parser.add_argument("--writers", default=",".join(WRITERS), help="comma-separated writers")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from convert.model_io import load_keras_model
    from train.data import load_mnist
    from train.fine_tune import fine_tune

    mnist = load_mnist()
    base = load_keras_model(args.model)
    print(
        "writer        labelled (train/held)  held-out before -> after   "
        f"{FRESH_DIGITS} fresh before -> after   MNIST before -> after"
    )
    for i, name in enumerate(args.writers.split(",")):
        x, y = writer_digits(name, args.labelled, seed=100 + i)
        fresh_x, fresh_y = writer_digits(name, FRESH_DIGITS, seed=200 + i)
        with tempfile.TemporaryDirectory() as tmp:
            folder = DigitFolder(tmp).create()
            for crop, label in zip(x, y, strict=True):
                folder.add_labelled([crop], str(label))
            result = fine_tune(args.model, folder.labelled, mnist, epochs=args.epochs)
        ft = result.metrics["fine_tune"]
        b, a = ft["before"], ft["after"]
        print(
            f"{name:12}  {args.labelled:3} ({ft['user_digits_train']}/{ft['user_digits_held_out']})"
            f"             {100 * b['user_held_out_accuracy']:5.1f}% -> "
            f"{100 * a['user_held_out_accuracy']:5.1f}%          "
            f"{100 * _accuracy(base, fresh_x, fresh_y):5.1f}% -> "
            f"{100 * _accuracy(result.model, fresh_x, fresh_y):5.1f}%         "
            f"{100 * b['test_accuracy']:.2f}% -> {100 * a['test_accuracy']:.2f}%",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
