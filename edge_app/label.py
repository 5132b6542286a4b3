"""`python -m edge_app.label DIR`: label the digits --collect saved, in a terminal (no web page needed)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edge_app.digit_folder import DigitFolder, decode_png
from edge_app.errors import UserError, cli_main

SHADES = " .:-=+*#%@"  # dark to bright: the crops are white digits on black


def ascii_art(crops: list[np.ndarray]) -> str:
    """Return the crops side by side as text: a character per pixel column, a line per two rows.

    Terminal cells are about twice as tall as wide, so a 28x28 crop shows as 28 columns, 14 lines.
    """
    rows = []
    for y in range(0, 28, 2):
        parts = []
        for crop in crops:
            pair = crop[y : y + 2].astype(np.float32).mean(axis=0) / 255.0
            parts.append("".join(SHADES[min(len(SHADES) - 1, int(v * len(SHADES)))] for v in pair))
        rows.append(" | ".join(parts).rstrip())
    return "\n".join(rows)


def _from_json(path: Path) -> dict[str, str]:
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UserError(f"--from-json {path}: cannot read a JSON object ({e})") from e
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise UserError(f'--from-json {path}: expected {{"ENTRY_ID": "147", ...}}')
    return mapping


def label_interactively(folder: DigitFolder, ask: Callable[[str], str] = input) -> tuple[int, int]:
    """Show each entry and ask for its number; return (entries labelled, digits saved)."""
    entries = folder.entries()
    labelled = digits = 0
    for n, entry in enumerate(entries, 1):
        crops = [decode_png(p.read_bytes()) for p in entry.crops]
        print(
            f"\n[{n}/{len(entries)}] {entry.id}: read as {entry.read_as!r}, frame {entry.frame_jpeg}"
        )
        print(ascii_art(crops))
        while True:
            answer = ask(f"number ({len(crops)} digits; Enter skips, d deletes, q quits): ").strip()
            if answer in ("", "q"):
                break
            if answer == "d":
                folder.discard_entry(entry.id)
                break
            try:
                digits += len(folder.label_entry(entry.id, answer))
                labelled += 1
                break
            except UserError as e:
                print(f"  {e}")
        if answer == "q":
            break
    return labelled, digits


@cli_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m edge_app.label",
        description="Label the unsure frames `python -m edge_app --collect DIR` saved: each one's "
        "digits move to DIR/labelled/<digit>/ for `python -m train --fine-tune`.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("folder", type=Path, help="the --collect DIR")
    parser.add_argument(
        "--from-json",
        type=Path,
        default=None,
        metavar="FILE",
        help='label from a JSON object {"ENTRY_ID": "147", ...} instead of asking',
    )
    parser.add_argument("--list", action="store_true", help="print the unlabelled entries and stop")
    args = parser.parse_args(argv)
    try:
        if not (args.folder / "unlabelled").is_dir():
            raise UserError(
                f"{args.folder} has no unlabelled/ folder; pass the DIR given to --collect"
            )
        folder = DigitFolder(args.folder).create()
        if args.list:
            for entry in folder.entries():
                print(f"{entry.id}\t{entry.read_as}\t{entry.frame_jpeg}")
            return 0
        if args.from_json:
            mapping = _from_json(args.from_json)
            digits = sum(len(folder.label_entry(i, text)) for i, text in mapping.items())
            labelled = len(mapping)
        else:
            labelled, digits = label_interactively(folder)
    except (KeyboardInterrupt, EOFError):
        print("\nstopped; labels given so far are saved", file=sys.stderr)
        return 130
    left = len(folder.entries())
    print(
        f"labelled {labelled} frame(s), {digits} digit(s) in {folder.labelled}; {left} left to label"
    )
    print(f"next: python -m train --fine-tune artifacts/model.keras --extra-data {folder.labelled}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
