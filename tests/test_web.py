"""The live web view with a real server on loopback: page, API, health, MJPEG stream, real browser."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import cv2
import numpy as np
import pytest

from edge_app.reader import Digit, Reading
from edge_app.result import FrameResult
from edge_app.sinks import web
from edge_app.sinks.web import WebSink
from tests.conftest import run_module
from tests.edge_live import (
    DEMO_TEXT,
    URL_PATTERN,
    WAIT_S,
    App,
    Browser,
    demo_video_for,
    wait_until,
)

HEADLESS_KEYS = {"frame", "source", "text", "digits", "latency_ms"}


# ---------------------------------------------------------------- helpers


def get(url: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=WAIT_S) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def open_stream(url: str) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse, bytes]:
    """Connect to /stream.mjpg; return the connection, the response and its boundary."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT_S)
    connection.request("GET", "/stream.mjpg")
    response = connection.getresponse()
    assert response.status == 200
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/x-mixed-replace")
    boundary = re.search(r"boundary=(\S+)", content_type).group(1)
    return connection, response, boundary.encode()


def read_part(response: http.client.HTTPResponse, boundary: bytes) -> bytes:
    """The next JPEG of a multipart stream, located by its boundary and Content-Length."""
    line = response.fp.readline()
    while line in (b"\r\n", b"\n"):
        line = response.fp.readline()
    assert line.rstrip() == b"--" + boundary, line
    headers = {}
    while (line := response.fp.readline().rstrip()) != b"":
        key, _, value = line.decode().partition(":")
        headers[key.strip().lower()] = value.strip()
    assert headers["content-type"] == "image/jpeg"
    data = response.fp.read(int(headers["content-length"]))
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9", "not a whole JPEG"
    return data


def decode(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def frame_result(index: int, text: str = DEMO_TEXT) -> FrameResult:
    digits = tuple(
        Digit(value=int(c), confidence=0.9, box=(100 + 60 * i, 100, 50, 80))
        for i, c in enumerate(text)
    )
    reading = Reading(text, digits, {"preprocess": 1.0, "inference": 0.1, "total": 1.1})
    return FrameResult(frame=index, source="test", reading=reading, text=text, fps=30.0)


def numbered_frame(index: int) -> np.ndarray:
    """A distinct 640x480 BGR frame per index."""
    image = np.full((480, 640, 3), 200, np.uint8)
    cv2.putText(image, str(index), (40, 300), cv2.FONT_HERSHEY_SIMPLEX, 6, (0, 0, 0), 12)
    return image


# ---------------------------------------------------------------- the app, end to end


@pytest.fixture(scope="module")
def demo_video(tiny_artifacts, tmp_path_factory):
    return demo_video_for(tiny_artifacts / "model_int8.tflite", tmp_path_factory)


@pytest.fixture(scope="module")
def served_app(tiny_artifacts, demo_video):
    """The app reading the demo video forever, serving on a free loopback port; yields the URL."""
    app = App(
        "--source", str(demo_video), "--loop",
        "--model", str(tiny_artifacts / "model_int8.tflite"),
        "--serve", "127.0.0.1:0",
    )  # fmt: skip
    url = app.wait_for(URL_PATTERN).group(1)
    wait_until(lambda: get(url + "api/reading")[0] == 200, "the first frame")
    yield url
    app.stop()
    assert app.process.returncode in (0, -15), "\n".join(app.lines)


def test_page_is_served(served_app):
    status, content_type, body = get(served_app)
    assert status == 200 and content_type.startswith("text/html")
    page = body.decode()
    for needle in ('id="video"', 'id="reading"', '"/api/events"', "/api/roi", 'name="viewport"'):
        assert needle in page


def test_api_reading_is_the_headless_json(served_app, tiny_artifacts):
    first = json.loads(get(served_app + "api/reading")[2])
    assert set(first) == HEADLESS_KEYS | {"fps", "roi", "model"} and first["roi"] is None
    model_sha = hashlib.sha256((tiny_artifacts / "model_int8.tflite").read_bytes()).hexdigest()
    assert first["model"]["sha256"] == model_sha[: len(first["model"]["sha256"])]  # web only
    assert first["text"] == DEMO_TEXT and first["source"] == "demo.avi"
    assert [d["digit"] for d in first["digits"]] == [int(c) for c in DEMO_TEXT]
    assert set(first["latency_ms"]) == {"preprocess", "inference", "total"}
    later = wait_until(
        lambda: (
            (r := json.loads(get(served_app + "api/reading")[2]))["frame"] > first["frame"] and r
        ),
        "a newer frame",
    )
    assert later["text"] == DEMO_TEXT


def test_healthz_while_frames_arrive(served_app):
    status, content_type, body = get(served_app + "healthz")
    assert status == 200 and content_type == "application/json"
    health = json.loads(body)
    assert health["status"] == "ok" and health["frames"] > 0


def test_unknown_path_is_404(served_app):
    assert get(served_app + "nope")[0] == 404


def test_two_stream_clients_get_live_jpegs(served_app):
    streams = [open_stream(served_app) for _ in range(2)]
    try:
        frames = {i: [] for i in range(2)}
        for _ in range(3):
            for i, (_, response, boundary) in enumerate(streams):
                frames[i].append(read_part(response, boundary))
        for jpegs in frames.values():
            assert all(decode(j).shape == (480, 640, 3) for j in jpegs)
            # --loop over a short video at full speed: the parts are frames over time, not a repeat
            assert len(set(jpegs)) > 1
    finally:
        for connection, _, _ in streams:
            connection.close()


PAGE_STATE_JS = """(() => {
  if (!document.getElementById("reading")) return null;  // still loading
  const text = (id) => document.getElementById(id).textContent;
  const video = document.getElementById("video");
  return {reading: text("reading"), state: text("state"), fps: text("fps"), latency: text("latency"),
          frame: text("frame"), video: [video.width, video.height]};
})()"""


def test_browser_shows_the_live_reading(served_app, tmp_path):
    browser = Browser(tmp_path / "profile")
    try:
        browser.open(served_app)
        shown = wait_until(
            lambda: (page := browser.evaluate(PAGE_STATE_JS)) and page["state"] == "live" and page,
            "the page to show a reading",
        )
        assert shown["reading"] == DEMO_TEXT
        assert shown["fps"].endswith(" fps") and shown["latency"].endswith(")"), shown
        later = wait_until(
            lambda: (page := browser.evaluate(PAGE_STATE_JS))["frame"] != shown["frame"] and page,
            "the page to update by itself",
        )
        assert later["reading"] == DEMO_TEXT and later["frame"].endswith("demo.avi")
        # the <img> decoded the MJPEG stream: it has the video's size
        assert wait_until(lambda: browser.evaluate(PAGE_STATE_JS)["video"] == [640, 480], "video")
    finally:
        browser.close()


def test_bad_serve_flag_is_one_line(tiny_artifacts, demo_video):
    model = str(tiny_artifacts / "model_int8.tflite")
    done = run_module("edge_app", "--source", str(demo_video), "--model", model, "--headless",
                      "--serve", "nope")  # fmt: skip
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]  # an argparse usage error: checked at parse time
    assert "error: argument --serve: --serve 'nope': expected [HOST:]PORT" in last
    assert "Traceback" not in done.stderr


def test_busy_port_is_one_line(tiny_artifacts, demo_video):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_module(
            "edge_app", "--source", str(demo_video), "--model", str(tiny_artifacts / "model_int8.tflite"),
            "--headless", "--serve", f"127.0.0.1:{port}",
        )  # fmt: skip
    assert done.returncode == 2
    assert f"error: cannot serve on 127.0.0.1:{port}" in done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- the sink, in process


@pytest.fixture
def sink():
    web = WebSink("127.0.0.1", 0, stale_after_s=0.5)
    yield web
    web.close()


def test_health_before_during_and_after_frames(sink):
    status, _, body = get(sink.url + "healthz")
    assert status == 503 and json.loads(body)["status"] == "waiting"
    assert get(sink.url + "api/reading")[0] == 503
    sink.handle(frame_result(0), numbered_frame(0))
    status, _, body = get(sink.url + "healthz")
    assert status == 200 and json.loads(body)["frames"] == 1
    # no new frame: the reader or the camera is stuck, so the service must look unhealthy
    stale = wait_until(lambda: get(sink.url + "healthz")[0] == 503, "a stale health status")
    assert stale and json.loads(get(sink.url + "healthz")[2])["status"] == "stale"


def test_each_frame_is_encoded_once_for_all_clients(sink):
    sink.handle(frame_result(0), numbered_frame(0))
    assert sink.frames_encoded == 0  # nobody watches: no JPEG work at all
    streams = [open_stream(sink.url) for _ in range(2)]
    try:
        for index in range(1, 5):
            if index > 1:
                sink.handle(frame_result(index), numbered_frame(index))
            parts = [read_part(response, boundary) for _, response, boundary in streams]
            assert parts[0] == parts[1]  # the same bytes: one encode shared by both clients
        assert sink.frames_encoded == 4
    finally:
        for connection, _, _ in streams:
            connection.close()


def test_stalled_client_does_not_block_reader_or_others():
    sink = WebSink("127.0.0.1", 0, max_stream_fps=0)  # no cap: encode every frame handed over
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    stalled = socket.create_connection(("127.0.0.1", sink.port))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(
        b"GET /stream.mjpg HTTP/1.1\r\nHost: localhost\r\n\r\n"
    )  # and never read a byte
    try:
        # Noise hardly compresses: ~0.3 MB per JPEG, far beyond what the socket buffers can hold.
        frames = 60
        for index in range(frames):
            sink.handle(frame_result(index), cv2.bitwise_xor(noise, numbered_frame(index)))
            wait_until(lambda n=index: sink.frames_encoded > n, f"frame {index} encoded")
        assert json.loads(get(sink.url + "api/reading")[2])["frame"] == frames - 1
        connection, response, boundary = open_stream(sink.url)
        try:
            first = read_part(response, boundary)
            sink.handle(frame_result(frames), numbered_frame(frames))
            second = read_part(response, boundary)
            assert first != second and decode(second).mean() > 150  # the new, mostly grey frame
        finally:
            connection.close()
    finally:
        stalled.close()
        sink.close()


def test_page_is_read_once_at_start(monkeypatch):
    reads = []
    real_page = web.page_bytes
    monkeypatch.setattr(web, "page_bytes", lambda: reads.append(1) or real_page())
    server = WebSink("127.0.0.1", 0)
    try:
        bodies = [get(server.url)[2] for _ in range(3)]
    finally:
        server.close()
    assert reads == [1] and bodies[0] == bodies[2] and b'id="reading"' in bodies[0]
