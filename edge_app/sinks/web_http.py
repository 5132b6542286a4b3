"""The live view's HTTP side: page, /api/reading, /api/events, /api/roi, /metrics, /healthz, MJPEG, labels."""

from __future__ import annotations

import io
import json
import logging
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from edge_app.errors import UserError
from edge_app.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from edge_app.sinks.web_server import CLIENT_TIMEOUT_S, SERVER_NAME, DeadlineReader, Server

if TYPE_CHECKING:
    from edge_app.sinks.web import WebSink

log = logging.getLogger(__name__)

BOUNDARY = "mnist-edge-frame"
PAGE_RESOURCE = "web_page.html"
MAX_BODY_BYTES = 1024  # an ROI or a label is ~40 bytes of JSON: anything much bigger is not one
SSE_RETRY_MS = 2000  # how soon a page reconnects to /api/events after the service restarts
OPEN_PATHS = frozenset({"/healthz"})  # served without the token, so monitors need no secret
SAFE_METHODS = frozenset({"GET", "HEAD"})


def page_bytes() -> bytes:
    """The live view page (web_page.html beside this module)."""
    return resources.files("edge_app.sinks").joinpath(PAGE_RESOURCE).read_bytes()


class WebHandler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"  # keep-alive: the page polls twice a second
    timeout = CLIENT_TIMEOUT_S

    def setup(self) -> None:
        super().setup()
        self._reader = DeadlineReader(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self._reader)
        self._cookie: str | None = None

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + self.server.request_deadline_s
        self._cookie = None
        super().handle_one_request()

    def version_string(self) -> str:
        return SERVER_NAME

    def _authorized(self) -> bool:
        """Whether this request may be served; if not, the refusal has been sent.

        Every route calls it first. It refuses a Host header that is not ours (421: a
        DNS-rebinding page), a cross-site Origin on anything but GET/HEAD (403), and, when the
        server listens beyond loopback, a request without the token (401) in ?token=, an
        `Authorization: Bearer` header or the cookie that a valid ?token= sets.
        """
        access = self.server.access
        if not access.host_allowed(self.headers.get("Host")):
            self._deny(HTTPStatus.MISDIRECTED_REQUEST, "this server does not serve that host name; "
                         "start it with --allow-host NAME to allow it")  # fmt: skip
            return False
        origin = self.headers.get("Origin")
        host = (self.headers.get("Host") or "").lower()
        if self.command not in SAFE_METHODS and origin and urlsplit(origin).netloc.lower() != host:
            self._deny(HTTPStatus.FORBIDDEN, "cross-site requests are not served")
            return False
        if access.token is None or self.path.partition("?")[0] in OPEN_PATHS:
            return True
        token, from_query = access.presented_token(
            self.path, self.headers.get("Authorization"), self.headers.get("Cookie")
        )
        if not access.token_ok(token):
            self._deny(HTTPStatus.UNAUTHORIZED, "open the address with ?token=... from the log "
                         "or the token file on the device")  # fmt: skip
            return False
        if from_query:
            self._cookie = access.cookie()
        return True

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        if not self._authorized():
            return
        path = self.path.split("?", 1)[0]
        sink = self.server.sink
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, self.server.page, "text/html; charset=utf-8")
        elif path == "/api/events":
            self._events(sink)
        elif path == "/metrics":
            text = sink.metrics_text()
            if text is None:
                self._error(HTTPStatus.NOT_FOUND, "no metrics here")
            else:
                self._send(HTTPStatus.OK, text.encode(), METRICS_CONTENT_TYPE)
        elif path == "/api/reading":
            reading = sink.latest_reading()
            if reading is None:
                body = json.dumps({"error": "no frame received yet"}).encode()
                self._send(HTTPStatus.SERVICE_UNAVAILABLE, body, "application/json")
            else:
                self._send(HTTPStatus.OK, reading, "application/json")
        elif path == "/healthz":
            ok, details = sink.health()
            status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
            self._send(status, json.dumps(details).encode(), "application/json")
        elif path == "/stream.mjpg":
            self._stream(sink)
        elif path == "/api/unlabelled":
            self._send(HTTPStatus.OK, json.dumps(sink.unlabelled()).encode(), "application/json")
        else:
            self._error(HTTPStatus.NOT_FOUND, "not found")

    def do_POST(self) -> None:  # noqa: N802 (the http.server name)
        path = self.path.split("?", 1)[0]
        if path not in ("/api/roi", "/api/label"):
            self._error(HTTPStatus.NOT_FOUND, "not found")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would be taken for the next request
            self._error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "an ROI or a label is a small JSON object"
            )
            return
        body = self.rfile.read(length)
        if not self._authorized():
            return
        if path == "/api/label":
            self._label(body)
            return
        try:
            roi = self.server.sink.set_roi(json.loads(body or b"null"))
        except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
            message = str(e) if not isinstance(e, json.JSONDecodeError) else "body is not JSON"
            self._error(HTTPStatus.BAD_REQUEST, message)
            return
        body = json.dumps({"roi": list(roi) if roi else None}).encode()
        self._send(HTTPStatus.OK, body, "application/json")

    def _label(self, body: bytes) -> None:
        """POST /api/label {"text": "147"[, "id": entry]}: save crops as that number, or say why not."""
        try:
            request = json.loads(body)
            text, entry_id = request["text"], request.get("id")
            if not isinstance(text, str) or not (entry_id is None or isinstance(entry_id, str)):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):  # UnicodeDecodeError too
            self._error(
                HTTPStatus.BAD_REQUEST,
                'expected JSON {"text": "147"} (and "id" of an unlabelled entry)',
            )
            return
        try:
            saved = self.server.sink.label(text, entry_id)
        except UserError as e:
            self._error(HTTPStatus.BAD_REQUEST, str(e))
            return
        log.info("web: labelled %s as %s", entry_id or "the current frame", saved["text"])
        self._send(HTTPStatus.OK, json.dumps(saved).encode(), "application/json")

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._send(status, json.dumps({"error": message}).encode(), "application/json")

    do_HEAD = do_GET  # noqa: N815 - monitors ask with HEAD; _send and _stream skip the body

    def end_headers(self) -> None:
        if self._cookie is not None:
            self.send_header("Set-Cookie", self._cookie)
        super().end_headers()

    def _deny(self, status: HTTPStatus, message: str) -> None:
        extra = {"WWW-Authenticate": "Bearer"} if status is HTTPStatus.UNAUTHORIZED else {}
        self._send(status, json.dumps({"error": message}).encode(), "application/json", extra)

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _stream(self, sink: WebSink) -> None:
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        frames = sink.frames()
        try:
            for seq, jpeg in frames:
                # X-Frame-Seq names the frame, as /api/events does: a client can pair the two.
                head = (
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n"
                    f"X-Frame-Seq: {seq}\r\n\r\n"
                )
                self.wfile.write(head.encode() + jpeg + b"\r\n")
                self.wfile.flush()
        except (ConnectionError, TimeoutError):
            pass  # the browser went away or stopped reading: its thread ends, nobody else notices
        finally:
            frames.close()  # this client no longer counts as streaming

    def _events(self, sink: WebSink) -> None:
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        events = sink.events()
        try:
            self.wfile.write(f"retry: {SSE_RETRY_MS}\n\n".encode())
            for event in events:
                self.wfile.write(event)
                self.wfile.flush()
        except (ConnectionError, TimeoutError):
            pass  # as for the MJPEG stream: only this page's thread ends
        finally:
            events.close()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the http.server signature)
        log.debug("web: %s - %s", self.address_string(), format % args)
