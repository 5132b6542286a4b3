"""Publish readings to an MQTT broker with paho-mqtt (the `mqtt` extra): QoS 1, retained, reconnecting."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from edge_app.errors import UserError
from edge_app.sinks.ha_discovery import Discovery, HomeAssistantLink

if TYPE_CHECKING:
    import numpy as np

    from edge_app.result import FrameResult

__all__ = ["MqttSink", "MqttTarget", "mqtt_payload", "parse_mqtt_url"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 1883
QOS = 1  # at least once: a reading is never silently lost on a flaky link
KEEPALIVE_S = 30  # how soon a dead broker connection is noticed (about 1.5x this)
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30  # back-off cap while the broker is away
MAX_QUEUED_MESSAGES = (
    10_000  # held while the broker is away (a few MB at most); newer ones are dropped
)
CLOSE_FLUSH_S = 5.0  # on exit, how long to wait for the broker to acknowledge queued readings
INSTALL_HINT = 'the --mqtt option needs paho-mqtt: pip install "mnist-edge[mqtt]"'


@dataclass(frozen=True)
class MqttTarget:
    """Where readings go, parsed from mqtt://[USER[:PASSWORD]@]HOST[:PORT]/TOPIC."""

    host: str
    port: int
    topic: str
    username: str | None = None
    password: str | None = None


def parse_mqtt_url(url: str) -> MqttTarget:
    """Return the MqttTarget of `url`; a malformed URL is a UserError."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise UserError(f"--mqtt {url!r}: the port must be a number from 1 to 65535") from None
    topic = unquote(parts.path.lstrip("/"))
    if parts.scheme != "mqtt" or not parts.hostname or not topic:
        raise UserError(
            f"--mqtt {url!r}: expected mqtt://HOST[:PORT]/TOPIC, e.g. mqtt://localhost/meter"
        )
    if "+" in topic or "#" in topic:
        raise UserError(
            f"--mqtt {url!r}: a topic to publish to cannot contain the wildcards + or #"
        )
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return MqttTarget(parts.hostname, port, topic, username, password)


def mqtt_payload(result: FrameResult, now: datetime | None = None) -> dict:
    """The --headless JSON of `result` (its "text" is the stable reading) plus a UTC timestamp."""
    payload = result.to_json()
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    payload["timestamp"] = stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return payload


def _import_paho():
    try:
        import paho.mqtt.client as paho
    except ImportError:
        raise UserError(INSTALL_HINT) from None
    return paho


class MqttSink:
    """A Sink publishing readings; the broker may come and go, the reader never waits for it.

    `per_frame=True` (files, folders) publishes every frame's reading; otherwise (live sources) only
    each new stable reading. paho's network thread connects in the background, queues QoS 1 messages
    while the broker is away and sends them, in order, when it is back.
    """

    def __init__(
        self,
        url: str,
        per_frame: bool = False,
        client_id: str | None = None,
        keepalive_s: int = KEEPALIVE_S,
        discovery: Discovery | None = None,
    ) -> None:
        paho = self._paho = _import_paho()
        self.target = parse_mqtt_url(url)
        self.per_frame = per_frame
        self.queued = 0  # handed to paho
        self.acknowledged = 0  # confirmed by the broker (PUBACK)
        self.dropped = 0  # refused because the queue was full
        self.connected = threading.Event()
        self._acked = threading.Condition()
        self._last_text: str | None = None  # live sources publish only when this changes
        self._closing = False
        self._client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id=client_id or f"mnist-edge-{os.getpid()}"
        )
        if self.target.username:
            self._client.username_pw_set(self.target.username, self.target.password)
        self._client.max_queued_messages_set(MAX_QUEUED_MESSAGES)
        self._client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._ha = HomeAssistantLink(discovery, self._send) if discovery else None
        if self._ha:
            # Set before connecting: the broker says "offline" for a reader that dies silently.
            self._client.will_set(*self._ha.will, qos=QOS, retain=True)
            self._client.on_message = lambda _c, _u, m: self._ha.on_message(m.topic, m.payload)
        # connect_async: a broker that is down at start-up is retried like one that goes away later.
        self._client.connect_async(self.target.host, self.target.port, keepalive_s)
        self._client.loop_start()

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        """Queue the reading for the broker if it is one to publish; never blocks on the network."""
        if self._ha:
            self._ha.frame_seen()
        if not self.per_frame:
            # Compared before building the payload: a live camera repeats its number for hours.
            if result.text == self._last_text:
                return
            self._last_text = result.text
        self.publish(mqtt_payload(result))

    def publish(self, payload: dict) -> None:
        """Queue one JSON message on the topic, QoS 1, retained."""
        self._send(self.target.topic, json.dumps(payload))

    def _send(self, topic: str, text: str) -> None:
        info = self._client.publish(topic, text, qos=QOS, retain=True)
        if info.rc == self._paho.MQTT_ERR_QUEUE_SIZE:
            self.dropped += 1
            if self.dropped == 1:
                log.warning(
                    "mqtt: %d readings queued, dropping new ones until the broker is back",
                    MAX_QUEUED_MESSAGES,
                )
        else:
            with self._acked:  # Home Assistant messages are sent from paho's thread too
                self.queued += 1

    def close(self) -> None:
        """Give the broker a moment to acknowledge what is queued, then disconnect."""
        if self._ha:
            self._ha.close(connected=self.connected.is_set())
        # A short file run can end before the first connection is up: wait for it too, bounded.
        with self._acked:
            self._acked.wait_for(lambda: self.acknowledged >= self.queued, CLOSE_FLUSH_S)
        if self.acknowledged < self.queued:
            log.warning(
                "mqtt: %d readings not acknowledged by the broker at exit",
                self.queued - self.acknowledged,
            )
        self._closing = True
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning(
                "mqtt: broker %s:%d refused the connection: %s",
                self.target.host,
                self.target.port,
                reason_code,
            )
            return
        log.info("mqtt: connected to %s:%d", self.target.host, self.target.port)
        self.connected.set()
        if self._ha:
            self._ha.on_connect(lambda topic: client.subscribe(topic, qos=QOS))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if self._closing:
            return
        log.warning(
            "mqtt: disconnected from %s:%d (%s); retrying in the background",
            self.target.host,
            self.target.port,
            reason_code,
        )

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        with self._acked:
            self.acknowledged += 1
            self._acked.notify_all()
