"""manifest.json, the list of models `convert` vouches for: its file name, its types, `read` and `write`.

convert writes it last, once every model it names is complete; the app checks a model's SHA-256
and tensor specs against it before reading digits; the benchmarks take the test accuracy from it.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_app.artifacts import atomic_write_json
from edge_app.errors import UserError
from edge_app.runtime import TensorSpec

MANIFEST_NAME = "manifest.json"
FORMAT = 1
# A manifest is a few KB; anything far larger is not one and must not be read into memory.
MAX_MANIFEST_BYTES = 1 << 20
_REWRITE = "re-run `python -m convert` to rewrite it"


class ManifestError(UserError):
    """The manifest is missing, unreadable or not one `convert` wrote."""


@dataclass(frozen=True)
class ModelEntry:
    """One model file that `convert` evaluated and published."""

    file: str
    sha256: str
    size_bytes: int
    input: TensorSpec
    output: TensorSpec
    accuracy: float

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "input": self.input.to_json(),
            "output": self.output.to_json(),
            "accuracy": self.accuracy,
        }


@dataclass(frozen=True)
class Manifest:
    """Models by variant name (float32, int8, ...)."""

    models: Mapping[str, ModelEntry]

    def entry_for(self, file_name: str) -> ModelEntry | None:
        """Return the entry that names `file_name`, or None if the manifest does not list it."""
        return next((m for m in self.models.values() if m.file == file_name), None)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "models": {k: m.to_json() for k, m in self.models.items()}}


def path_in(folder: str | os.PathLike) -> Path:
    """Return where the manifest of the models in `folder` lives."""
    return Path(folder) / MANIFEST_NAME


def write(path: str | os.PathLike, manifest: Manifest) -> Path:
    """Write `manifest` to `path` atomically and return the path."""
    return atomic_write_json(path, manifest.to_json())


def read(path: str | os.PathLike) -> Manifest:
    """Return the manifest at `path`; a missing, oversized or malformed one raises ManifestError."""
    path = Path(path)
    raw = _read_capped(path)
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as e:
        reason = "nested too deeply" if isinstance(e, RecursionError) else f"not JSON: {e}"
        raise ManifestError(f"{path} is not a manifest ({reason}); {_REWRITE}") from None
    try:
        return _parse(obj)
    except KeyError as e:
        raise ManifestError(f"{path} is not a manifest (no {e} field); {_REWRITE}") from None
    except (TypeError, ValueError) as e:
        raise ManifestError(f"{path} is not a manifest ({e}); {_REWRITE}") from None


def _read_capped(path: Path) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO named manifest.json must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ManifestError(f"{path} not found; run `python -m convert` to write it") from None
    except OSError as e:
        raise ManifestError(f"cannot read {path} ({e.strerror or e}); {_REWRITE}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ManifestError(f"{path} is not a regular file; {_REWRITE}")
    with os.fdopen(fd, "rb") as f:
        if info.st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(
                f"{path} is {info.st_size} bytes, over the {MAX_MANIFEST_BYTES} a manifest can be; {_REWRITE}"
            )
        try:
            raw = f.read(MAX_MANIFEST_BYTES + 1)
        except OSError as e:
            raise ManifestError(f"cannot read {path} ({e.strerror or e}); {_REWRITE}") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{path} grew past {MAX_MANIFEST_BYTES} bytes while read; {_REWRITE}")
    return raw


def _typed(obj: Mapping, key: str, kind: type | tuple[type, ...]) -> Any:
    value = obj[key]
    # bool is an int in Python, but true is never a size or a zero point.
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{key!r} is {type(value).__name__}, not {getattr(kind, '__name__', kind)}")
    return value


def _mapping(obj: Any, what: str) -> Mapping:
    if not isinstance(obj, dict):
        raise TypeError(f"{what} is {type(obj).__name__}, not an object")
    return obj


def _spec(obj: Any, what: str) -> TensorSpec:
    spec = _mapping(obj, what)
    shape = _typed(spec, "shape", list)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        raise TypeError(f"{what} shape {shape!r} is not a list of integers")
    return TensorSpec(
        dtype=_typed(spec, "dtype", str),
        shape=tuple(shape),
        scale=float(_typed(spec, "scale", (int, float))),
        zero_point=_typed(spec, "zero_point", int),
    )


def _entry(obj: Any, name: str) -> ModelEntry:
    entry = _mapping(obj, f"model {name!r}")
    return ModelEntry(
        file=_typed(entry, "file", str),
        sha256=_typed(entry, "sha256", str),
        size_bytes=_typed(entry, "size_bytes", int),
        input=_spec(entry["input"], f"model {name!r} input"),
        output=_spec(entry["output"], f"model {name!r} output"),
        accuracy=float(_typed(entry, "accuracy", (int, float))),
    )


def _parse(obj: Any) -> Manifest:
    top = _mapping(obj, "the top level")
    if top.get("format") != FORMAT:
        raise ValueError(f"format {top.get('format')!r}, this version reads format {FORMAT}")
    models = _mapping(top["models"], "'models'")
    return Manifest(models={str(k): _entry(v, str(k)) for k, v in models.items()})
