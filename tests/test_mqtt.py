"""Readings to MQTT against a real mosquitto on loopback: QoS 1, retained, surviving broker restarts."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import time
from datetime import datetime

import numpy as np
import pytest

from edge_app.errors import UserError
from edge_app.reader import Digit, Reading
from edge_app.result import FrameResult
from edge_app.sinks import mqtt
from edge_app.sinks.mqtt import INSTALL_HINT, MqttSink, MqttTarget, parse_mqtt_url
from tests.edge_live import DEMO_TEXT, ROOT, App, Broker, demo_video_for

paho = pytest.importorskip(
    "paho.mqtt.client", reason='needs paho-mqtt: pip install "mnist-edge[mqtt]"'
)

WAIT_S = 90.0  # upper bound for a reconnect (paho backs off 1, 2, 4 s...) on a busy machine
BROKER_DOWN_S = 1.5  # how long the broker stays away mid-run
HEADLESS_KEYS = {"frame", "source", "text", "digits", "latency_ms"}


class Subscriber:
    """A paho client collecting (payload dict, retain flag) from one topic; reconnects by itself."""

    def __init__(self, port: int, topic: str) -> None:
        self.messages: queue.Queue = queue.Queue()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda client, *_: client.subscribe(topic, qos=1)
        self.client.on_message = lambda _c, _u, m: self.messages.put(
            (json.loads(m.payload), m.retain)
        )
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()

    def get(self) -> tuple[dict, bool]:
        try:
            return self.messages.get(timeout=WAIT_S)
        except queue.Empty:
            pytest.fail("no MQTT message arrived")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def frame_result(index: int, text: str) -> FrameResult:
    digits = tuple(Digit(int(c), 0.9, (10 * i, 0, 8, 12)) for i, c in enumerate(text))
    reading = Reading(text, digits, {"preprocess": 1.0, "inference": 0.1, "total": 1.1})
    return FrameResult(frame=index, source="camera 0", reading=reading, text=text, fps=30.0)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker/meter", MqttTarget("broker", 1883, "meter")),
        (
            "mqtt://10.0.0.2:1884/home/meter/reading",
            MqttTarget("10.0.0.2", 1884, "home/meter/reading"),
        ),
        ("mqtt://me:s%40cret@broker/m", MqttTarget("broker", 1883, "m", "me", "s@cret")),
    ],
)
def test_parse_mqtt_url(url, expected):
    assert parse_mqtt_url(url) == expected


@pytest.mark.parametrize(
    "url", ["broker/meter", "http://broker/meter", "mqtt://broker", "mqtt://broker/", "mqtt://b:x/t",
            "mqtt://broker/home/+/reading", "mqtt://broker/#"]
)  # fmt: skip
def test_parse_mqtt_url_rejects(url):
    with pytest.raises(UserError):
        parse_mqtt_url(url)


def test_live_source_publishes_each_new_reading_and_queues_while_broker_is_down(tmp_path):
    broker = Broker(tmp_path)  # not started yet: the app must start anyway
    topic = "test/live"
    sink = MqttSink(f"mqtt://127.0.0.1:{broker.port}/{topic}", per_frame=False)
    subscriber = None
    try:
        for index, text in enumerate(["1", "1", "7", "7"]):
            sink.handle(frame_result(index, text), np.zeros((4, 4, 3), np.uint8))
        assert sink.queued == 2 and sink.acknowledged == 0
        broker.start()
        sink.connected.wait(WAIT_S)
        deadline = time.monotonic() + WAIT_S
        while sink.acknowledged < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sink.acknowledged == 2
        # A dashboard connecting now gets the current number at once: retained, QoS 1.
        subscriber = Subscriber(broker.port, topic)
        payload, retained = subscriber.get()
        assert (
            retained and payload["text"] == "7" and payload["frame"] == 2
        )  # when 7 first appeared
        for index, text in enumerate(["7", "42", "42", "", ""], start=4):
            sink.handle(frame_result(index, text), np.zeros((4, 4, 3), np.uint8))
        received = [subscriber.get() for _ in range(2)]
        assert [(p["text"], p["frame"], r) for p, r in received] == [
            ("42", 5, False),
            ("", 7, False),
        ]
        assert set(received[0][0]) == HEADLESS_KEYS | {"timestamp"}
        assert received[0][0]["digits"][0] == {"digit": 4, "confidence": 0.9, "box": [0, 0, 8, 12]}
        stamp = received[0][0]["timestamp"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
        assert (
            abs(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() - time.time())
            < 600
        )
    finally:
        sink.close()
        if subscriber:
            subscriber.close()
        broker.stop()


@pytest.fixture(scope="module")
def demo_video(tiny_artifacts, tmp_path_factory):
    return demo_video_for(tiny_artifacts / "model_int8.tflite", tmp_path_factory)


def test_video_readings_resume_after_broker_restart(tiny_artifacts, demo_video, tmp_path):
    broker = Broker(tmp_path).start()
    topic = "test/video"
    subscriber = Subscriber(broker.port, topic)
    app = App(
        "--source", str(demo_video), "--loop",
        "--model", str(tiny_artifacts / "model_int8.tflite"),
        "--mqtt", f"mqtt://127.0.0.1:{broker.port}/{topic}",
    )  # fmt: skip
    try:
        # A video is a file: every frame's reading is published.
        first = [subscriber.get()[0] for _ in range(5)]
        assert all(p["text"] == DEMO_TEXT and p["source"] == "demo.avi" for p in first), first
        assert [p["frame"] for p in first] == sorted(p["frame"] for p in first)
        assert all(set(p) == HEADLESS_KEYS | {"timestamp"} for p in first)

        broker.stop()
        time.sleep(BROKER_DOWN_S)
        last_before = first[-1]["frame"]
        while not subscriber.messages.empty():  # what arrived before the broker went away
            last_before = max(last_before, subscriber.messages.get()[0]["frame"])
        broker.start()

        # Both the app and the subscriber reconnect on their own; readings flow again.
        resumed = [subscriber.get()[0] for _ in range(5)]
        assert all(p["frame"] > last_before and p["text"] == DEMO_TEXT for p in resumed), resumed
        assert app.process.poll() is None, "\n".join(app.lines)
        assert any("mqtt: disconnected" in line for line in app.lines)
    finally:
        app.stop()
        subscriber.close()
        broker.stop()


def test_missing_paho_is_one_line(tiny_artifacts, demo_video):
    # sys.modules["paho"] = None makes `import paho...` fail exactly as on a core-only install.
    args = ["--source", str(demo_video), "--model", str(tiny_artifacts / "model_int8.tflite"),
            "--headless", "--mqtt", "mqtt://127.0.0.1/t"]  # fmt: skip
    code = f"import sys; sys.modules['paho'] = None; from edge_app.__main__ import main; sys.exit(main({args!r}))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"error: {INSTALL_HINT}"
    assert "Traceback" not in result.stderr


def test_live_sink_builds_a_payload_only_for_a_new_reading(monkeypatch):
    built, sent = [], []
    real_payload = mqtt.mqtt_payload
    monkeypatch.setattr(mqtt, "mqtt_payload", lambda r: built.append(r.frame) or real_payload(r))
    sink = MqttSink("mqtt://127.0.0.1:1/t", per_frame=False)  # nothing listens: never connects
    monkeypatch.setattr(sink, "publish", sent.append)
    try:
        for index, text in enumerate(["1", "1", "1", "7", "7"]):
            sink.handle(frame_result(index, text), np.zeros((4, 4, 3), np.uint8))
    finally:
        sink.close()
    assert built == [0, 3] and [p["text"] for p in sent] == ["1", "7"]
