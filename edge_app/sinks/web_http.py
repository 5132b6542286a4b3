"""The live view's HTTP side: the page, /api/reading, /healthz and the MJPEG stream of a WebSink."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge_app.sinks.web import WebSink

log = logging.getLogger(__name__)

BOUNDARY = "mnist-edge-frame"
PAGE_RESOURCE = "web_page.html"
CLIENT_TIMEOUT_S = 10.0  # a client that does not read for this long is dropped


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

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        path = self.path.split("?", 1)[0]
        sink = self.server.sink
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, self.server.page, "text/html; charset=utf-8")
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
        else:
            self._send(HTTPStatus.NOT_FOUND, b'{"error": "not found"}', "application/json")

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
            for jpeg in frames:
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                self.wfile.write(head.encode() + jpeg + b"\r\n")
                self.wfile.flush()
        except (ConnectionError, TimeoutError):
            pass  # the browser went away or stopped reading: its thread ends, nobody else notices
        finally:
            frames.close()  # this client no longer counts as streaming

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the http.server signature)
        log.debug("web: %s - %s", self.address_string(), format % args)
