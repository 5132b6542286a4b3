"""edge_app.reader, app, draw and sources: batching, unsure digits, stability, JSON, faults and files."""

from __future__ import annotations

import io
import json
import logging

import cv2
import numpy as np
import pytest

from edge_app.app import AppOptions, StableText, run
from edge_app.draw import annotate
from edge_app.errors import UserError
from edge_app.options import ReaderOptions
from edge_app.reader import read_digits
from edge_app.result import FrameResult
from edge_app.sinks.json import JsonSink
from edge_app.sinks.save import SaveSink
from edge_app.sources import Frame, LiveSource, RetryPolicy, open_source
from tests.test_edge_preprocess import paper, spaced


class FakeClassifier:
    """Says `digit` with probability `confidence` for every image; counts predict calls."""

    def __init__(self, digit: int = 7, confidence: float = 0.9) -> None:
        self.digit, self.confidence, self.calls, self.batches = digit, confidence, 0, []

    def predict(self, images: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.batches.append(images.shape)
        probs = np.full((len(images), 10), (1 - self.confidence) / 9, np.float32)
        probs[:, self.digit] = self.confidence
        return probs


def test_one_batched_predict_per_frame():
    clf = FakeClassifier()
    reading = read_digits(spaced("1234"), clf)
    assert clf.calls == 1 and clf.batches == [(4, 28, 28)]
    assert reading.text == "7777" and len(reading.digits) == 4
    assert set(reading.latency_ms) == {"preprocess", "inference", "total"}


def test_unsure_digits_read_as_question_mark():
    reading = read_digits(
        spaced("12"), FakeClassifier(confidence=0.3), ReaderOptions(min_confidence=0.5)
    )
    assert reading.text == "??"
    assert all(d.value is None and d.confidence == pytest.approx(0.3) for d in reading.digits)


def test_no_digit_reads_empty_without_calling_the_model():
    clf = FakeClassifier()
    assert read_digits(paper(), clf).text == ""
    assert clf.calls == 0


def test_stable_text_needs_n_identical_readings_and_holds():
    s = StableText(3)
    assert [s.update(t) for t in ["42", "42", "42", "47", "42", "47", "47", "47"]] == [
        "",
        "",
        "42",
        "42",
        "42",
        "42",
        "42",
        "47",
    ]


def _result(text: str = "77") -> FrameResult:
    reading = read_digits(spaced("12"), FakeClassifier())
    return FrameResult(frame=3, source="img_0001.jpg", reading=reading, text=reading.text, fps=12.0)


def test_json_contract_keys_and_types():
    obj = _result().to_json()
    assert list(obj) == ["frame", "source", "text", "digits", "latency_ms"]
    assert obj["frame"] == 3 and obj["source"] == "img_0001.jpg" and obj["text"] == "77"
    for d in obj["digits"]:
        assert list(d) == ["digit", "confidence", "box"]
        assert isinstance(d["digit"], int) and 0 <= d["confidence"] <= 1 and len(d["box"]) == 4
    assert list(obj["latency_ms"]) == ["preprocess", "inference", "total"]
    json.dumps(obj)


def test_annotate_is_pure_and_returns_bgr():
    frame = cv2.cvtColor(spaced("12"), cv2.COLOR_BGR2GRAY)
    before = frame.copy()
    out = annotate(frame, _result())
    assert out.shape == (*frame.shape, 3) and out.dtype == np.uint8
    assert np.array_equal(frame, before)
    assert annotate(cv2.cvtColor(spaced("12"), cv2.COLOR_BGR2BGRA), _result()).shape[2] == 3


def test_run_survives_frames_of_every_kind_and_changing_size(tmp_path):
    kinds = [
        spaced("12"),
        np.zeros((1, 1, 3), np.uint8),
        np.full((2160, 3840, 3), 255, np.uint8),
        cv2.cvtColor(spaced("3"), cv2.COLOR_BGR2GRAY),
        cv2.cvtColor(spaced("3"), cv2.COLOR_BGR2BGRA),
        spaced("45")[:, ::2],
        np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8),
    ]
    frames = [Frame(image=im, name=f"f{i}", index=i) for i, im in enumerate(kinds)]
    out = io.StringIO()
    count = run(frames, FakeClassifier(), AppOptions(), [JsonSink(out), SaveSink(tmp_path)])
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(kinds) == len(lines) == len(list(tmp_path.glob("*.jpg")))
    assert [line["frame"] for line in lines] == list(range(len(kinds)))


def test_run_rejects_an_roi_outside_the_first_frame():
    frames = [Frame(image=spaced("1"), name="a", index=0)]
    options = AppOptions(reader=ReaderOptions(roi=(600, 0, 100, 100)))
    with pytest.raises(UserError, match="--roi"):
        run(frames, FakeClassifier(), options, [])


def test_max_frames_and_stable_mode_in_the_loop():
    frames = [Frame(image=spaced("1"), name="cam", index=i) for i in range(10)]
    out = io.StringIO()
    count = run(frames, FakeClassifier(), AppOptions(stable=3, max_frames=4), [JsonSink(out)])
    texts = [json.loads(line)["text"] for line in out.getvalue().splitlines()]
    assert count == 4 and texts == ["", "", "7", "7"]


class FlakyCamera:
    """A fault-injecting capture reading a shared script: frames, None (failed read) or "raise"."""

    def __init__(self, script: list, opened: bool = True) -> None:
        self.script, self.opened = script, opened

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opened

    def read(self):
        if not self.script:
            return False, None
        step = self.script.pop(0)
        if isinstance(step, str):
            raise RuntimeError("USB device disconnected")
        return (step is not None), step

    def release(self) -> None:
        self.opened = False


def _live(script: list, max_retries: int = 5):
    """A LiveSource over `script`; a "closed" entry makes that (re)open attempt fail."""
    sleeps: list[float] = []

    def open_capture():
        if script and isinstance(script[0], str) and script[0] == "closed":
            script.pop(0)
            return FlakyCamera([], opened=False)
        return FlakyCamera(script)

    source = LiveSource(open_capture, "camera 9", RetryPolicy(max_retries, 0.5, 2.0), sleeps.append)
    return source, sleeps


def test_live_source_retries_with_backoff_logs_once_and_carries_on(caplog):
    good = spaced("1")
    empty = np.zeros((0, 0, 3), np.uint8)
    script = [good, good, None, "closed", "raise", "closed", empty, good, good]
    source, sleeps = _live(script)
    with caplog.at_level(logging.WARNING, logger="edge_app"):
        count = run(source, FakeClassifier(), AppOptions(max_frames=4), [])
    assert count == 4
    assert sleeps == [0.5, 1.0, 2.0, 2.0, 2.0]  # doubling, capped
    outages = [r for r in caplog.records if "stopped delivering" in r.message]
    back = [r for r in caplog.records if "is back" in r.message]
    assert len(outages) == 1 and len(back) == 1


def test_live_source_gives_up_with_exit_3_after_max_retries():
    source, sleeps = _live([spaced("1"), None], max_retries=3)
    with pytest.raises(UserError) as e:
        run(source, FakeClassifier(), AppOptions(), [])
    assert e.value.exit_code == 3 and "3 reconnect attempts" in str(e.value)
    assert len(sleeps) == 3


def test_camera_that_cannot_open_is_a_user_error():
    with pytest.raises(UserError) as e:
        LiveSource(lambda: FlakyCamera([], opened=False), "camera 5", RetryPolicy(), lambda s: None)
    assert e.value.exit_code == 2 and "cannot open camera 5" in str(e.value)


def _write_video(path, frames) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for f in frames:
        writer.write(f)
    writer.release()


def test_files_end_at_eof_and_loop_replays(tmp_path):
    for i, d in enumerate("123"):
        cv2.imwrite(str(tmp_path / f"img_{i:04d}.png"), spaced(d)[::2, ::2])
    (tmp_path / "notes.txt").write_text("not an image")
    names = [f.name for f in open_source(str(tmp_path))]
    assert names == ["img_0000.png", "img_0001.png", "img_0002.png"]
    looped = open_source(str(tmp_path), loop=True)
    assert [f.index for _, f in zip(range(7), looped, strict=False)] == list(range(7))


def test_truncated_video_ends_cleanly_with_the_frames_read(tmp_path):
    video = tmp_path / "clip.avi"
    _write_video(video, [cv2.resize(spaced(str(i)), (320, 240)) for i in range(10)])
    data = video.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) * 6 // 10])
    full = sum(1 for _ in open_source(str(video)))
    partial = sum(1 for _ in open_source(str(cut)))
    assert full == 10 and 1 <= partial < 10


def test_bad_sources_are_one_line_user_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"\x00not a video" * 100)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG broken")
    unreadable = tmp_path / "unreadable"  # every image broken: an error, like one broken image
    unreadable.mkdir()
    for name in ("a.png", "b.jpg"):
        (unreadable / name).write_bytes(b"not an image")
    specs = [tmp_path / "missing.mp4", tmp_path / "empty", garbage, broken, unreadable]
    for spec in map(str, specs):
        with pytest.raises(UserError) as e:
            source = open_source(spec)
            list(source)
        assert e.value.exit_code == 2 and "\n" not in str(e.value)


def test_folder_of_unreadable_images_fails_even_when_looping(tmp_path, caplog):
    for name in ("a.png", "b.png"):
        (tmp_path / name).write_bytes(b"\x89PNG broken")
    with caplog.at_level(logging.WARNING), pytest.raises(UserError, match="none of the 2"):
        list(open_source(str(tmp_path), loop=True))
    assert sum("skipping" in r.message for r in caplog.records) == 2  # one pass, not forever


def test_single_image_is_decoded_once(tmp_path, monkeypatch):
    path = tmp_path / "one.png"
    cv2.imwrite(str(path), spaced("5"))
    calls = []
    real_imdecode = cv2.imdecode
    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: calls.append(1) or real_imdecode(*a, **k))
    frames = [f for _, f in zip(range(3), open_source(str(path), loop=True), strict=False)]
    assert [f.index for f in frames] == [0, 1, 2] and {f.name for f in frames} == {"one.png"}
    assert calls == [1]
    assert [f.index for f in open_source(str(path))] == [0]
