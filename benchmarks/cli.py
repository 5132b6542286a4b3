"""Command-line helpers shared by the benchmarks: help formatting, output-file checks, child processes."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from edge_app.errors import UserError

REPO_ROOT = Path(__file__).resolve().parent.parent


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults, except "None" for options whose help already says what happens without them."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None:
            return action.help or ""
        return super()._get_help_string(action)


def check_output_file(path: Path | None, flag: str) -> None:
    """Raise UserError unless `path` (given with `flag`) can be written once the measuring is done.

    Runs before minutes of measuring, so a typo costs seconds; it leaves nothing behind. Missing
    folders are fine (the atomic write creates them) as long as the nearest existing one is writable.
    """
    if path is None:
        return
    if path.is_dir():
        raise UserError(f"{flag} {path} is a folder; give a file name")
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"cannot write {flag} {path}: {existing} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as e:
        raise UserError(f"cannot write {flag} {path}: {e.strerror or e}") from e


def write_output(path: Path, flag: str, write: Callable[[Path], object]) -> None:
    """Call `write(path)`; an OSError (disk full, folder removed meanwhile) becomes a UserError."""
    try:
        write(path)
    except OSError as e:
        raise UserError(f"cannot write {flag} {path}: {e.strerror or e}") from e


def run_module(module: str, *args: str, timeout: float) -> subprocess.CompletedProcess:
    """Run `python -m module args` in a fresh process that imports this checkout's packages."""
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), path) if p)}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
