"""Publish readings to an MQTT broker with paho-mqtt (the `mqtt` extra): QoS 1, retained, reconnecting."""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from edge_app.errors import UserError
from edge_app.redact import redact_url
from edge_app.sinks.ha_discovery import Discovery, HomeAssistantLink

if TYPE_CHECKING:
    import numpy as np

    from edge_app.result import FrameResult

__all__ = ["MqttSink", "MqttTarget", "mqtt_password", "mqtt_payload", "parse_mqtt_url"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 1883
QOS = 1  # at least once: a reading is never silently lost on a flaky link
KEEPALIVE_S = 30  # how soon a dead broker connection is noticed (about 1.5x this)
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30  # back-off cap while the broker is away
# Held while the broker is away (a few MB at most); newer ones are dropped.
MAX_QUEUED_MESSAGES = 10_000
CLOSE_FLUSH_S = 5.0  # on exit, how long to wait for the broker to acknowledge queued readings
FIRST_ANSWER_S = 3.0  # at start, how long to wait for the broker to accept or refuse the login
# One message in flight at a time: after a reconnect paho resends what was in flight, and with
# several in flight a resent reading can land after a newer one. Ordered costs one round trip per
# reading (hundreds a second on a LAN), far more than a camera's changes of number.
MAX_INFLIGHT = 1
MAX_TOPIC_BYTES = 65535  # the MQTT limit on a topic's UTF-8 length
PASSWORD_ENV = "MNIST_EDGE_MQTT_PASSWORD"
# CONNACK codes meaning "these credentials will not do" (MQTT 3.1.1: 4, 5; MQTT 5: 134, 135).
LOGIN_REFUSED_CODES = frozenset({4, 5, 134, 135})
INSTALL_HINT = 'the --mqtt option needs paho-mqtt: pip install "mnist-edge[mqtt]"'


@dataclass(frozen=True)
class MqttTarget:
    """Where readings go, parsed from mqtt://[USER[:PASSWORD]@]HOST[:PORT]/TOPIC."""

    host: str
    port: int
    topic: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never shown, not even in a repr


def parse_mqtt_url(url: str) -> MqttTarget:
    """Return the MqttTarget of `url`; a malformed URL or topic is a UserError (password hidden)."""
    shown = repr(redact_url(url))
    if "?" in url or "#" in url:
        # A URL would end the topic there (query, fragment) and publish somewhere else, silently.
        raise UserError(
            f"--mqtt {shown}: the topic cannot hold a raw ? or #; write ? as %3F "
            "(# is an MQTT wildcard, never valid in a topic to publish to)"
        )
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise UserError(f"--mqtt {shown}: the port must be a number from 1 to 65535") from None
    topic = unquote(parts.path.lstrip("/"))
    if parts.scheme != "mqtt" or not parts.hostname or not topic:
        raise UserError(
            f"--mqtt {shown}: expected mqtt://HOST[:PORT]/TOPIC, e.g. mqtt://localhost/meter"
        )
    if "+" in topic or "#" in topic:
        raise UserError(
            f"--mqtt {shown}: a topic to publish to cannot contain the wildcards + or #"
        )
    if "\0" in topic or len(topic.encode("utf-8", "surrogatepass")) > MAX_TOPIC_BYTES:
        raise UserError(
            f"--mqtt {shown}: a topic must not contain NUL and holds at most {MAX_TOPIC_BYTES} bytes"
        )
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return MqttTarget(parts.hostname, port, topic, username, password)


def mqtt_password(password_file: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The broker password from `password_file`, else $MNIST_EDGE_MQTT_PASSWORD, else None.

    Neither shows in `ps` or the unit file the way a password in the --mqtt URL does.
    """
    if password_file is not None:
        path = Path(password_file)
        try:
            password = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else "not UTF-8 text"
            raise UserError(
                f"--mqtt-password-file {path}: {reason}; give a readable file holding the password"
            ) from None
        if not password:
            raise UserError(f"--mqtt-password-file {path} is empty; write the password in it")
        return password
    return (environ if environ is not None else os.environ).get(PASSWORD_ENV) or None


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
        password: str | None = None,
    ) -> None:
        paho = self._paho = _import_paho()
        self.target = parse_mqtt_url(url)
        if self.target.password:
            log.warning(
                "mqtt: a password in the --mqtt URL shows in ps and in unit files; use "
                "--mqtt-password-file or $%s instead",
                PASSWORD_ENV,
            )
        password = password or self.target.password
        if password and not self.target.username:
            raise UserError(
                "an MQTT password needs a user name: give it in the URL, mqtt://USER@HOST/TOPIC"
            )
        self.per_frame = per_frame
        self.queued = 0  # handed to paho
        self.acknowledged = 0  # confirmed by the broker (PUBACK)
        self.dropped = 0  # refused because the queue was full
        self.connected = threading.Event()
        self.refused: str | None = None  # why the broker refused our first login, if it did
        self._answered = threading.Event()  # the first connection attempt succeeded or failed
        self._ever_connected = False
        self._refusal_raised = False
        self._acked = threading.Condition()
        self._last_text: str | None = None  # live sources publish only when this changes
        self._closing = False
        # Random, not the PID: two containers both run as PID 1 and would kick each other off.
        # 19 characters: the MQTT 3.1.1 spec lets a broker refuse client ids beyond 23.
        self.client_id = client_id or f"mnist-edge-{secrets.token_hex(4)}"
        self._client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=self.client_id)
        if self.target.username:
            self._client.username_pw_set(self.target.username, password)
        self._client.max_queued_messages_set(MAX_QUEUED_MESSAGES)
        self._client.max_inflight_messages_set(MAX_INFLIGHT)
        self._client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._ha = HomeAssistantLink(discovery, self._send) if discovery else None
        if self._ha:
            # Set before connecting: the broker says "offline" for a reader that dies silently.
            self._client.will_set(*self._ha.will, qos=QOS, retain=True)
            self._client.on_message = lambda _c, _u, m: self._ha.on_message(m.topic, m.payload)
        self._client.on_connect_fail = lambda client, userdata: self._answered.set()
        # connect_async: a broker that is down at start-up is retried like one that goes away later.
        self._client.connect_async(self.target.host, self.target.port, keepalive_s)
        self._client.loop_start()
        # A broker that answers refuses a wrong login at once: say so now rather than run for
        # hours losing every reading. One that does not answer yet is retried in the background.
        self._answered.wait(FIRST_ANSWER_S)
        self._raise_if_refused()

    def _raise_if_refused(self) -> None:
        if self.refused is None or self._refusal_raised:
            return
        self._refusal_raised = True  # one error line, whether the loop or close() notices first
        self._closing = True
        self._client.disconnect()
        self._client.loop_stop()
        raise UserError(
            f"MQTT broker {self.target.host}:{self.target.port} refused the login "
            f"({self.refused}); check the user name in --mqtt and the password "
            f"(--mqtt-password-file or ${PASSWORD_ENV})"
        )

    def handle(self, result: FrameResult, frame: np.ndarray) -> None:
        """Queue the reading for the broker if it is one to publish; never blocks on the network."""
        self._raise_if_refused()  # a slow broker's refusal of the first login arrives here
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
            self._acked.wait_for(
                lambda: self.acknowledged >= self.queued or self.refused is not None,
                CLOSE_FLUSH_S,
            )
        if self.acknowledged < self.queued and self.refused is None:
            log.warning(
                "mqtt: %d readings not acknowledged by the broker at exit",
                self.queued - self.acknowledged,
            )
        self._closing = True
        self._client.disconnect()
        self._client.loop_stop()
        self._raise_if_refused()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            if reason_code.value in LOGIN_REFUSED_CODES and not self._ever_connected:
                # The constructor, the frame loop or close() turns this into one error line, exit 2.
                self.refused = str(reason_code)
                with self._acked:
                    self._acked.notify_all()
                self._answered.set()
                return
            log.warning(
                "mqtt: broker %s:%d refused the connection: %s",
                self.target.host,
                self.target.port,
                reason_code,
            )
            self._answered.set()
            return
        log.info("mqtt: connected to %s:%d", self.target.host, self.target.port)
        self._ever_connected = True
        self.connected.set()
        self._answered.set()
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
