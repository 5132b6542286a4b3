"""Home Assistant MQTT discovery (--ha-discovery): the device config, availability and camera problem.

One retained device-based discovery message (`PREFIX/device/ID/config`) describes the reader to
Home Assistant: the number read, the least digit confidence and a "problem" binary sensor that turns
ON when no frame has arrived for STALL_S (a camera reconnecting or hung). Availability is
`online`/`offline` on its own retained topic; the MQTT last will makes it `offline` when the reader
dies without saying goodbye (kill -9, power cut). The config is sent again whenever Home Assistant
announces itself on `PREFIX/status`, so a Home Assistant restart with a fresh broker finds the device.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from edge_app.errors import UserError

DEFAULT_PREFIX = "homeassistant"
ONLINE, OFFLINE = "online", "offline"  # availability payloads (Home Assistant's defaults)
PROBLEM_ON, PROBLEM_OFF = "ON", "OFF"  # binary sensor payloads (Home Assistant's defaults)
STALL_S = 10.0  # no frame for this long and the camera counts as lost (reconnects take 0.5 s, 1 s, 2 s...)
WATCHDOG_PERIOD_S = 1.0  # how often the stall is checked
MACHINE_ID_PATH = Path("/etc/machine-id")
DEVICE_ID_DIGEST_CHARS = 12
DEVICE_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]+")  # what Home Assistant allows in a discovery topic
PACKAGE = "mnist-edge"

# Jinja templates Home Assistant runs on the reading's JSON (the --headless object). An unsure or
# empty reading renders None, which Home Assistant shows as "unknown" rather than a wrong number.
READING_TEMPLATE = (
    "{{ value_json.text | int if value_json.text and '?' not in value_json.text else none }}"
)
LEAST_CONFIDENCE_TEMPLATE = (
    "{% set c = value_json.digits | map(attribute='confidence') | list %}"
    "{{ ((c | min) * 100) | round(1) if c else none }}"
)


def software_version() -> str:
    """The installed mnist-edge version ("unknown" when run from a source tree without install)."""
    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return "unknown"


def machine_identity() -> str:
    """Something stable per machine: systemd's machine id, else the network card's MAC address."""
    try:
        text = MACHINE_ID_PATH.read_text().strip()
    except OSError:
        text = ""
    return text or f"mac-{uuid.getnode():012x}"


def default_device_id(source: str, topic: str, machine: str | None = None) -> str:
    """A stable id for this reader: the machine, the source and the topic, hashed.

    Two readers on one Pi (two cameras, or two topics) get different ids; the machine id itself
    never leaves the Pi.
    """
    seed = "\0".join((machine if machine is not None else machine_identity(), source, topic))
    return "mnist_edge_" + hashlib.sha256(seed.encode()).hexdigest()[:DEVICE_ID_DIGEST_CHARS]


def parse_device_id(text: str) -> str:
    """`text` if Home Assistant accepts it as a device id, else a UserError."""
    if not DEVICE_ID_PATTERN.fullmatch(text):
        raise UserError(
            f"--device-id {text!r}: use only letters, digits, _ and - (it becomes an MQTT topic level)"
        )
    return text


def parse_prefix(text: str) -> str:
    """`text` if it can be a discovery prefix (a topic without wildcards), else a UserError."""
    if not text or text.startswith("/") or text.endswith("/") or "+" in text or "#" in text:
        raise UserError(
            f"--ha-discovery {text!r}: give a topic prefix without + # or outer /, e.g. homeassistant"
        )
    return text


@dataclass(frozen=True)
class Discovery:
    """What Home Assistant is told about this reader."""

    state_topic: str  # where the readings' JSON is published (the --mqtt topic)
    device_id: str  # unique per reader: default_device_id() or --device-id
    prefix: str = DEFAULT_PREFIX  # Home Assistant's discovery prefix
    name: str = ""  # device name shown in Home Assistant; "" = "mnist-edge <topic>"
    model: str = "digit reader"  # shown as the device's model (the .tflite file name)
    stall_s: float = STALL_S  # seconds without a frame before the problem sensor turns ON

    @property
    def config_topic(self) -> str:
        return f"{self.prefix}/device/{self.device_id}/config"

    @property
    def status_topic(self) -> str:
        """Where Home Assistant announces itself with "online" after it (re)starts."""
        return f"{self.prefix}/status"

    @property
    def availability_topic(self) -> str:
        return f"{self.state_topic}/availability"

    @property
    def problem_topic(self) -> str:
        return f"{self.state_topic}/problem"


def discovery_config(d: Discovery, sw_version: str | None = None) -> dict:
    """The device-based discovery payload (abbreviations dev, o, cmps, p as Home Assistant documents)."""
    sw = sw_version or software_version()
    uid = d.device_id
    return {
        "dev": {
            "ids": [uid],
            "name": d.name or f"mnist-edge {d.state_topic}",
            "mf": PACKAGE,
            "mdl": d.model,
            "sw": sw,
        },
        "o": {"name": PACKAGE, "sw": sw},
        "cmps": {
            "reading": {
                "p": "sensor",
                "name": "Reading",
                "unique_id": f"{uid}_reading",
                "state_class": "measurement",
                "value_template": READING_TEMPLATE,
                "icon": "mdi:counter",
            },
            "least_confidence": {
                "p": "sensor",
                "name": "Least digit confidence",
                "unique_id": f"{uid}_least_confidence",
                "state_class": "measurement",
                "unit_of_measurement": "%",
                "value_template": LEAST_CONFIDENCE_TEMPLATE,
                "entity_category": "diagnostic",
                "icon": "mdi:gauge",
            },
            "camera_problem": {
                "p": "binary_sensor",
                "name": "Camera problem",
                "unique_id": f"{uid}_camera_problem",
                "device_class": "problem",
                "state_topic": d.problem_topic,
                "payload_on": PROBLEM_ON,
                "payload_off": PROBLEM_OFF,
                "entity_category": "diagnostic",
            },
        },
        "state_topic": d.state_topic,
        "availability_topic": d.availability_topic,
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "qos": 1,
    }


class HomeAssistantLink:
    """Keeps Home Assistant's view of the reader current through `publish(topic, text)` (retained).

    The MQTT sink calls on_connect, on_message and frame_seen; a watchdog thread turns the problem
    sensor ON when frames stop, and frame_seen turns it OFF when they come back.
    """

    def __init__(self, discovery: Discovery, publish: Callable[[str, str], None]) -> None:
        self.discovery = discovery
        self._publish = publish
        self._lock = threading.Lock()
        self._last_frame = time.monotonic()
        self.problem = False
        self._stop = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="ha-watchdog", daemon=True)
        self._watchdog.start()

    @property
    def will(self) -> tuple[str, str]:
        """(topic, payload) of the MQTT last will: set before connecting."""
        return self.discovery.availability_topic, OFFLINE

    def announce(self) -> None:
        """Send the discovery config, availability online and the current problem state."""
        d = self.discovery
        self._publish(d.config_topic, json.dumps(discovery_config(d)))
        self._publish(d.availability_topic, ONLINE)
        with self._lock:
            self._publish(d.problem_topic, PROBLEM_ON if self.problem else PROBLEM_OFF)

    def on_connect(self, subscribe: Callable[[str], None]) -> None:
        """After each (re)connect: listen for Home Assistant's birth message and announce."""
        subscribe(self.discovery.status_topic)
        self.announce()

    def on_message(self, topic: str, payload: bytes) -> None:
        """Home Assistant came (back) online: it may have lost the discovery config, send it again."""
        if topic == self.discovery.status_topic and payload.strip() == ONLINE.encode():
            self.announce()

    def frame_seen(self, now: float | None = None) -> None:
        """A frame arrived: the camera works (clears the problem if it was set)."""
        with self._lock:
            self._last_frame = time.monotonic() if now is None else now
            if self.problem:
                self.problem = False
                self._publish(self.discovery.problem_topic, PROBLEM_OFF)

    def check_stall(self, now: float | None = None) -> bool:
        """Turn the problem ON if no frame came for stall_s; return the problem state."""
        with self._lock:
            now = time.monotonic() if now is None else now
            if not self.problem and now - self._last_frame > self.discovery.stall_s:
                self.problem = True
                self._publish(self.discovery.problem_topic, PROBLEM_ON)
            return self.problem

    def _watch(self) -> None:
        while not self._stop.wait(min(WATCHDOG_PERIOD_S, self.discovery.stall_s / 2)):
            self.check_stall()

    def close(self, connected: bool) -> None:
        """Stop the watchdog; say `offline` (a clean exit does not trigger the last will)."""
        self._stop.set()
        self._watchdog.join(timeout=WATCHDOG_PERIOD_S * 2)
        if connected:
            self._publish(self.discovery.availability_topic, OFFLINE)
