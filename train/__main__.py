"""`python -m train`: train the MNIST MLP and write artifacts/model.keras and train_metrics.json."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from edge_app.cli_args import positive_int, seed
from edge_app.errors import cli_main
from edge_app.publish import sigterm_as_interrupt

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
    parser.add_argument(
        "--fine-tune",
        type=Path,
        default=None,
        metavar="MODEL",
        help="continue training this model.keras on --extra-data mixed with MNIST (default 5 epochs)",
    )
    parser.add_argument(
        "--extra-data",
        type=Path,
        default=None,
        metavar="DIR",
        help="--fine-tune: the user's labelled digits (DIR/labelled/<digit>/*.png from --collect)",
    )
    return parser


def _data_source(data_dir: Path | None) -> str:
    from train.data import MNIST_DIR_ENV

    if data_dir:
        return f"MNIST from {data_dir}"
    if os.environ.get(MNIST_DIR_ENV):
        return f"MNIST from ${MNIST_DIR_ENV} ({os.environ[MNIST_DIR_ENV]})"
    return "MNIST through tensorflow_datasets (downloaded once; --data-dir works offline)"


def _plan(args: argparse.Namespace) -> str:
    from train.recipes import RECIPES

    if args.fine_tune:
        from train.fine_tune import DEFAULT_EPOCHS

        return (
            f"fine-tuning {args.fine_tune} on {args.extra_data} mixed with "
            f"{_data_source(args.data_dir)} for {args.epochs or DEFAULT_EPOCHS} epochs, seed "
            f"{args.seed}; writes {args.out / 'model.keras'} and train_metrics.json"
        )
    recipe = RECIPES[args.recipe]
    epochs = args.epochs or recipe.epochs
    stops = ", stops early when validation loss stalls" if recipe.early_stopping_patience else ""
    return (
        f"training recipe {recipe.name} for up to {epochs} epochs{stops}, seed {args.seed}, on "
        f"{_data_source(args.data_dir)}; writes {args.out / 'model.keras'} and train_metrics.json"
    )


def _summary(metrics: dict, out: Path) -> list[str]:
    from train.progress import duration

    convert = "python -m convert"
    if out != DEFAULT_OUT:
        convert += f" --model {out / 'model.keras'} --out {out}"
    if "fine_tune" in metrics:
        return _fine_tune_summary(metrics, out, convert)
    return [
        f"test accuracy {100 * metrics['test_accuracy']:.2f}% (validation "
        f"{100 * metrics['val_accuracy']:.2f}%) after {metrics['epochs_run']} epochs in "
        f"{duration(metrics['train_seconds'])}",
        f"wrote {out / 'model.keras'} and {out / 'train_metrics.json'}",
        f"next: {convert}  (TFLite variants, accuracy report, the int8 model the camera app reads)",
    ]


def _fine_tune_summary(metrics: dict, out: Path, convert: str) -> list[str]:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.2f}%"

    ft = metrics["fine_tune"]
    before, after = ft["before"], ft["after"]
    return [
        f"your held-out digits ({ft['user_digits_held_out']}): {pct(before['user_held_out_accuracy'])}"
        f" -> {pct(after['user_held_out_accuracy'])}; MNIST test {pct(before['test_accuracy'])} -> "
        f"{pct(after['test_accuracy'])} (trained on {ft['user_digits_train']} of your digits)",
        f"wrote {out / 'model.keras'} and {out / 'train_metrics.json'}",
        f"next: {convert}  (gates on MNIST and on your held-out digits, then copy the artifacts "
        "to the device: a running reader swaps the model in)",
    ]


@cli_main
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if bool(args.fine_tune) != bool(args.extra_data):
        print(
            "error: --fine-tune MODEL and --extra-data DIR go together; give both", file=sys.stderr
        )
        return 2
    print(_plan(args), flush=True)
    sigterm_as_interrupt()  # a kill unwinds like Ctrl-C: staging removed, old files kept
    try:
        from convert.quiet import import_tensorflow_quietly
        from edge_app.artifacts import atomic_write_json, check_writable_dir
        from edge_app.publish import commit_run, staged_run
        from train.data import load_mnist

        import_tensorflow_quietly()
        data = load_mnist(args.data_dir)
        out = check_writable_dir(args.out)
        from train.fit import train_model
        from train.recipes import RECIPES

        if args.fine_tune:
            from train.fine_tune import DEFAULT_EPOCHS, fine_tune

            result = fine_tune(
                args.fine_tune,
                args.extra_data,
                data,
                epochs=args.epochs or DEFAULT_EPOCHS,
                seed=args.seed,
                log=lambda line: print(line, flush=True),
            )
        else:
            result = train_model(
                data,
                RECIPES[args.recipe],
                seed=args.seed,
                epochs=args.epochs,
                log=lambda line: print(line, flush=True),
            )
        # model.keras and train_metrics.json switch together (edge_app.publish).
        with staged_run(out, "train") as staging:
            result.model.save(staging / "model.keras")
            atomic_write_json(staging / "train_metrics.json", result.metrics)
            commit_run(out, "train", staging)
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    print("\n".join(_summary(result.metrics, out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
