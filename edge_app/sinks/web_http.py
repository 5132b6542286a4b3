"""The live view's HTTP side: page, /api/reading, /api/events, /api/roi, /metrics, /healthz, MJPEG, labels."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING

from edge_app.errors import UserError
from edge_app.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE

if TYPE_CHECKING:
    from edge_app.sinks.web import WebSink

log = logging.getLogger(__name__)

BOUNDARY = "mnist-edge-frame"
PAGE_RESOURCE = "web_page.html"
CLIENT_TIMEOUT_S = 10.0  # a client that does not read for this long is dropped
MAX_BODY_BYTES = 1024  # an ROI or a label is ~40 bytes of JSON: anything much bigger is not one
SSE_RETRY_MS = 2000  # how soon a page reconnects to /api/events after the service restarts


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client never keeps the app from exiting
    allow_reuse_address = True  # a restarted service can bind at once
    sink: WebSink
    page: bytes  # web_page.html, read when the server starts


def page_bytes() -> bytes:
    """The live view page (web_page.html beside this module)."""
    return resources.files("edge_app.sinks").joinpath(PAGE_RESOURCE).read_bytes()


class WebHandler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"  # keep-alive: the page polls twice a second
    timeout = CLIENT_TIMEOUT_S

    def _authorized(self) -> bool:
        """True when this request may read or change the reader (the security rules live here)."""
        return True

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        path = self.path.split("?", 1)[0]
        sink = self.server.sink
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, self.server.page, "text/html; charset=utf-8")
        elif path in ("/api/events", "/metrics", "/api/unlabelled") and not self._authorized():
            self._error(HTTPStatus.FORBIDDEN, "not allowed")
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
            self._error(HTTPStatus.FORBIDDEN, "not allowed")
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

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, sink: WebSink) -> None:
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
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
