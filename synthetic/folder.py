"""Write a labelled folder of synthetic frames (frame_NNNN.jpg, conditions.json, labels.json)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from edge_app.artifacts import atomic_write_bytes
from synthetic.glyphs import MnistDigits
from synthetic.labels import write_labels
from synthetic.scene import DEFAULT_SCENE, SceneOptions, draw_frame, random_text


def generate(
    out: str | os.PathLike,
    count: int,
    seed: int = 0,
    options: SceneOptions = DEFAULT_SCENE,
    mnist_dir: str | os.PathLike | None = None,
) -> dict[str, str]:
    """Write `count` frames as JPEG files plus their labels into `out`; return {file name: text}."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    mnist = MnistDigits(mnist_dir) if mnist_dir else None
    rng = np.random.default_rng(seed)
    labels, conditions = {}, {}
    for i in range(count):
        # The camera-quality JPEG is the file: re-encoding it would only add a second loss.
        frame = draw_frame(random_text(rng, options), rng, options, mnist)
        name = f"frame_{i:04d}.jpg"
        atomic_write_bytes(folder / name, frame.jpeg.tobytes())
        labels[name] = frame.text
        conditions[name] = list(frame.conditions)
    write_labels(folder, labels, conditions)
    return labels
