"""Helpers for the web view and MQTT tests: a demo video, the app as a subprocess, a real broker."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_TEXT = "42"
DEMO_KEEP = 4  # distinct frames in the demo video: enough for a moving picture
DEMO_CANDIDATES = 8  # frames the test model reads right, to pick DEMO_KEEP from
DEMO_ROUNDS = 3  # write the video, drop frames the codec spoiled, again
WAIT_S = 60.0  # upper bound for things that should happen within a second or two


def wait_until(predicate, what: str, timeout: float = WAIT_S, poll_s: float = 0.02):
    """Return the first truthy value of `predicate()`; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    pytest.fail(f"timed out waiting for {what}")


STARTUP_TIMEOUT_S = 180.0  # model load and first frame on a busy CI machine
EXIT_TIMEOUT_S = 60.0  # a process asked to stop, on a busy machine
URL_PATTERN = re.compile(r"live view at (http://\S+)")


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_tool(name: str) -> str:
    """Path of a Debian tool the test drives for real; skipped locally without it, fails in CI."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if path:
        return path
    message = f"{name} is not installed (apt-get install -y {name}; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


_demo_videos: dict[Path, Path] = {}


def demo_video_for(model: Path, tmp_path_factory) -> Path:
    """build_demo_video once per model and test session (both the web and the MQTT tests use it)."""
    if model not in _demo_videos:
        _demo_videos[model] = build_demo_video(tmp_path_factory.mktemp("demo_video"), model)
    return _demo_videos[model]


def build_demo_video(folder: Path, model: Path) -> Path:
    """Write demo.avi: camera-like frames of DEMO_TEXT that `model` reads right, every one of them."""
    from edge_app.reader import read_digits
    from edge_app.runtime import Classifier
    from edge_app.sources import open_source
    from synthetic import LABELS_NAME, SceneOptions, make_frame, write_video

    classifier = Classifier(str(model))
    scene = SceneOptions(styles=("font", "stroke"), no_digit_fraction=0.0, invert_fraction=0.0)
    frames = folder / "frames"
    frames.mkdir(parents=True, exist_ok=True)
    pool = []
    for seed in range(DEMO_CANDIDATES * 4):
        if len(pool) == DEMO_CANDIDATES:
            break
        image, truth = make_frame(DEMO_TEXT, np.random.default_rng(seed), scene)
        if read_digits(image, classifier).text == truth:
            pool.append(image)
    video = folder / "demo.avi"
    # The video codec can push a digit of a small test model under --min-confidence: keep only
    # frames that still read right after compression (one more round settles it).
    for _ in range(DEMO_ROUNDS):
        assert len(pool) >= 2, f"the test model reads only {len(pool)} demo frames as {DEMO_TEXT}"
        kept, pool = pool[:DEMO_KEEP], pool[DEMO_KEEP:]
        labels = {}
        for index, image in enumerate(kept):
            name = f"frame_{index:04d}.png"  # lossless: the video codec is the only change
            cv2.imwrite(str(frames / name), image)
            labels[name] = DEMO_TEXT
        (frames / LABELS_NAME).write_text(json.dumps(labels))
        write_video(frames, video, hold=1)
        source = open_source(str(video))
        try:
            good = [read_digits(f.image, classifier).text == DEMO_TEXT for f in source]
        finally:
            source.close()
        if all(good):
            return video
        pool = [image for image, ok in zip(kept, good, strict=True) if ok] + pool
    pytest.fail(f"no demo video reading {DEMO_TEXT} throughout after {DEMO_ROUNDS} rounds")


def terminate(process: subprocess.Popen) -> None:
    """Stop `process` politely, then firmly, and wait for it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class App:
    """`python -m edge_app ... --headless` in a subprocess; stderr collected by a thread."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "edge_app", "--headless", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,  # one JSON line per frame, forever with --loop
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def _collect(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern, timeout: float = STARTUP_TIMEOUT_S) -> re.Match:
        """The first stderr line matching `pattern`; fails if the app exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = pattern.search(line)
                if match:
                    return match
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"app never printed {pattern.pattern!r}; stderr:\n" + "\n".join(self.lines))

    def stop(self) -> None:
        """Terminate the app and wait for it."""
        terminate(self.process)
        self._reader.join(timeout=EXIT_TIMEOUT_S)


class Broker:
    """A real mosquitto on a loopback port, with a throwaway config; stop() and start() at will."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.executable = find_tool("mosquitto")
        self.port = port or free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self.log = folder / "mosquitto.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Broker:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [self.executable, "-c", str(self.config)], stdout=log, stderr=log
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"mosquitto exited: {self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"mosquitto did not listen on {self.port}: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=EXIT_TIMEOUT_S)
        self.process = None


class Browser:
    """A real headless chromium driven over the DevTools protocol (a minimal WebSocket client).

    --dump-dom cannot be used: it dumps when the page's load event fires, which the endless MJPEG
    image makes race with the page's first poll. Here the test asks the live page until it shows
    what it should.
    """

    FLAGS = (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--remote-debugging-port=0",
    )  # fmt: skip

    def __init__(self, profile: Path) -> None:
        self.process = subprocess.Popen(
            [find_tool("chromium"), *self.FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        active = profile / "DevToolsActivePort"  # chromium writes its port here once listening
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not (active.is_file() and active.read_text().count("\n") >= 1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                pytest.fail("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        self.port = int(active.read_text().split()[0])
        self._socket: socket.socket | None = None
        self._next_id = 0

    def open(self, url: str) -> None:
        """Open `url` in a new tab and attach to it."""
        import http.client
        from urllib.parse import quote, urlsplit

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=STARTUP_TIMEOUT_S)
        connection.request("PUT", "/json/new?" + quote(url, safe=":/?&="))
        target = json.loads(connection.getresponse().read())
        connection.close()
        path = urlsplit(target["webSocketDebuggerUrl"]).path
        self._socket = socket.create_connection(("127.0.0.1", self.port), timeout=STARTUP_TIMEOUT_S)
        key = base64.b64encode(os.urandom(16)).decode()
        self._socket.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += self._socket.recv(1)
        assert reply.startswith(b"HTTP/1.1 101"), reply

    def evaluate(self, expression: str):
        """The JSON value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"].get("value")

    def call(self, method: str, params: dict | None = None) -> dict:
        """The result of one DevTools command (e.g. Page.captureScreenshot) in the page."""
        self._next_id += 1
        self._send({"id": self._next_id, "method": method, "params": params or {}})
        while True:
            message = self._receive()
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def _send(self, message: dict) -> None:
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        header = bytes([0x81])  # a final text frame
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        else:
            header += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self._socket.sendall(header + mask + masked)

    def _receive(self) -> dict:
        data = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = int.from_bytes(self._read(2), "big")
            elif length == 127:
                length = int.from_bytes(self._read(8), "big")
            data += self._read(length)
            if first & 0x80:  # the final fragment
                return json.loads(data)

    def _read(self, n: int) -> bytes:
        buffer = b""
        while len(buffer) < n:
            chunk = self._socket.recv(n - len(buffer))
            if not chunk:
                raise ConnectionError("chromium closed the DevTools connection")
            buffer += chunk
        return buffer

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        terminate(self.process)
