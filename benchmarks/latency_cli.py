"""Latency, throughput, memory and accuracy of every model variant on every runtime, in one run.

    python benchmarks/latency.py [--artifacts artifacts] [--threads 1,2] [--runtimes litert,opencv]
        [--accuracy] [--quick] [--table] [--json FILE] [--markdown FILE] [--plot FILE.png]

TFLite models run through edge_app.runtime and the end-to-end rows through edge_app.reader, so what
is measured is what the app deploys. Every number is also a ratio: against the same runtime's floor
(a one-op model with the same input), against float32, and against one-image Keras calls.
A plan line and progress go to stderr; stdout gets the summary (the full table with --table).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from benchmarks import plot, report
from benchmarks.cli import HelpFormatter, check_output_file, write_output
from benchmarks.discovery import MAKE_ARTIFACTS
from benchmarks.machine import describe, machine_info
from benchmarks.measure import FULL, QUICK, Benchmark, run
from benchmarks.rows import summary_lines
from benchmarks.runners import ALL_RUNTIMES, TFLITE_RUNTIMES
from edge_app.artifacts import atomic_write_json, atomic_write_text
from edge_app.cli_args import positive_int
from edge_app.errors import UserError, cli_main

COMMAND = "python benchmarks/latency.py"


def _positive_ints(text: str) -> tuple[int, ...]:
    """Parse "1,2,4" with the range check (and messages) every command line uses."""
    values = tuple(dict.fromkeys(positive_int(v.strip()) for v in text.split(",") if v.strip()))
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}")
    return values


def _runtime_list(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
    unknown = [n for n in names if n not in ALL_RUNTIMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown runtime(s) {', '.join(unknown) or text!r}; choose from {', '.join(ALL_RUNTIMES)}"
        )
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Latency (one image), throughput (batches), peak memory and accuracy of every "
        "model variant on every installed runtime, with floors, Keras baselines and end-to-end frames.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--artifacts",
        type=Path,
        default=Path("artifacts"),
        help=f"folder made by `{MAKE_ARTIFACTS}`",
    )
    cores = os.cpu_count() or 1
    parser.add_argument(
        "--threads",
        type=_positive_ints,
        default=None,
        help=f"comma-separated thread counts (default: 1,{cores}, the core count; 1 with --quick)",
    )
    parser.add_argument(
        "--runtimes",
        type=_runtime_list,
        default=",".join(ALL_RUNTIMES),
        help="comma-separated runtimes; those not installed are skipped with a note",
    )
    parser.add_argument(
        "--accuracy",
        action="store_true",
        help="measure accuracy on the MNIST test set on each runtime instead of reading the convert report",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="MNIST IDX folder for --accuracy (default: $MNIST_DIR)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few-second run for CI (no memory probes)"
    )
    parser.add_argument(
        "--table", action="store_true", help="also print the full table of every row on stdout"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="write results/end_to_end/machine here"
    )
    parser.add_argument(
        "--markdown", type=Path, default=None, help="write the README results section here"
    )
    parser.add_argument(
        "--plot", type=Path, default=None, help="write a PNG chart here (needs matplotlib)"
    )
    return parser


@cli_main
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # tf.lite is measured on purpose, beside LiteRT; its deprecation notice is not news here.
    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
    outputs = [(args.json, "--json"), (args.markdown, "--markdown"), (args.plot, "--plot")]
    for path, flag in outputs:
        check_output_file(path, flag)
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UserError("--plot needs matplotlib: pip install matplotlib") from None
    if not args.artifacts.is_dir():
        raise UserError(f"no artifacts folder {args.artifacts}/; make it with `{MAKE_ARTIFACTS}`")
    threads = args.threads or (
        (1,) if args.quick else tuple(dict.fromkeys((1, os.cpu_count() or 1)))
    )
    test_set = None
    if args.accuracy:
        from train.data import load_mnist

        mnist = load_mnist(args.data_dir)
        test_set = (mnist.x_test, mnist.y_test)
    written = [str(path) for path, _ in outputs if path is not None]
    where = (
        f"writes {', '.join(written)}"
        if written
        else "prints a summary (--json/--markdown to save)"
    )

    def progress(line: str) -> None:
        if line.startswith("plan:"):
            line = f"{line}; {where}"
        print(line, file=sys.stderr, flush=True)

    settings = QUICK if args.quick else FULL
    bench = run(args.artifacts, args.runtimes, threads, settings, test_set, progress)
    machine = machine_info()
    summary = summary_lines(bench.results, bench.end_to_end, tuple(TFLITE_RUNTIMES))
    print_report(bench, machine, summary, table=args.table)
    write_outputs(args, argv, bench, machine, summary)
    if written:
        print(f"wrote {', '.join(written)}")
    elif not args.table:
        print("next: --table for every row, --markdown FILE / --json FILE to keep them")
    return 0


def print_report(bench: Benchmark, machine: dict, summary: list[str], table: bool) -> None:
    """Print the machine, the tables (with `table`), the notes and the summary lines."""
    print(f"machine: {describe(machine)}")
    if table:
        print(report.text_table(report.RESULT_HEADER, report.result_cells(bench.results)))
        print(*report.legend(bench.results), sep="\n")
        if bench.end_to_end:
            print(
                f"\nend to end, 640x480 frames from {bench.frame_source} (preprocess + inference):"
            )
            print(report.text_table(report.E2E_HEADER, report.e2e_cells(bench.end_to_end)))
    for note in bench.notes:
        print(f"note: {note}")
    print(*("summary: " + s for s in summary), sep="\n")


def write_outputs(
    args: argparse.Namespace,
    argv: list[str] | None,
    bench: Benchmark,
    machine: dict,
    summary: list[str],
) -> None:
    """Write the --json, --markdown and --plot files asked for; a write failure is a UserError."""
    if args.json:
        data = {
            "results": [r.to_json() for r in bench.results],
            "end_to_end": [r.to_json() for r in bench.end_to_end],
            "machine": machine,
        }
        write_output(args.json, "--json", lambda path: atomic_write_json(path, data))
    if args.markdown:
        command = " ".join([COMMAND, *(argv if argv is not None else sys.argv[1:])])
        text = report.markdown(
            bench.results, bench.end_to_end, bench.notes, summary, describe(machine), command
        )
        write_output(args.markdown, "--markdown", lambda path: atomic_write_text(path, text))
    if args.plot:
        write_output(
            args.plot, "--plot", lambda path: plot.plot(path, bench.results, bench.end_to_end)
        )


if __name__ == "__main__":
    sys.exit(main())
