"""Secrets and silent loss with MQTT: passwords never shown, bad topics and refused logins are errors, SIGTERM flushes."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading

import pytest

from edge_app.errors import UserError
from edge_app.redact import redact_url
from edge_app.sinks.mqtt import MAX_INFLIGHT, MqttSink, mqtt_password, parse_mqtt_url
from edge_app.sources import RetryPolicy, open_source
from tests.conftest import run_module
from tests.edge_live import ROOT, STARTUP_TIMEOUT_S, URL_PATTERN, Broker, demo_video_for, find_tool
from tests.test_web import frame_result, get, numbered_frame, wait_until

paho = pytest.importorskip(
    "paho.mqtt.client", reason='needs paho-mqtt: pip install "mnist-edge[mqtt]"'
)

BROKER_PASSWORD = "brokerS3cret"
SOURCE_PASSWORD = "streamS3cret"
USER = "reader"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rtsp://admin:hunter2@cam.lan/live", "rtsp://***@cam.lan/live"),
        (
            "cannot open http://u:p@ss@h:81/s.mjpg: refused",
            "cannot open http://***@h:81/s.mjpg: refused",
        ),
        ("http://cam.lan/a@b", "http://cam.lan/a@b"),
        ("camera 0", "camera 0"),
    ],
)
def test_redact_url(text, expected):
    assert redact_url(text) == expected


def test_stream_label_and_errors_hide_the_password():
    url = f"http://viewer:{SOURCE_PASSWORD}@127.0.0.1:1/stream.mjpg"  # nothing listens on port 1
    with pytest.raises(UserError) as caught:
        open_source(url, retry=RetryPolicy(max_retries=0), sleep=lambda s: None)
    assert SOURCE_PASSWORD not in str(caught.value) and "http://***@127.0.0.1:1/" in str(
        caught.value
    )


@pytest.mark.parametrize(
    "url",
    [
        "mqtt://b/home#x",
        "mqtt://b/home?x",
        "mqtt://b/a%00b",
        "mqtt://b/a%23b",
        "mqtt://b/+/x",
        "mqtt://b/#",
    ],
)
def test_topics_that_would_lose_readings_are_refused_at_parse_time(url):
    with pytest.raises(UserError, match="topic"):
        parse_mqtt_url(url)


def test_an_encoded_question_mark_is_a_topic_character():
    assert parse_mqtt_url("mqtt://b/what%3F").topic == "what?"


def test_parse_errors_and_repr_hide_the_password():
    with pytest.raises(UserError) as caught:
        parse_mqtt_url(f"mqtt://{USER}:{BROKER_PASSWORD}@broker/a#b")
    assert BROKER_PASSWORD not in str(caught.value)
    assert BROKER_PASSWORD not in repr(parse_mqtt_url(f"mqtt://{USER}:{BROKER_PASSWORD}@broker/t"))


def test_password_from_file_or_environment(tmp_path):
    secret = tmp_path / "mqtt-password"
    secret.write_text(BROKER_PASSWORD + "\n")
    assert mqtt_password(str(secret), {}) == BROKER_PASSWORD
    assert mqtt_password(None, {"MNIST_EDGE_MQTT_PASSWORD": "fromenv"}) == "fromenv"
    assert mqtt_password(None, {}) is None
    for bad in (tmp_path / "missing", tmp_path):
        with pytest.raises(UserError, match="--mqtt-password-file"):
            mqtt_password(str(bad), {})


def test_client_ids_are_unique_not_the_pid():
    sinks = [MqttSink("mqtt://127.0.0.1:1/t") for _ in range(2)]  # nothing listens: never connects
    try:
        ids = [sink.client_id for sink in sinks]
        assert ids[0] != ids[1] and str(os.getpid()) not in "".join(ids)
        assert all(len(i) <= 23 for i in ids)  # what every MQTT 3.1.1 broker must accept
        assert MAX_INFLIGHT == 1 and sinks[0]._client._max_inflight_messages == 1  # ordered
    finally:
        for sink in sinks:
            sink.close()


@pytest.fixture
def auth_broker(tmp_path):
    """A mosquitto that wants USER / BROKER_PASSWORD."""
    passwords = tmp_path / "passwords"
    subprocess.run([find_tool("mosquitto_passwd"), "-b", "-c", str(passwords), USER, BROKER_PASSWORD],
                   check=True, capture_output=True)  # fmt: skip
    passwords.chmod(0o600)
    broker = Broker(tmp_path)
    broker.config.write_text(
        f"listener {broker.port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {passwords}\npersistence false\n"
        "user root\n"  # only used when run as root: keeps the 0700 test folder readable
    )
    yield broker.start()
    broker.stop()


@pytest.fixture(scope="module")
def demo_video(tiny_artifacts, tmp_path_factory):
    return demo_video_for(tiny_artifacts / "model_int8.tflite", tmp_path_factory)


def test_refused_login_is_one_error_line_and_exit_2(tiny_artifacts, demo_video, auth_broker):
    done = run_module(
        "edge_app", "--source", str(demo_video), "--model", str(tiny_artifacts / "model_int8.tflite"),
        "--headless", "--mqtt", f"mqtt://{USER}@127.0.0.1:{auth_broker.port}/t",
        env={"MNIST_EDGE_MQTT_PASSWORD": "wrong" + BROKER_PASSWORD},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: MQTT broker 127.0.0.1:") and "refused the login" in last
    assert "Traceback" not in done.stderr and BROKER_PASSWORD not in done.stderr + done.stdout


def test_password_in_the_url_works_but_warns_and_never_shows(
    tiny_artifacts, demo_video, auth_broker
):
    done = run_module(
        "edge_app", "--source", str(demo_video), "--model", str(tiny_artifacts / "model_int8.tflite"),
        "--headless", "--max-frames", "3",
        "--mqtt", f"mqtt://{USER}:{BROKER_PASSWORD}@127.0.0.1:{auth_broker.port}/t",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "password in the --mqtt URL" in done.stderr and "not acknowledged" not in done.stderr
    assert BROKER_PASSWORD not in done.stderr + done.stdout


class MjpegServer:
    """An in-process MJPEG stream (the app's own web view) fed numbered frames by a thread."""

    def __init__(self) -> None:
        from edge_app.sinks.web import WebSink

        self.web = WebSink("127.0.0.1", 0, max_stream_fps=0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        index = 0
        while not self._stop.wait(0.05):
            self.web.handle(frame_result(index), numbered_frame(index))
            index += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.web.close()


def test_secrets_never_leave_and_sigterm_stops_cleanly(tiny_artifacts, auth_broker, tmp_path):
    stream = MjpegServer()
    messages: queue.Queue = queue.Queue()
    subscriber = paho.Client(paho.CallbackAPIVersion.VERSION2)
    subscriber.username_pw_set(USER, BROKER_PASSWORD)
    subscriber.on_connect = lambda client, *_: client.subscribe("meter/#", qos=1)
    subscriber.on_message = lambda _c, _u, m: messages.put(m.payload.decode())
    subscriber.connect_async("127.0.0.1", auth_broker.port)
    subscriber.loop_start()
    password_file = tmp_path / "mqtt-password"
    password_file.write_text(BROKER_PASSWORD)
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        app = subprocess.Popen(
            [sys.executable, "-m", "edge_app", "--headless", "--verbose",
             "--source", f"http://viewer:{SOURCE_PASSWORD}@127.0.0.1:{stream.web.port}/stream.mjpg",
             "--model", str(tiny_artifacts / "model_int8.tflite"), "--serve", "127.0.0.1:0",
             "--mqtt", f"mqtt://{USER}@127.0.0.1:{auth_broker.port}/meter/reading",
             "--mqtt-password-file", str(password_file)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"},
            stdout=stdout, stderr=stderr,
        )  # fmt: skip
    try:
        url = wait_until(lambda: URL_PATTERN.search(err.read_text()), "the live view URL").group(1)
        reading = wait_until(
            lambda: (r := get(url + "api/reading"))[0] == 200 and r[2], "a reading"
        )
        payload = messages.get(timeout=STARTUP_TIMEOUT_S)  # the login from the file worked
        shown = "http://***@127.0.0.1"
        assert json.loads(reading)["source"].startswith(shown) and json.loads(payload)[
            "source"
        ].startswith(shown)
        app.send_signal(signal.SIGTERM)  # what systemctl stop sends
        assert app.wait(timeout=60) == 0, err.read_text()
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        subscriber.disconnect()
        subscriber.loop_stop()
        stream.close()
    logs, lines = err.read_text(), out.read_text().splitlines()
    assert re.search(r"terminated; stopping", logs) and logs.strip().splitlines()[-1].endswith(
        "outputs closed"
    )
    assert lines and all(json.loads(line)["source"].startswith("http://***@") for line in lines)
    for secret in (SOURCE_PASSWORD, BROKER_PASSWORD):
        for where, text in (
            ("stdout", out.read_text()),
            ("stderr", logs),
            ("api", reading.decode()),
            ("mqtt", payload),
        ):
            assert secret not in text, where
