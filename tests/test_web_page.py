"""The live page in a real chromium: the number shown is the reading of the frame shown, and the
video and the number fit a phone (upright, sideways) and a desktop screen without scrolling."""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_app.options import ReaderOptions
from edge_app.reader import read_digits
from edge_app.runtime import Classifier
from edge_app.sources import open_source
from tests.edge_live import URL_PATTERN, App, Browser, wait_until
from tests.tiny_tflite import tiny_classifier_tflite

TEXTS = ("1", "23", "456", "7890", "12", "345")  # one per picture: readings that differ
VIDEO_FPS = 8.0  # played in real time: each picture is on screen for HOLD / VIDEO_FPS s
HOLD = 2
SAMPLES = 12
WAIT_S = 20.0
# Kept after the run for a person to look at (pytest's tmp_path is pruned by later runs).
SCREENSHOTS = (
    Path(os.environ.get("MNIST_EDGE_SCREENSHOTS", tempfile.gettempdir())) / "mnist-edge-web"
)
SCREENS = {"phone-upright": (412, 915, True), "phone-sideways": (915, 412, True),
           "desktop": (1366, 768, False)}  # fmt: skip


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A video of distinct pictures, a random-weight model, and what that model reads on each."""
    from synthetic import SceneOptions, make_frame
    from synthetic.video import write_frames

    folder = tmp_path_factory.mktemp("page")
    model = folder / "tiny.tflite"
    model.write_bytes(tiny_classifier_tflite(seed=3))
    scene = SceneOptions(styles=("font",), no_digit_fraction=0.0, invert_fraction=0.0)
    pictures = [make_frame(t, np.random.default_rng(i), scene)[0] for i, t in enumerate(TEXTS)]
    video = folder / "clip.avi"
    write_frames(video, pictures, fps=VIDEO_FPS, hold=HOLD)
    classifier = Classifier(str(model))
    source = open_source(str(video))
    try:
        decoded = [f.image for f in source][::HOLD]  # what the app decodes, one per picture
    finally:
        source.close()
    options = ReaderOptions(min_confidence=0.0)  # as the app runs: digits, not a row of "?"
    readings = [read_digits(image, classifier, options).text for image in decoded]
    assert len(set(readings)) >= 3, f"the pictures must read differently: {readings}"
    return video, model, decoded, readings


@pytest.fixture(scope="module")
def page_url(clip):
    video, model, _, _ = clip
    app = App(
        "--source",
        str(video),
        "--loop",
        "--model",
        str(model),
        "--no-verify",
        "--min-confidence",
        "0",
        "--serve",
        "127.0.0.1:0",
    )  # fmt: skip  (--serve: real time by default)
    url = app.wait_for(URL_PATTERN).group(1)
    yield url
    app.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory, page_url):
    chromium = Browser(tmp_path_factory.mktemp("chromium"))
    chromium.open(page_url)
    yield chromium
    chromium.close()


SHOWN_JS = """(() => {
  const canvas = document.getElementById("video");
  if (!canvas || !canvas.dataset.seq) return null;
  return {seq: Number(canvas.dataset.seq), reading: document.getElementById("reading").textContent,
          png: canvas.toDataURL("image/png")};
})()"""


def which_picture(png_data_url: str, pictures: list[np.ndarray]) -> int:
    """Index of the source picture the canvas shows (the annotations change only a few pixels)."""
    data = base64.b64decode(png_data_url.split(",", 1)[1])
    shown = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert shown.shape == pictures[0].shape
    distances = [float(np.abs(shown.astype(int) - p.astype(int)).mean()) for p in pictures]
    best, second = sorted(distances)[:2]
    assert best < 0.5 * second, f"the shown frame is like no picture in particular: {distances}"
    return int(np.argmin(distances))


def test_the_number_shown_is_the_reading_of_the_frame_shown(browser, clip):
    _, _, pictures, readings = clip
    wait_until(lambda: browser.evaluate(SHOWN_JS), "the page to draw a frame")
    seen = []
    for _ in range(SAMPLES):
        shown = browser.evaluate(SHOWN_JS)  # one JS task: the picture and the number together
        picture = which_picture(shown["png"], pictures)
        expected = readings[picture] or "\u2013"
        assert shown["reading"] == expected, (shown["seq"], picture, readings)
        seen.append((shown["seq"], picture))
        time.sleep(0.13)  # not a multiple of the frame time: samples land anywhere in a frame
    assert len({picture for _, picture in seen}) >= 3, f"the page did not play the video: {seen}"


def test_video_is_played_in_real_time_and_frames_carry_their_sequence_number(page_url):
    request = urllib.request.urlopen(page_url + "stream.mjpg", timeout=WAIT_S)
    try:
        seqs = []
        started = time.monotonic()
        while len(seqs) < 6:
            line = request.fp.readline()
            if line.lower().startswith(b"x-frame-seq:"):
                seqs.append(int(line.split(b":")[1]))
        elapsed_s = time.monotonic() - started
    finally:
        request.close()
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # Flat out, the app reads this clip at well over 100 fps: in real time, 5 frames take >= 0.5 s.
    assert elapsed_s >= 0.8 * (len(seqs) - 1) / VIDEO_FPS
    health = json.loads(urllib.request.urlopen(page_url + "healthz", timeout=WAIT_S).read())
    assert health["status"] == "ok"


BOXES_JS = """(() => {
  const box = (id) => { const r = document.getElementById(id).getBoundingClientRect();
                        return [r.left, r.top, r.right, r.bottom]; };
  return {video: box("video"), reading: box("reading"), text: document.getElementById("reading").textContent,
          scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight]};
})()"""


@pytest.mark.parametrize("screen", list(SCREENS))
def test_video_and_number_fit_the_screen(browser, screen):
    width, height, mobile = SCREENS[screen]
    browser.call("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})  # fmt: skip
    try:
        wait_until(lambda: browser.evaluate(SHOWN_JS), "a frame on the page")
        time.sleep(0.3)  # a frame drawn at the new size
        boxes = browser.evaluate(BOXES_JS)
        shot = browser.call("Page.captureScreenshot", {"format": "png"})
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{width}x{height}.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")
    for name in ("video", "reading"):
        left, top, right, bottom = boxes[name]
        assert 0 <= left < right <= width and 0 <= top < bottom <= height, (screen, name, boxes)
    vl, vt, vr, vb = boxes["video"]
    assert vr - vl >= 0.4 * min(width, height * 4 / 3), (screen, "the video is too small", boxes)
    assert boxes["scroll"][1] <= height, (screen, "the page scrolls", boxes)
    assert boxes["text"] not in ("", "\u2026"), "no number shown"


def test_metrics_are_scraped_and_parse(page_url, clip):
    import hashlib

    from tests.test_web_roi_metrics import parse_prometheus

    _, model, _, _ = clip
    with urllib.request.urlopen(page_url + "metrics", timeout=WAIT_S) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        first = parse_prometheus(response.read().decode())
    assert first["mnist_edge_frames_total"][""] > 0
    assert 0 <= first["mnist_edge_last_frame_age_seconds"][""] < WAIT_S
    assert first["mnist_edge_source_reconnects_total"][""] == 0  # a file never reconnects
    (labels,) = first["mnist_edge_model_info"]
    assert f'sha256="{hashlib.sha256(model.read_bytes()).hexdigest()}"' in labels
    later = wait_until(
        lambda: (
            (m := parse_prometheus(urllib.request.urlopen(page_url + "metrics").read().decode()))[
                "mnist_edge_frames_total"
            ][""]
            > first["mnist_edge_frames_total"][""]
            and m
        ),
        "the counters to grow",
    )
    count = later["mnist_edge_stage_latency_seconds_count"]['{stage="total"}']
    assert count == later["mnist_edge_frames_total"][""]  # one latency sample per frame


def reading(url: str) -> dict:
    return json.loads(urllib.request.urlopen(url + "api/reading", timeout=WAIT_S).read())


def test_a_box_dragged_on_the_video_is_the_region_read_from_then_on(browser, page_url):
    wait_until(lambda: browser.evaluate(SHOWN_JS), "a frame on the page")
    left, top, right, bottom = browser.evaluate(BOXES_JS)["video"]
    scale = 640 / (right - left)
    start, end = (
        (left + 0.25 * (right - left), top + 0.2 * (bottom - top)),
        (
            left + 0.75 * (right - left),
            top + 0.9 * (bottom - top),
        ),
    )
    try:
        for kind, (x, y) in (("mousePressed", start), ("mouseMoved", end), ("mouseReleased", end)):
            browser.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                         "button": "left", "buttons": 1 if kind != "mouseReleased" else 0,
                         "clickCount": 1})  # fmt: skip
        expected = [round((start[0] - left) * scale), round((start[1] - top) * scale),
                    round((end[0] - start[0]) * scale), round((end[1] - start[1]) * scale)]  # fmt: skip
        roi = wait_until(lambda: reading(page_url)["roi"], "the region to be used")
        assert all(abs(a - b) <= 2 for a, b in zip(roi, expected, strict=True)), (roi, expected)
        x, y, w, h = roi
        for _ in range(5):  # every reading from then on has its digits inside the region
            r = reading(page_url)
            assert r["roi"] == roi
            for d in r["digits"]:
                bx, by, bw, bh = d["box"]
                assert x <= bx and y <= by and bx + bw <= x + w and by + bh <= y + h, (roi, d)
            time.sleep(0.1)
        shown = wait_until(
            lambda: (
                (s := browser.evaluate('document.getElementById("roi").textContent'))
                != "whole frame"
                and s
            ),
            "the page to show the region",
        )
        assert shown == f"{x},{y} {w}\u00d7{h}"
    finally:
        browser.evaluate('document.getElementById("clear").click()')
    wait_until(lambda: reading(page_url)["roi"] is None, "the clear button to clear it")
