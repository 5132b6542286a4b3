"""The region set from the page (validated, handed to the loop, drawn) and the /metrics text, in process."""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.request

import numpy as np
import pytest

from edge_app.app import AppOptions, run
from edge_app.draw import ROI_BGR, annotate
from edge_app.metrics import LATENCY_BUCKETS_S, Metrics
from edge_app.reader import Digit, Reading
from edge_app.result import FrameResult
from edge_app.roi import RoiControl, parse_roi
from edge_app.sinks.web import WebSink
from edge_app.sources import Frame
from tests.test_edge_preprocess import spaced
from tests.test_edge_reader_app import FakeClassifier

FIRST_DIGIT_ROI = (30, 150, 130, 180)  # around the first digit of spaced(): x 60.., the next at 190
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def parse_prometheus(text: str) -> dict[str, dict[str, float]]:
    """{metric name: {labels text: value}} of a text exposition; every family has HELP and TYPE."""
    samples: dict[str, dict[str, float]] = {}
    typed: dict[str, str] = {}
    helped = set()
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helped.add(line.split()[2])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert kind in ("counter", "gauge", "histogram"), line
            typed[name] = kind
        else:
            match = SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name, labels, value = match.groups()
            family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in typed else name
            assert family in typed and family in helped, f"{name} has no TYPE/HELP"
            samples.setdefault(name, {})[labels or ""] = float(value)
    return samples


def result(index: int, text: str, values: list[int | None], total_ms: float) -> FrameResult:
    digits = tuple(Digit(v, 0.9 if v is not None else 0.2, (10, 10, 20, 30)) for v in values)
    latency = {"preprocess": total_ms * 0.8, "inference": total_ms * 0.2, "total": total_ms}
    return FrameResult(index, "test", Reading(text, digits, latency), text=text, fps=10.0)


# ---------------------------------------------------------------- the region


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"x": 600, "y": 0, "w": 100, "h": 10}, "not inside the 640x480 frame"),
        ({"x": -1, "y": 0, "w": 10, "h": 10}, "not inside"),
        ({"x": 0, "y": 0, "w": 0, "h": 10}, "not inside"),
        ({"x": 0.5, "y": 0, "w": 10, "h": 10}, "whole numbers"),
        ({"x": True, "y": 0, "w": 10, "h": 10}, "whole numbers"),
        ({"x": 0, "y": 0, "w": 10}, "expected"),
        ([0, 0, 10, 10], "expected"),
    ],
)
def test_parse_roi_rejects(value, message):
    with pytest.raises(ValueError, match=message):
        parse_roi(value, (640, 480))


def test_parse_roi_accepts_the_whole_frame_and_null():
    assert parse_roi({"x": 0, "y": 0, "w": 640, "h": 480}, (640, 480)) == (0, 0, 640, 480)
    assert parse_roi(None, (640, 480)) is None


class SetsRoiAt:
    """A sink that sets the region while frame `at` is handled, as the HTTP thread would."""

    def __init__(self, control: RoiControl, at: int, roi) -> None:
        self.control, self.at, self.roi, self.results = control, at, roi, []

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        self.results.append(result)
        if result.frame == self.at:
            self.control.set(self.roi)

    def close(self) -> None:
        pass


def test_the_loop_reads_with_a_new_region_from_the_next_frame():
    frames = (Frame(spaced("123"), "page", i) for i in range(5))
    control = RoiControl()
    sink = SetsRoiAt(control, at=1, roi=FIRST_DIGIT_ROI)
    assert run(frames, FakeClassifier(), AppOptions(), [sink], roi=control) == 5
    counts = [len(r.reading.digits) for r in sink.results]
    assert counts == [3, 3, 1, 1, 1]
    assert [r.roi for r in sink.results] == [None, None, *[FIRST_DIGIT_ROI] * 3]
    x, y, w, h = FIRST_DIGIT_ROI
    bx, by, bw, bh = sink.results[-1].reading.digits[0].box
    assert x <= bx and y <= by and bx + bw <= x + w and by + bh <= y + h  # frame pixels


def test_the_annotated_frame_draws_the_region():
    frame = np.full((480, 640, 3), 200, np.uint8)
    plain = result(0, "", [], 1.0)
    with_roi = FrameResult(0, "test", plain.reading, "", 10.0, roi=(100, 120, 200, 150))
    drawn = annotate(frame, with_roi)
    assert tuple(drawn[200, 100]) == ROI_BGR and tuple(drawn[120, 250]) == ROI_BGR  # left, top
    assert tuple(annotate(frame, plain)[200, 100]) == (200, 200, 200)


def post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_post_roi_is_validated_against_the_frame_and_reported():
    control, changes = RoiControl(), []
    sink = WebSink("127.0.0.1", 0, roi=control, on_roi_change=changes.append)
    url = sink.url + "api/roi"
    try:
        status, body = post(url, b'{"x": 1, "y": 2, "w": 30, "h": 40}')
        assert status == 400 and "no frame" in body["error"] and control.get() is None
        sink.handle(result(0, "7", [7], 1.0), np.zeros((480, 640, 3), np.uint8))
        assert post(url, b'{"x": 1, "y": 2, "w": 30, "h": 40}') == (200, {"roi": [1, 2, 30, 40]})
        assert control.get() == (1, 2, 30, 40) and changes == [(1, 2, 30, 40)]
        status, body = post(url, b'{"x": 630, "y": 2, "w": 30, "h": 40}')
        assert status == 400 and "640x480" in body["error"]
        assert post(url, b"{nope")[0] == 400 and post(url, b" " * 5000)[0] == 413
        assert control.get() == (1, 2, 30, 40) and len(changes) == 1  # refused: unchanged
        assert post(url, b"null") == (200, {"roi": None})
        assert control.get() is None and changes[-1] is None
        assert post(sink.url + "api/nope", b"null")[0] == 404
    finally:
        sink.close()


def test_a_sink_without_a_region_control_refuses_and_has_no_metrics():
    sink = WebSink("127.0.0.1", 0)
    try:
        sink.handle(result(0, "7", [7], 1.0), np.zeros((48, 64, 3), np.uint8))
        status, body = post(sink.url + "api/roi", b"null")
        assert status == 400 and "does not take a region" in body["error"]
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(sink.url + "metrics", timeout=20)
        assert e.value.code == 404
    finally:
        sink.close()


# ---------------------------------------------------------------- metrics


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_metrics_count_what_the_loop_did():
    clock, reconnects = Clock(), [0]
    metrics = Metrics(
        lambda: {"sha256": "ab" * 32, "file": 'od"d.tflite'}, lambda: reconnects[0], clock
    )
    before = parse_prometheus(metrics.render())
    assert before["mnist_edge_frames_total"][""] == 0
    metrics.handle(result(0, "42", [4, 2], 3.0), np.zeros((4, 4, 3), np.uint8))
    metrics.handle(result(1, "4?", [4, None], 30.0), np.zeros((4, 4, 3), np.uint8))
    metrics.handle(result(2, "", [], 0.2), np.zeros((4, 4, 3), np.uint8))
    clock.now += 2.5
    reconnects[0] = 2
    scraped = parse_prometheus(metrics.render())
    assert scraped["mnist_edge_frames_total"][""] == 3
    assert scraped["mnist_edge_readings_published_total"][""] == 1  # only "42" is a whole number
    assert scraped["mnist_edge_unsure_digits_total"][""] == 1
    assert scraped["mnist_edge_source_reconnects_total"][""] == 2
    assert scraped["mnist_edge_last_frame_age_seconds"][""] == pytest.approx(2.5)
    info = scraped["mnist_edge_model_info"]
    assert info == {'{file="od\\"d.tflite",sha256="' + "ab" * 32 + '"}': 1.0}
    buckets = scraped["mnist_edge_stage_latency_seconds_bucket"]
    for stage in ("preprocess", "inference", "total"):
        counts = [buckets[f'{{stage="{stage}",le="{b}"}}'] for b in LATENCY_BUCKETS_S]
        assert counts == sorted(counts)  # cumulative
        assert buckets[f'{{stage="{stage}",le="+Inf"}}'] == 3
        assert scraped["mnist_edge_stage_latency_seconds_count"][f'{{stage="{stage}"}}'] == 3
    total = {b: buckets[f'{{stage="total",le="{b}"}}'] for b in LATENCY_BUCKETS_S}
    assert total[0.001] == 1 and total[0.005] == 2 and total[0.025] == 2 and total[0.05] == 3
    assert math.isclose(
        scraped["mnist_edge_stage_latency_seconds_sum"]['{stage="total"}'], 0.0332, rel_tol=1e-6
    )
