"""`python -m benchmarks.same_readings`: check that two versions of edge_app read frames identically.

A speed-up of the reader must not change a single reading. This runs the reader of an old git
revision and of the working tree on the same frames, each in its own interpreter (the two
`edge_app` packages cannot share one), and compares every Reading's text, digit values,
confidences and boxes, and every 28x28 crop the classifier saw, bit for bit.

    python -m benchmarks.same_readings --old main --frames frames/ \
        ../shared/real-dev/usps-train/frames ../shared/real-dev/phone-dev/frames

The benchmark's own camera frames (benchmarks.frames.camera_frames) are always included. After a
merge, pass the revision before it as --old. Exit code 1 when any frame reads differently.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from edge_app.errors import UserError, cli_main

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = Path("artifacts/model_int8.tflite")
CAMERA_FRAMES = 40  # the distinct frames benchmarks/latency.py times end to end


def _frames(folders: list[Path]) -> dict[str, np.ndarray]:
    """Return the frames to read, by name: every image in `folders` and the benchmark's frames."""
    from benchmarks.frames import camera_frames
    from edge_app.sources import IMAGE_EXTENSIONS
    from edge_app.sources.image_io import ImageError, read_image

    frames = {f"camera/{i}": f for i, f in enumerate(camera_frames(CAMERA_FRAMES, 0)[0])}
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in IMAGE_EXTENSIONS:
                try:
                    frames[str(path)] = read_image(path)
                except ImageError:
                    continue  # what the app would skip too
    return frames


def _read_all(tree: Path, frames_file: Path, model: Path, out: Path) -> None:
    """In a child interpreter: read every frame with the edge_app of `tree`, pickle the results."""
    # This module's own error handling imported the working tree's edge_app: forget it.
    for name in [m for m in sys.modules if m == "edge_app" or m.startswith("edge_app.")]:
        del sys.modules[name]
    sys.path.insert(0, str(tree))
    from edge_app.reader import read_digits
    from edge_app.runtime import Classifier

    assert Path(sys.modules["edge_app"].__file__).is_relative_to(tree), "wrong edge_app imported"
    classifier = Classifier(model, runtime="litert", num_threads=1)
    frames = pickle.loads(frames_file.read_bytes())
    results = {}
    for name, frame in frames.items():
        reading = read_digits(frame, classifier)
        results[name] = (
            reading.text,
            [(d.value, d.confidence, tuple(int(v) for v in d.box)) for d in reading.digits],
            [np.asarray(c).tobytes() + str(np.asarray(c).dtype).encode() for c in reading.crops],
        )
    out.write_bytes(pickle.dumps(results))


def _export(ref: str, into: Path) -> Path:
    """Write the edge_app package of git revision `ref` under `into`; return the tree's root."""
    archive = into / "old.tar"
    with archive.open("wb") as f:
        done = subprocess.run(
            ["git", "archive", ref, "edge_app"], cwd=ROOT, stdout=f, stderr=subprocess.DEVNULL
        )
    if done.returncode != 0:
        raise UserError(f"--old {ref}: not a git revision of this repository; try --old main")
    with tarfile.open(archive) as tar:
        tar.extractall(into / "old", filter="data")
    return into / "old"


def _run(tree: Path, frames_file: Path, model: Path, out: Path) -> dict:
    argv = [sys.executable, "-m", "benchmarks.same_readings", "--child", str(tree)]
    argv += ["--frames-file", str(frames_file), "--model", str(model), "--out", str(out)]
    subprocess.run(argv, cwd=ROOT, check=True)
    return pickle.loads(out.read_bytes())


def compare(old: dict, new: dict) -> list[str]:
    """Return one line per frame whose reading differs between `old` and `new` (empty: identical)."""
    diffs = []
    for name in old:
        (t0, d0, c0), (t1, d1, c1) = old[name], new[name]
        if t0 != t1:
            diffs.append(f"{name}: text {t0!r} -> {t1!r}")
        elif d0 != d1:
            diffs.append(f"{name}: digits {d0} -> {d1}")
        elif c0 != c1:
            diffs.append(f"{name}: crops differ")
    return diffs


@cli_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Read the same frames with an old revision's edge_app and the working tree's; "
        "report every difference.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--old", default="main", help="git revision to compare against")
    parser.add_argument("--frames", type=Path, nargs="*", default=[], help="folders of frames")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="TFLite model")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--frames-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _read_all(args.child, args.frames_file, args.model, args.out)
        return 0
    if not args.model.is_file():
        raise UserError(
            f"--model {args.model}: no such file; run python -m convert, or pass --model"
        )
    for folder in args.frames:
        if not folder.is_dir():
            raise UserError(f"--frames {folder}: not a folder of images")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        frames = _frames(args.frames)
        frames_file = tmp / "frames.pkl"
        frames_file.write_bytes(pickle.dumps(frames))
        old = _run(_export(args.old, tmp), frames_file, args.model, tmp / "old.pkl")
        new = _run(ROOT, frames_file, args.model, tmp / "new.pkl")
    diffs = compare(old, new)
    print(*diffs[:50], sep="\n")
    digits = sum(len(d) for _, d, _ in old.values())
    verdict = "identical" if not diffs else f"{len(diffs)} differ"
    print(f"{len(frames)} frames, {digits} digits ({args.old} vs working tree): {verdict}")
    return 0 if not diffs else 1


if __name__ == "__main__":
    sys.exit(main())
