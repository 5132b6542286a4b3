"""`python -m train`: train the MNIST MLP and write artifacts/model.keras and train_metrics.json."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from edge_app.cli_args import positive_int, seed
from edge_app.errors import UserError

DEFAULT_OUT = Path("artifacts")


def build_parser() -> argparse.ArgumentParser:
    from train.recipes import DEFAULT_RECIPE, RECIPES

    parser = argparse.ArgumentParser(
        prog="python -m train",
        description="Train the 784-100-100-100-10 MNIST MLP and write model.keras and train_metrics.json.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        default=DEFAULT_RECIPE,
        help="seed: the reference notebook exactly; edge: same network, augmented and scheduled",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder with the four MNIST IDX files (.gz or raw); default $MNIST_DIR, else tensorflow_datasets",
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=None, help="override the recipe's (maximum) epochs"
    )
    parser.add_argument(
        "--seed", type=seed, default=0, help="random seed; the same seed gives the same model"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from edge_app.artifacts import atomic_path, atomic_write_json, check_writable_dir
        from train.data import load_mnist

        data = load_mnist(args.data_dir)
        out = check_writable_dir(args.out)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from train.fit import train_model
        from train.recipes import RECIPES

        result = train_model(data, RECIPES[args.recipe], seed=args.seed, epochs=args.epochs)
        with atomic_path(out / "model.keras") as tmp:
            result.model.save(tmp)
        atomic_write_json(out / "train_metrics.json", result.metrics)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    m = result.metrics
    print(
        f"recipe {m['recipe']} seed {m['seed']}: test accuracy {m['test_accuracy']:.4f} "
        f"(val {m['val_accuracy']:.4f}) after {m['epochs_run']} epochs in {m['train_seconds']:.0f} s -> {out / 'model.keras'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
