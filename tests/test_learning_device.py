"""Labelling over HTTP, the model swap in a running reader, and the user-digit gate's verdicts."""

from __future__ import annotations

import json
import logging
import shutil
import urllib.error
import urllib.request

import numpy as np
import pytest

from convert.user_digits import UserDigitsCheck, user_gate_reasons
from edge_app.artifacts import sha256_bytes
from edge_app.digit_folder import DigitFolder
from edge_app.manifest import MANIFEST_NAME
from edge_app.metrics import Metrics
from edge_app.reader import Digit, Reading
from edge_app.reload import ModelWatcher
from edge_app.result import FrameResult
from edge_app.runtime import Classifier
from edge_app.sinks.web import WebSink


def _post(url: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _result(n_digits: int) -> FrameResult:
    crops = tuple(np.full((28, 28), (i + 1) / 10, np.float32) for i in range(n_digits))
    digits = tuple(Digit(None, 0.4, (0, 0, 5, 5)) for _ in crops)
    reading = Reading(text="?" * n_digits, digits=digits, crops=crops)
    return FrameResult(frame=3, source="meter.jpg", reading=reading, text=reading.text, fps=2.0)


def test_post_label_saves_the_current_frame_or_says_why_not(tmp_path):
    web = WebSink("127.0.0.1", 0, label_folder=tmp_path)
    bare = WebSink("127.0.0.1", 0)
    try:
        url = f"{web.url}api/label"
        status, body = _post(url, {"text": "147"})
        assert status == 400 and "no frame" in body["error"]
        web.handle(_result(3), np.zeros((10, 10, 3), np.uint8))
        status, body = _post(url, {"text": "14"})
        assert status == 400 and "3" in body["error"] and "2 digit" in body["error"]
        status, body = _post(url, {"number": "147"})
        assert status == 400
        status, body = _post(url, {"text": "147"})
        assert status == 200, body
        folder = DigitFolder(tmp_path)
        assert sorted(d for _, d in folder.labelled_files()) == [1, 4, 7]
        assert all((tmp_path / p).is_file() for p in body["saved"])
        status, body = _post(f"{bare.url}api/label", {"text": "1"})
        assert status == 400 and "--collect" in body["error"]
        # An unlabelled entry, listed with its crops, labelled by id.
        entry = folder.add_unlabelled(list(_result(2).reading.crops), None, "??", "a.jpg")
        with urllib.request.urlopen(f"{web.url}api/unlabelled", timeout=30) as response:
            listed = json.loads(response.read())
        assert [e["id"] for e in listed["entries"]] == [entry.id]
        assert listed["entries"][0]["crops"][0].startswith("data:image/png;base64,")
        status, body = _post(url, {"id": entry.id, "text": "90"})
        assert status == 200 and folder.entries() == []
        assert sorted(d for _, d in folder.labelled_files()) == [0, 1, 4, 7, 9]
    finally:
        web.close()
        bare.close()


def _publish(folder, model_bytes: bytes, manifest_sha: str | None = None) -> None:
    """Copy a model in place the way scp does, then rewrite its manifest entry as convert would.

    Every model published here is the dynamic-range variant, so the entry takes its tensor specs.
    """
    (folder / "model_int8.tflite").write_bytes(model_bytes)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    entry, dynamic = manifest["models"]["int8"], manifest["models"]["dynamic"]
    entry["sha256"] = manifest_sha or sha256_bytes(model_bytes)
    entry["input"], entry["output"] = dynamic["input"], dynamic["output"]
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))


def test_a_running_reader_swaps_in_a_verified_model_and_keeps_the_old_one_otherwise(
    tiny_artifacts, tmp_path, caplog
):
    device = tmp_path / "device"
    device.mkdir()
    for name in ("model_int8.tflite", MANIFEST_NAME):
        shutil.copy(tiny_artifacts / name, device / name)
    watcher = ModelWatcher(device / "model_int8.tflite", poll_s=0.0)
    metrics = Metrics(watcher.describe, reloads=lambda: watcher.reloads)
    old = watcher.classifier
    started = (tiny_artifacts / "model_int8.tflite").read_bytes()
    assert f'sha256="{sha256_bytes(started)}"' in metrics.render()
    assert watcher.poll() is old  # nothing changed
    other = (tiny_artifacts / "model_dynamic.tflite").read_bytes()
    caplog.set_level(logging.INFO)

    _publish(device, other, manifest_sha="0" * 64)  # the manifest does not match: refused
    watcher.poll()  # sees the change, waits for the copy to settle
    assert watcher.poll() is old and watcher.reloads == 0
    assert "not used" in caplog.text

    _publish(device, b"not a model at all", None)  # matches its manifest, but is broken
    watcher.poll()
    assert watcher.poll() is old and watcher.reloads == 0

    _publish(device, other)
    watcher.poll()
    new = watcher.poll()
    assert new is not old and watcher.reloads == 1
    assert watcher.info.sha256 == sha256_bytes(other)
    assert "model swapped" in caplog.text
    scraped = metrics.render()  # what runs now, not what ran at start
    assert f'sha256="{sha256_bytes(other)}"' in scraped and sha256_bytes(started) not in scraped
    assert "mnist_edge_model_reloads_total 1" in scraped
    images = np.random.default_rng(0).uniform(0, 1, (8, 28, 28)).astype(np.float32)
    reference = Classifier("dynamic", model_bytes=other).predict(images)
    np.testing.assert_allclose(new.predict(images), reference, atol=1e-6)


def test_no_reload_keeps_the_model_loaded_at_start(tiny_artifacts, tmp_path):
    device = tmp_path / "device"
    device.mkdir()
    for name in ("model_int8.tflite", MANIFEST_NAME):
        shutil.copy(tiny_artifacts / name, device / name)
    watcher = ModelWatcher(device / "model_int8.tflite", reload=False, poll_s=0.0)
    old = watcher.classifier
    _publish(device, (tiny_artifacts / "model_dynamic.tflite").read_bytes())
    assert watcher.poll() is old and watcher.poll() is old


def _check(new_user: float, old_user: float, new_mnist=0.99, old_mnist=0.99) -> UserDigitsCheck:
    return UserDigitsCheck("dir", 10, new_user, new_mnist, old_user, old_mnist)


@pytest.mark.parametrize(
    ("check", "refused"),
    [
        (_check(0.9, 0.6), False),
        (_check(0.6, 0.9), True),  # worse on the user's digits
        (_check(0.8, 0.8), True),  # not better: not worth a swap
        (_check(1.0, 1.0), False),  # both perfect: nothing left to gain
        (_check(0.9, 0.6, new_mnist=0.98, old_mnist=0.99), True),  # MNIST fell 1 pp > 0.5
        (_check(0.9, 0.6, new_mnist=0.987, old_mnist=0.99), False),  # 0.3 pp: within the gate
        (UserDigitsCheck("dir", 10, 0.5, 0.9), False),  # nothing deployed to compare with
    ],
)
def test_user_digit_gate_refuses_a_model_not_better_on_the_users_digits(check, refused):
    reasons = user_gate_reasons(check, max_drop_pp=0.5)
    assert bool(reasons) is refused, reasons
