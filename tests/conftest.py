"""Shared fixtures: the MNIST folder from $MNIST_DIR, loaded once, and paths resolved from this file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    folder = os.environ.get("MNIST_DIR")
    if not folder:
        if os.environ.get("CI"):
            pytest.fail("MNIST_DIR is not set in CI; .ci/run must export it")
        pytest.skip("set MNIST_DIR to the folder with the four MNIST IDX files")
    return Path(folder).resolve()


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    from train.data import load_idx_folder

    return load_idx_folder(mnist_dir)


def run_module(
    module: str, *args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 600
):
    """Run `python -m module args` (or a script path) in a subprocess and return the CompletedProcess."""
    target = ["-m", module] if not module.endswith(".py") else [str(ROOT / module)]
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, *target, *args],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
