"""`python -m convert`: TFLite variants of artifacts/model.keras, evaluated and gated on accuracy."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from convert.gate import DEFAULT_MAX_DROP_PP, DEFAULT_MIN_AGREEMENT, GateOptions
from convert.pipeline import DEFAULT_MODEL, DEFAULT_OUT, ConvertOptions, ConvertResult
from convert.report import CONFUSION_PNG, REPORT_MD
from convert.variants import VARIANTS
from edge_app.cli_args import fraction, non_negative_float
from edge_app.errors import UserError, cli_main
from edge_app.manifest import MANIFEST_NAME
from edge_app.publish import sigterm_as_interrupt
from edge_app.runtime import RUNTIME_CHOICES

EXIT_GATE_FAILED = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one `error:` line (exit 2) instead of usage + error."""

    def error(self, message: str):
        raise UserError(f"{message} (see `python -m convert --help`)")


def _variant_list(text: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in text.split(",") if v.strip())
    unknown = [v for v in names if v not in VARIANTS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a comma-separated list of {','.join(VARIANTS)}"
        )
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"{text!r} lists a variant twice")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m convert",
        description=(
            "Convert a trained Keras model to TFLite (float32, float16, dynamic, int8), evaluate "
            "each on the full MNIST test set with the deployed runtime, and gate on accuracy. "
            "Exit 0: gate passed, files in --out; 1: gate failed, files in --out/rejected; "
            "2: bad input."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="trained Keras model")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--max-drop",
        type=non_negative_float,
        default=DEFAULT_MAX_DROP_PP,
        metavar="PP",
        help="fail when a variant's accuracy is more than PP percentage points below float Keras "
        "(or below --baseline)",
    )
    parser.add_argument(
        "--min-agreement",
        type=fraction,
        default=DEFAULT_MIN_AGREEMENT,
        metavar="F",
        help="fail when a variant's top-1 agrees with float Keras on less than this fraction",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        metavar="FILE",
        help="a previous convert_report.json; fail when accuracy fell more than --max-drop below it",
    )
    parser.add_argument(
        "--variants",
        type=_variant_list,
        default=",".join(VARIANTS),
        metavar="LIST",
        help="comma-separated variants to build",
    )
    parser.add_argument(
        "--c-array",
        action="store_true",
        help="also write model_int8.cc/.h for TFLite Micro (arena size if tflite-micro is installed)",
    )
    parser.add_argument(
        "--onnx",
        action="store_true",
        help="also write and evaluate model_float32.onnx and model_int8.onnx (`onnx` extra)",
    )
    parser.add_argument(
        "--runtime",
        choices=RUNTIME_CHOICES,
        default="auto",
        help="TFLite runtime to evaluate with (auto: LiteRT, else tflite-runtime, else tf.lite)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder with the four MNIST IDX files; default $MNIST_DIR, else tensorflow_datasets",
    )
    parser.add_argument(
        "--extra-data",
        type=Path,
        default=None,
        metavar="DIR",
        help="your labelled digits (DIR/labelled): int8 must beat the model in --out on the "
        "held-out ones; default: the folder a fine-tuned model's train_metrics.json names",
    )
    return parser


@cli_main
def main(argv: list[str] | None = None) -> int:
    sigterm_as_interrupt()  # a kill unwinds like Ctrl-C: staging removed, old files kept
    try:
        args = build_parser().parse_args(argv)
        options = ConvertOptions(
            model=args.model,
            out=args.out,
            variants=args.variants,
            gate=GateOptions(max_drop_pp=args.max_drop, min_agreement=args.min_agreement),
            baseline=args.baseline,
            c_array=args.c_array,
            onnx=args.onnx,
            data_dir=args.data_dir,
            runtime=args.runtime,
            extra_data=args.extra_data,
        )
        from convert.pipeline import run

        result = run(options, log=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        print("interrupted; --out holds only complete files", file=sys.stderr)
        return 130
    print("\n".join(_variant_lines(result)))
    if not result.gate.passed:
        print(
            f"gate FAILED: {'; '.join(result.gate.reasons)}; rejected models in {result.folder}, "
            f"see {result.folder / REPORT_MD}",
            file=sys.stderr,
        )
        return EXIT_GATE_FAILED
    print("\n".join(_summary(result)))
    return 0


def _variant_lines(result: ConvertResult) -> list[str]:
    float_accuracy = result.report["float_accuracy"]
    lines = [f"float Keras {100 * float_accuracy:.2f}%"]
    for name, v in result.report["variants"].items():
        drop_pp = 100 * (v["accuracy"] - float_accuracy)
        lines.append(
            f"  {name:8} {v['size_bytes'] / 1024:7.1f} KiB  {100 * v['accuracy']:.2f}% "
            f"({drop_pp:+.2f} pp)  {v['path']}"
        )
    if user := result.report.get("user_digits"):
        old = user["previous_user_accuracy"]
        deployed = "nothing deployed yet" if old is None else f"deployed int8 {100 * old:.2f}%"
        lines.append(
            f"your {user['held_out']} held-out digits: new int8 {100 * user['new_user_accuracy']:.2f}%, "
            f"{deployed}"
        )
    return lines


def _summary(result: ConvertResult) -> list[str]:
    folder = result.folder
    written = {path.name for path in result.files}
    named = [folder / name for name in (REPORT_MD, CONFUSION_PNG, MANIFEST_NAME) if name in written]
    app = "python -m edge_app --source 0"
    if folder != DEFAULT_OUT and "model_int8.tflite" in written:
        app += f" --model {folder / 'model_int8.tflite'}"
    return [
        f"gate passed; wrote {len(result.files)} files, open {', '.join(map(str, named))}",
        f"next: python benchmarks/latency.py (every variant and runtime side by side), "
        f"or {app} (webcam; --source also takes an image, folder or video)",
    ]


if __name__ == "__main__":
    sys.exit(main())
