"""Home Assistant discovery: the config it sees, its templates, and the real-broker view (last will)."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time

import pytest

from edge_app.__main__ import main
from edge_app.reader import Digit, Reading
from edge_app.result import FrameResult
from edge_app.sinks import ha_discovery
from edge_app.sinks.ha_discovery import Discovery, HomeAssistantLink, discovery_config
from tests.edge_live import DEMO_TEXT, App, Broker, demo_video_for

WAIT_S = 30.0  # upper bound for a message on a busy machine
KEEPALIVE_S = 1  # the app's --mqtt-keepalive here: the broker notices a dead reader in ~1.5 s


def discovery(**kwargs) -> Discovery:
    return Discovery(state_topic="home/meter", device_id="mnist_edge_abc", **kwargs)


def test_device_discovery_config_has_what_home_assistant_requires():
    config = discovery_config(discovery(model="model_int8.tflite"), sw_version="1.2.3")
    assert config["dev"] == {"ids": ["mnist_edge_abc"], "name": "mnist-edge home/meter",
                             "mf": "mnist-edge", "mdl": "model_int8.tflite", "sw": "1.2.3"}  # fmt: skip
    assert config["o"] == {"name": "mnist-edge", "sw": "1.2.3"}
    assert config["state_topic"] == "home/meter"
    assert config["availability_topic"] == "home/meter/availability"
    components = config["cmps"]
    assert {k: c["p"] for k, c in components.items()} == {
        "reading": "sensor", "least_confidence": "sensor", "camera_problem": "binary_sensor",
    }  # fmt: skip
    uids = [c["unique_id"] for c in components.values()]
    assert len(set(uids)) == 3 and all(u.startswith("mnist_edge_abc_") for u in uids)
    assert components["reading"]["state_class"] == "measurement"
    problem = components["camera_problem"]
    assert problem["device_class"] == "problem" and problem["state_topic"] == "home/meter/problem"
    assert discovery().config_topic == "homeassistant/device/mnist_edge_abc/config"
    assert discovery(prefix="ha").status_topic == "ha/status"


def payload(text: str, confidences: list[float]) -> dict:
    digits = tuple(
        Digit(None if c == "?" else int(c), p, (0, 0, 1, 1))
        for c, p in zip(text, confidences, strict=True)
    )
    return FrameResult(0, "camera 0", Reading(text, digits, {}), text, 30.0).to_json()


@pytest.mark.parametrize(
    ("text", "confidences", "reading", "least"),
    [
        ("0042", [0.99, 0.98, 0.91234, 0.97], "42", "91.2"),
        ("7", [0.5], "7", "50.0"),
        ("4?", [0.9, 0.2], "None", "20.0"),  # unsure: Home Assistant shows "unknown", not 4
        ("", [], "None", "None"),
    ],
)
def test_templates_extract_the_number_and_least_confidence(text, confidences, reading, least):
    sandbox = pytest.importorskip("jinja2.sandbox", reason="renders Home Assistant's templates")
    env = sandbox.ImmutableSandboxedEnvironment()  # what Home Assistant's templates run in
    components = discovery_config(discovery())["cmps"]
    value_json = payload(text, confidences)

    def render(key: str) -> str:
        return env.from_string(components[key]["value_template"]).render(value_json=value_json)

    assert render("reading") == reading
    assert render("least_confidence") == least


def test_device_id_is_stable_per_machine_source_and_topic():
    one = ha_discovery.default_device_id("0", "home/meter", machine="abc")
    assert one == ha_discovery.default_device_id("0", "home/meter", machine="abc")
    assert re.fullmatch(r"mnist_edge_[0-9a-f]{12}", one) and "abc" not in one
    others = {ha_discovery.default_device_id(*a) for a in
              [("1", "home/meter", "abc"), ("0", "home/gas", "abc"), ("0", "home/meter", "xyz")]}  # fmt: skip
    assert one not in others and len(others) == 3
    assert ha_discovery.default_device_id("0", "t") == ha_discovery.default_device_id("0", "t")


def test_problem_turns_on_when_frames_stop_and_off_when_they_return():
    sent = []
    link = HomeAssistantLink(discovery(stall_s=1000.0), lambda t, p: sent.append((t, p)))
    try:
        link.frame_seen(now=100.0)
        assert link.check_stall(now=1099.0) is False and sent == []
        assert link.check_stall(now=1101.0) is True
        assert link.check_stall(now=1200.0) is True  # said once, not every check
        link.frame_seen(now=1201.0)
        link.frame_seen(now=1202.0)
        assert sent == [("home/meter/problem", "ON"), ("home/meter/problem", "OFF")]
        link.on_message("homeassistant/status", b"offline")
        link.on_message("other/status", b"online")
        assert len(sent) == 2
        link.on_message("homeassistant/status", b"online")
        assert [t for t, _ in sent[2:]] == [
            "homeassistant/device/mnist_edge_abc/config", "home/meter/availability", "home/meter/problem",
        ]  # fmt: skip
    finally:
        link.close(connected=True)
    assert sent[-1] == ("home/meter/availability", "offline")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--ha-discovery"], "--ha-discovery and --device-id need --mqtt"),
        (["--mqtt", "mqtt://h/t", "--ha-discovery", "home/#"], "--ha-discovery 'home/#'"),
        (
            ["--mqtt", "mqtt://h/t", "--ha-discovery", "--device-id", "my meter"],
            "--device-id 'my meter'",
        ),
    ],
)
def test_bad_discovery_flags_are_refused(capsys, flags, message):
    try:
        code = main(["--source", "0", *flags])
    except SystemExit as e:  # argparse's own exit for a bad value
        code = e.code
    assert code == 2 and message in capsys.readouterr().err


paho = pytest.importorskip(
    "paho.mqtt.client", reason='needs paho-mqtt: pip install "mnist-edge[mqtt]"'
)


class Watcher:
    """What Home Assistant's MQTT client sees: (topic, text, retained) of every message under a filter."""

    def __init__(self, port: int, *topics: str) -> None:
        self.seen: list[tuple[str, str, bool]] = []  # appended by paho's thread, in arrival order
        self._read: dict[str, int] = {}  # per topic: how far next_on has read
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = lambda _c, _u, m: self.seen.append(
            (m.topic, m.payload.decode(), m.retain)
        )
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        # Subscribed before the reader starts: otherwise its first "online" could arrive as the
        # retained copy on a loaded machine, and a live message would look like a retained one.
        if not subscribed.wait(WAIT_S):
            pytest.fail(f"the broker did not confirm the subscription to {topics}")

    def next_on(self, topic: str, text: str | None = None) -> tuple[str, bool]:
        """The next (text, retained) on `topic` (and with `text` if given); topics are read apart."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for index in range(self._read.get(topic, 0), len(self.seen)):
                got, payload, retained = self.seen[index]
                if got == topic:
                    self._read[topic] = index + 1
                    if text in (None, payload):
                        return payload, retained
            time.sleep(0.05)
        pytest.fail(f"{text or 'nothing'} did not arrive on {topic}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture(scope="module")
def demo_video(tiny_artifacts, tmp_path_factory):
    return demo_video_for(tiny_artifacts / "model_int8.tflite", tmp_path_factory)


def test_home_assistant_sees_the_device_online_then_offline_after_kill_9(
    tiny_artifacts, demo_video, tmp_path
):
    broker = Broker(tmp_path).start()
    topic = "test/meter"
    availability, problem = f"{topic}/availability", f"{topic}/problem"
    config_topic = "homeassistant/device/hall_meter/config"
    early = Watcher(broker.port, availability, problem, topic)
    app = App(
        "--source", str(demo_video), "--loop",
        "--model", str(tiny_artifacts / "model_int8.tflite"),
        "--mqtt", f"mqtt://127.0.0.1:{broker.port}/{topic}",
        "--ha-discovery", "--device-id", "hall_meter", "--mqtt-keepalive", str(KEEPALIVE_S),
    )  # fmt: skip
    late = None
    try:
        assert early.next_on(availability) == ("online", False)
        # Only once the first reading is out can a later subscriber find it retained: on a loaded
        # machine the first frame may come well after the announcement.
        assert early.next_on(problem) == ("OFF", False)
        assert json.loads(early.next_on(topic)[0])["text"] == DEMO_TEXT
        # Home Assistant starting now finds everything retained, as after a broker restart.
        late = Watcher(broker.port, "homeassistant/#", f"{topic}/#")  # "#" covers topic too
        text, retained = late.next_on(config_topic)
        config = json.loads(text)
        assert retained and set(config) >= {"dev", "o", "cmps", "state_topic", "availability_topic"}
        assert (
            config["dev"]["ids"] == ["hall_meter"] and config["dev"]["mdl"] == "model_int8.tflite"
        )
        assert config["state_topic"] == topic and config["availability_topic"] == availability
        assert late.next_on(availability) == ("online", True)
        assert late.next_on(problem) == ("OFF", True)
        reading, retained = late.next_on(topic)
        assert retained and json.loads(reading)["text"] == DEMO_TEXT

        # Home Assistant restarted: its birth message makes the reader announce itself again.
        late.client.publish("homeassistant/status", "online", qos=1)
        text, retained = late.next_on(config_topic)
        assert not retained and json.loads(text) == config
        assert late.next_on(availability) == ("online", False)

        os.kill(app.process.pid, signal.SIGKILL)  # no goodbye: only the last will can say it
        assert early.next_on(availability, "offline") == ("offline", False)
        app.process.wait(timeout=10)
        fresh = Watcher(broker.port, availability)  # and it stays offline for anyone asking later
        assert fresh.next_on(availability) == ("offline", True)
        fresh.close()
    finally:
        app.stop()
        early.close()
        if late:
            late.close()
        broker.stop()


def test_a_clean_exit_says_offline(tiny_artifacts, demo_video, tmp_path):
    broker = Broker(tmp_path).start()
    topic = "test/file"
    watcher = Watcher(broker.port, f"{topic}/availability")
    try:
        code = main(["--source", str(demo_video), "--headless", "--max-frames", "2",
                     "--model", str(tiny_artifacts / "model_int8.tflite"),
                     "--mqtt", f"mqtt://127.0.0.1:{broker.port}/{topic}", "--ha-discovery"])  # fmt: skip
        assert code == 0
        assert watcher.next_on(f"{topic}/availability") == ("online", False)
        assert watcher.next_on(f"{topic}/availability") == ("offline", False)
    finally:
        watcher.close()
        broker.stop()
