"""The live view's HTTP server: where it listens, how many clients it serves, how long a request may take."""

from __future__ import annotations

import io
import logging
import math
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING

from edge_app.errors import UserError
from edge_app.sinks.web_access import AccessPolicy

if TYPE_CHECKING:
    import socket

    from edge_app.sinks.web import WebSink

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"  # loopback unless the user asks for the network (see the README)
DEFAULT_PORT = 8080
CLIENT_TIMEOUT_S = 10.0  # a client that does not read or send for this long is dropped
REQUEST_DEADLINE_S = 20.0  # a request's line and headers must arrive within this, however trickled
MAX_CLIENTS = 256  # connections served at once (each a thread); more are told 503 and closed
SERVER_NAME = "mnist-edge"  # the Server header: no Python version for a scanner to match
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nServer: " + SERVER_NAME.encode() + b"\r\n"
    b"Content-Type: application/json\r\nContent-Length: 32\r\nConnection: close\r\n\r\n"
    b'{"error": "too many clients"}   '
)


def parse_serve(spec: str) -> tuple[str, int]:
    """Return (host, port) from `--serve [HOST:]PORT`; the host defaults to loopback."""
    host, sep, port_text = spec.rpartition(":")
    if not sep:
        host = DEFAULT_HOST
    host = host or DEFAULT_HOST
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise UserError(f"--serve {spec!r}: expected [HOST:]PORT, e.g. 8080 or 0.0.0.0:8080")
    if ":" in host:
        raise UserError(f"--serve {spec!r}: IPv6 hosts are not supported; use an IPv4 address")
    return host, int(port_text)


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client never keeps the app from exiting
    allow_reuse_address = True  # a restarted service can bind at once
    sink: WebSink
    page: bytes  # web_page.html, read when the server starts
    access: AccessPolicy = AccessPolicy()
    request_deadline_s: float = REQUEST_DEADLINE_S

    def __init__(self, address, handler, max_clients: int = MAX_CLIENTS) -> None:
        self._slots = threading.BoundedSemaphore(max_clients)
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse(self, request: socket.socket) -> None:
        # In the accepting thread, so never blocking: a 503 fits any empty send buffer.
        try:
            request.setblocking(False)
            request.send(BUSY_RESPONSE)
        except OSError:
            pass
        self.shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            # A phone locking its screen mid-request is normal: one line, not a traceback.
            log.debug("web: %s went away: %s", client_address[0], type(error).__name__)
        else:
            log.exception("web: error serving %s", client_address[0])


class DeadlineReader(io.RawIOBase):
    """The client socket for reading, bounded per read and per request.

    A per-read timeout alone lets a client sending a byte every few seconds hold its thread
    forever; every recv here also gets no more than what is left of the request's deadline.
    """

    def __init__(self, connection: socket.socket, per_read_s: float) -> None:
        self._connection, self._per_read_s = connection, per_read_s
        self.deadline = math.inf  # time.monotonic() by which the current request must be in

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request took too long to arrive")
        self._connection.settimeout(min(self._per_read_s, remaining))
        try:
            return self._connection.recv_into(buffer)
        finally:
            self._connection.settimeout(self._per_read_s)
