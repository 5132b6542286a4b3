"""The machine a benchmark ran on: CPU, cores, OS, Python and the versions of the packages measured."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "numpy",
    "opencv-python-headless",
    "ai-edge-litert",
    "tflite-runtime",
    "tensorflow",
    "keras",
    "onnxruntime",
    "onnx",
)


def cpu_model() -> str:
    """Return the CPU model name (from /proc/cpuinfo on Linux), or what `platform` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            # x86 says "model name"; Raspberry Pi OS says "Model" (the board) and no CPU name.
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model") and value.strip():
                return value.strip()
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """Return {cpu, cores, os, python, packages: {name: version}} for the JSON and the README."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    try:
        # Other work on the machine shows in every number; record how busy it was at the start.
        load = round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        load = None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 1,
        "arch": platform.machine(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "load_average_1min": load,
    }


def describe(info: dict) -> str:
    """Return a one-line description of the machine for tables and the README."""
    text = f"{info['cpu']}, {info['cores']} cores ({info['arch']}), {info['os']}, Python {info['python']}"
    if info.get("load_average_1min") is not None:
        text += f", load average {info['load_average_1min']:.1f} at start"
    return text
