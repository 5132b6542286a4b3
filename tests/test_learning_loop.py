"""The whole learning loop with the real command lines: collect, label over HTTP, fine-tune, gate, swap."""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.request

import cv2
import numpy as np
import pytest

from edge_app.manifest import MANIFEST_NAME
from edge_app.reader import read_digits
from edge_app.runtime import Classifier
from synthetic.writers import WRITERS, writer_frame
from tests.conftest import run_module
from tests.edge_live import App, free_port

pytestmark = pytest.mark.slow  # trains and converts: about two minutes on two cores

WRITER = "continental"  # flagged 1s, closed 4s: the MNIST model reads many of them wrong
TRAIN_FRAMES = 24
TEST_FRAMES = 16
SWAP_TIMEOUT_S = 120.0


def _frames(folder, count: int, seed: int) -> dict[str, str]:
    """Write `count` frames of 3-digit numbers in the writer's hand; return {file name: number}."""
    folder.mkdir()
    rng = np.random.default_rng(seed)
    truth = {}
    for i in range(count):
        text = "".join(str(d) for d in rng.choice([1, 4, 7, 9, 2, 5], 3))
        name = f"frame_{i:03d}.png"
        cv2.imwrite(str(folder / name), writer_frame(text, WRITERS[WRITER], rng))
        truth[name] = text
    return truth


def _accuracy(model_bytes: bytes, folder, truth: dict[str, str]) -> float:
    classifier = Classifier("m", model_bytes=model_bytes)
    hits = total = 0
    for name, text in truth.items():
        read = read_digits(cv2.imread(str(folder / name)), classifier).digits
        got = [d.value for d in read]
        total += len(text)
        hits += sum(int(g == int(t)) for g, t in zip(got, text, strict=False)) * (
            len(got) == len(text)
        )
    return hits / total


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def _post(url: str, body: dict) -> int:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_users_digits_are_learned_gated_and_swapped_into_a_running_reader(
    trained_artifacts, mnist_dir, tmp_path
):
    pc = tmp_path / "pc"  # the PC's artifacts: the base model, fine-tuned and converted here
    shutil.copytree(trained_artifacts, pc)
    device = tmp_path / "device"  # what the running reader reads: only the app's two files
    device.mkdir()
    for name in ("model_int8.tflite", MANIFEST_NAME):
        shutil.copy(pc / name, device / name)
    train_truth = _frames(tmp_path / "mine", TRAIN_FRAMES, seed=1)
    test_truth = _frames(tmp_path / "later", TEST_FRAMES, seed=2)
    base_int8 = (pc / "model_int8.tflite").read_bytes()
    before = _accuracy(base_int8, tmp_path / "later", test_truth)
    assert before < 0.9, f"the base model already reads this hand ({before:.0%}): no test"

    # 1-2. Collect unsure frames on the device and label them through the web page's endpoint.
    collect = tmp_path / "collect"
    app = App(
        "--source", str(tmp_path / "mine"), "--loop", "--model", str(device / "model_int8.tflite"),
        "--collect", str(collect), "--min-confidence", "0.999", "--serve", f"127.0.0.1:{free_port()}",
    )  # fmt: skip
    try:
        url = app.wait_for(re.compile(r"live view at (http://\S+)")).group(1)
        deadline = time.monotonic() + SWAP_TIMEOUT_S
        while time.monotonic() < deadline:
            listed = _get(f"{url}api/unlabelled")
            if listed["total"] >= TRAIN_FRAMES // 2:
                break
            time.sleep(0.5)
        labelled = 0
        for entry in listed["entries"]:
            text = train_truth[entry["source"].rsplit("/", 1)[-1]]
            if len(entry["crops"]) == len(text):
                assert _post(f"{url}api/label", {"id": entry["id"], "text": text}) == 200
                labelled += 1
        assert labelled >= TRAIN_FRAMES // 3
    finally:
        app.stop()
    assert len(list((collect / "labelled").rglob("*.png"))) == 3 * labelled

    # 3. Fine-tune on the PC, 4. convert: gated on MNIST and on the held-out labelled digits.
    env = {"MNIST_DIR": str(mnist_dir)}
    tuned = run_module(
        "train", "--fine-tune", str(pc / "model.keras"), "--extra-data", str(collect / "labelled"),
        "--out", str(pc), "--epochs", "3", env=env,
    )  # fmt: skip
    assert tuned.returncode == 0, tuned.stderr[-3000:]
    metrics = json.loads((pc / "train_metrics.json").read_text())["fine_tune"]
    converted = run_module(
        "convert",
        "--model",
        str(pc / "model.keras"),
        "--out",
        str(pc),
        "--variants",
        "int8",
        env=env,
    )
    assert converted.returncode == 0, converted.stdout[-2000:] + converted.stderr[-3000:]
    report = json.loads((pc / "convert_report.json").read_text())
    user = report["user_digits"]
    assert (
        user["new_user_accuracy"] > user["previous_user_accuracy"]
        or user["new_user_accuracy"] == 1.0
    )
    assert user["previous_mnist_accuracy"] - user["new_mnist_accuracy"] <= 0.005
    assert metrics["after"]["test_accuracy"] >= metrics["before"]["test_accuracy"] - 0.005

    # 5. Copy to the device while a reader runs there: it swaps between two frames.
    new_int8 = (pc / "model_int8.tflite").read_bytes()
    after = _accuracy(new_int8, tmp_path / "later", test_truth)
    assert after > before + 0.1, (before, after)
    app = App("--source", str(tmp_path / "later"), "--loop", "--model",
              str(device / "model_int8.tflite"), "--serve", f"127.0.0.1:{free_port()}")  # fmt: skip
    try:
        url = app.wait_for(re.compile(r"live view at (http://\S+)")).group(1)
        deadline = time.monotonic() + SWAP_TIMEOUT_S
        while "model" not in (reading := _get_reading(url)) and time.monotonic() < deadline:
            time.sleep(0.2)
        old_sha = reading["model"]["sha256"]
        shutil.copy(pc / "model_int8.tflite", device / "model_int8.tflite")  # scp, model first
        shutil.copy(pc / MANIFEST_NAME, device / MANIFEST_NAME)
        app.wait_for(re.compile(r"model swapped"), timeout=SWAP_TIMEOUT_S)
        while (reading := _get_reading(url))["model"]["sha256"] == old_sha:
            assert time.monotonic() < deadline + SWAP_TIMEOUT_S, (
                "the page never showed the new model"
            )
            time.sleep(0.2)
        seen: dict[str, str] = {}
        while len(seen) < TEST_FRAMES // 2 and time.monotonic() < deadline + 2 * SWAP_TIMEOUT_S:
            reading = _get_reading(url)
            seen[reading["source"].rsplit("/", 1)[-1]] = reading["text"]
            time.sleep(0.05)
    finally:
        app.stop()
    right = sum(text == test_truth[name] for name, text in seen.items())
    assert right / len(seen) >= after - 0.25, (seen, after)


def _get_reading(url: str) -> dict:
    try:
        return _get(f"{url}api/reading")
    except OSError:
        return {}
