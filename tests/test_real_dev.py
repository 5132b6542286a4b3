"""The reader on real handwriting (shared/real-dev beside the repo): a segmentation regression fails here.

The thresholds sit a few points below what the session's 5-epoch model scores, so the classifier's
own misses pass and a lost or invented digit on a handful of frames does not.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_app.model import load_classifier
from edge_app.reader import read_digits

REAL_DEV = Path(__file__).resolve().parents[2] / "shared" / "real-dev"
# Whole numbers read exactly with the 5-epoch model: measured usps-train 0.864, phone-dev 0.978
# (44 of 45); the reader before the photo rework read phone-dev 0.689.
MIN_EXACT = {"usps-train": 0.83, "phone-dev": 0.93}


def _real_set(name: str) -> Path:
    folder = REAL_DEV / name
    if not (folder / "truth.json").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{folder} is missing in CI: shared/ must lie beside the repo")
        pytest.skip(f"no real-dev set at {folder}")
    return folder


def score(folder: Path, classifier) -> tuple[float, int]:
    """Return (share of numbers read exactly, count of empty frames read as a number)."""
    truth = json.loads((folder / "truth.json").read_text())
    exact = numbers = false = 0
    for name, expected in sorted(truth.items()):
        # Decoded from bytes: OpenCV's imread fails on some file names.
        data = np.frombuffer((folder / "frames" / name).read_bytes(), np.uint8)
        text = read_digits(cv2.imdecode(data, cv2.IMREAD_COLOR), classifier).text
        if expected:
            numbers += 1
            exact += text == expected
        else:
            false += text != ""
    return exact / max(numbers, 1), false


@pytest.fixture(scope="module")
def classifier(trained_artifacts):
    return load_classifier(trained_artifacts / "model_int8.tflite", verify=False)


@pytest.mark.parametrize("name", sorted(MIN_EXACT))
def test_reader_holds_up_on_real_handwriting(name, classifier):
    exact, false = score(_real_set(name), classifier)
    assert exact >= MIN_EXACT[name], f"{name}: {exact:.3f} of numbers read exactly"
    assert false == 0, f"{name}: {false} empty frames read as a number"
