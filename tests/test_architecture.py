"""Dependencies point one way: edge_app (what a Raspberry Pi installs) imports neither train, convert nor TensorFlow."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import edge_app
from tests.conftest import ROOT

FORBIDDEN = ("train", "convert", "tensorflow", "keras", "benchmarks", "synthetic")
DEVELOPER_TOOLS = ("synthetic", "evaluate", "mnist_idx")


def _imported_top_level_packages(modules: list[str]) -> set[str]:
    """Import `modules` in a fresh interpreter; return the top-level packages that ended up loaded."""
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.strip().split(","))


def _edge_app_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(edge_app.__path__, "edge_app.")]


def test_every_edge_app_module_imports_without_train_convert_or_tensorflow():
    modules = _edge_app_modules()
    assert "edge_app.runtime" in modules and "edge_app.sinks.web" in modules
    bad = sorted(_imported_top_level_packages(modules) & set(FORBIDDEN))
    assert bad == [], f"edge_app pulled in: {','.join(bad)}"


def test_edge_app_holds_no_developer_tools():
    names = {m.rsplit(".", 1)[-1] for m in _edge_app_modules()}
    assert names.isdisjoint(DEVELOPER_TOOLS), sorted(names & set(DEVELOPER_TOOLS))


def test_synthetic_frames_need_no_tensorflow():
    modules = ["synthetic", "synthetic.__main__", "train.mnist_idx"]
    loaded = _imported_top_level_packages(modules)
    assert "synthetic" in loaded
    assert not loaded & {"tensorflow", "keras"}, sorted(loaded & {"tensorflow", "keras"})
