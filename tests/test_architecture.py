"""Dependencies point one way: edge_app (what a Raspberry Pi installs) imports neither train, convert nor TensorFlow."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import edge_app
from tests.conftest import ROOT

FORBIDDEN = ("train", "convert", "tensorflow", "keras", "benchmarks")


def test_every_edge_app_module_imports_without_train_convert_or_tensorflow():
    modules = [f"edge_app.{m.name}" for m in pkgutil.iter_modules(edge_app.__path__)]
    assert "edge_app.runtime" in modules and "edge_app.synthetic" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r}))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"edge_app pulled in: {result.stdout.strip()}"
