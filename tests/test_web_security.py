"""The web view against hostile and unlucky clients: foreign Host names, no token, HEAD, slow and aborted clients."""

from __future__ import annotations

import logging
import os
import socket
import stat
import struct
import time
from http import HTTPStatus

import pytest

from edge_app.sinks.web import WebSink
from edge_app.sinks.web_access import TOKEN_COOKIE
from edge_app.sinks.web_http import WebHandler
from tests.test_web import frame_result, numbered_frame, wait_until

TRICKLE_GAP_S = 0.3  # well inside the per-read timeout: only a whole-request deadline stops it
TRICKLE_FOR_S = 15.0  # far beyond the test server's 1 s deadline


def request(port: int, head: str, read_body: bool = True) -> tuple[int, dict[str, str], bytes]:
    """Send raw request `head` (without the final blank line); return (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(head.encode() + b"\r\nConnection: close\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            assert chunk, f"connection closed after {data!r}"
            data += chunk
        top, _, body = data.partition(b"\r\n\r\n")
        lines = top.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if read_body and "content-length" in headers:
            while len(body) < int(headers["content-length"]):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                body += chunk
        return int(lines[0].split()[1]), headers, body


def get(port: int, path: str, host: str | None = None, *extra: str) -> tuple[int, dict, bytes]:
    host_line = [f"Host: {host}"] if host is not None else []
    return request(port, "\r\n".join([f"GET {path} HTTP/1.1", *host_line, *extra]))


@pytest.fixture
def sink():
    web = WebSink("127.0.0.1", 0)
    web.handle(frame_result(0), numbered_frame(0))
    yield web
    web.close()


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8080", "localhost.evil.example", "10.1.2.3"]
)
def test_foreign_host_names_are_refused(sink, host):
    # A DNS-rebinding page reaches 127.0.0.1 under its own domain name: Host gives it away.
    for path in ("/", "/api/reading", "/stream.mjpg", "/healthz"):
        status, _, body = get(sink.port, path, host)
        assert status == 421, (path, status)
        assert b"--allow-host" in body


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:8080", "127.0.0.1:{port}", "127.9.9.9", "[::1]:80", None]
)
def test_loopback_hosts_are_served_without_a_token(sink, host):
    status, _, body = get(sink.port, "/api/reading", host and host.format(port=sink.port))
    assert status == 200 and b'"frame": 0' in body


def test_allow_host_adds_a_name():
    web = WebSink("127.0.0.1", 0, allow_hosts=["meter.lan", "192.168.7.7"])
    try:
        assert get(web.port, "/healthz", "meter.lan:8080")[0] == 503  # served: no frame yet
        assert get(web.port, "/healthz", "192.168.7.7")[0] == 503
        assert get(web.port, "/healthz", "other.lan")[0] == 421
    finally:
        web.close()


def test_token_is_made_once_and_required_beyond_loopback(tmp_path):
    token_file = tmp_path / "config" / "token"
    web = WebSink("0.0.0.0", 0, token_file=token_file)
    try:
        assert web.new_token and web.token
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert token_file.read_text().strip() == web.token
        web.handle(frame_result(0), numbered_frame(0))
        host = f"127.0.0.1:{web.port}"
        for path in ("/", "/api/reading", "/stream.mjpg", "/api/reading?token=wrong"):
            status, headers, body = get(web.port, path, host)
            assert status == 401 and web.token.encode() not in body, path
            assert "set-cookie" not in headers
        assert get(web.port, "/healthz", host)[0] == 200  # monitors need no secret
        status, headers, body = get(web.port, f"/?token={web.token}", host)
        assert status == 200 and b'id="reading"' in body
        cookie = headers["set-cookie"]
        assert cookie.startswith(f"{TOKEN_COOKIE}={web.token};")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        # The page's own requests carry the cookie; scripts and curl may send a bearer token.
        assert (
            get(web.port, "/api/reading", host, f"Cookie: a=b; {TOKEN_COOKIE}={web.token}")[0]
            == 200
        )
        assert get(web.port, "/api/reading", host, f"Authorization: Bearer {web.token}")[0] == 200
        assert get(web.port, "/api/reading", host, "Authorization: Bearer nope")[0] == 401
    finally:
        web.close()
    again = WebSink("0.0.0.0", 0, token_file=token_file)
    try:
        assert not again.new_token and again.token == web.token  # the phone's cookie still works
    finally:
        again.close()


def test_unreadable_or_empty_token_file_is_one_line(tmp_path):
    from edge_app.errors import UserError

    empty = tmp_path / "token"
    empty.write_text("\n")
    with pytest.raises(UserError, match="is empty; delete it"):
        WebSink("0.0.0.0", 0, token_file=empty)
    with pytest.raises(
        UserError, match="cannot read the web token file .*under-a-file: Not a directory"
    ):
        WebSink("0.0.0.0", 0, token_file=empty / "under-a-file")


class PostingHandler(WebHandler):
    """A state-changing endpoint as the live view adds them: _authorized() first, then the work."""

    def do_POST(self) -> None:  # noqa: N802
        if self._authorized():
            self._send(HTTPStatus.NO_CONTENT, b"", "application/json")


@pytest.mark.parametrize(
    ("origin", "expected"),
    [("https://attacker.example", 403), ("http://127.0.0.1:1", 403), ("same", 204), (None, 204)],
)
def test_cross_site_posts_are_refused(origin, expected):
    web = WebSink("127.0.0.1", 0)
    web._server.RequestHandlerClass = PostingHandler
    try:
        host = f"127.0.0.1:{web.port}"
        origin_line = (
            []
            if origin is None
            else [f"Origin: {'http://' + host if origin == 'same' else origin}"]
        )
        head = "\r\n".join(
            ["POST /api/x HTTP/1.1", f"Host: {host}", *origin_line, "Content-Length: 0"]
        )
        assert request(web.port, head)[0] == expected
    finally:
        web.close()


def test_head_is_served_like_get_without_a_body(sink):
    for path in ("/", "/api/reading", "/healthz", "/nope"):
        got_status, got_headers, _ = get(sink.port, path)
        status, headers, body = request(sink.port, f"HEAD {path} HTTP/1.1", read_body=False)
        assert status == got_status and status != 501, path
        assert body == b"" and int(headers["content-length"]) > 0, path
        if path != "/healthz":  # its body holds the age of the last frame, which keeps changing
            assert headers["content-length"] == got_headers["content-length"], path
    status, headers, body = request(sink.port, "HEAD /stream.mjpg HTTP/1.1", read_body=False)
    assert status == 200 and headers["content-type"].startswith("multipart/") and body == b""


def test_server_header_names_no_python_version(sink):
    _, headers, _ = get(sink.port, "/healthz")
    assert headers["server"] == "mnist-edge"


def test_a_trickling_client_is_dropped_at_the_request_deadline():
    web = WebSink("127.0.0.1", 0, request_deadline_s=1.0)
    try:
        with socket.create_connection(("127.0.0.1", web.port), timeout=TRICKLE_GAP_S) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
            closed = False
            deadline = time.monotonic() + TRICKLE_FOR_S
            while not closed and time.monotonic() < deadline:
                try:
                    slow.sendall(b"a")
                    closed = slow.recv(1024) == b""
                except TimeoutError:
                    continue  # still open, still trickling
                except OSError:  # reset: closed too
                    closed = True
            assert closed, "the server kept a trickling client for the whole test"
        assert get(web.port, "/healthz")[0] == 503  # and still serves everybody else
    finally:
        web.close()


def test_client_threads_are_bounded_and_extra_clients_get_503():
    web = WebSink("127.0.0.1", 0, max_clients=2)
    holders = []
    try:
        for _ in range(2):  # two stream clients hold their threads as long as they watch
            holder = socket.create_connection(("127.0.0.1", web.port), timeout=20)
            holder.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert holder.recv(12) == b"HTTP/1.1 200"
            holders.append(holder)
        with socket.create_connection(("127.0.0.1", web.port), timeout=20) as extra:
            answer = extra.recv(1024)
        assert answer.startswith(b"HTTP/1.1 503"), answer
        holders.pop().close()
        wait_until(lambda: get(web.port, "/healthz")[0] == 503, "a free slot after a client left")
    finally:
        for holder in holders:
            holder.close()
        web.close()


ABORTS = 10


def test_aborted_requests_log_one_line_each_not_a_traceback(sink, capfd, caplog):
    caplog.set_level(logging.DEBUG, logger="edge_app.sinks.web_server")
    for _ in range(ABORTS):
        connection = socket.create_connection(("127.0.0.1", sink.port))
        connection.sendall(b"GET /api/reading HTTP/1.1\r\nHost: loc")  # and then a reset
        time.sleep(0.05)  # the server thread is reading the request now
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    went_away = lambda: [r for r in caplog.records if "went away" in r.getMessage()]  # noqa: E731
    wait_until(lambda: len(went_away()) == ABORTS, f"{ABORTS} one-line reports")
    assert all("\n" not in r.getMessage() and r.exc_info is None for r in went_away())
    assert "Traceback" not in capfd.readouterr().err
    assert get(sink.port, "/healthz")[0] == 200


def test_token_file_default_is_in_the_users_config(monkeypatch, tmp_path):
    from edge_app.sinks.web_access import default_token_file

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_token_file() == tmp_path / "mnist-edge" / "token"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert str(default_token_file()) == os.path.expanduser("~/.config/mnist-edge/token")


def test_service_unit_keeps_its_token_in_its_state_directory():
    import configparser
    import shlex

    from edge_app.__main__ import build_parser
    from edge_app.config import parse_args
    from tests.edge_live import ROOT

    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str
    unit.read(ROOT / "deploy" / "mnist-edge.service")
    service = unit["Service"]
    command = shlex.split(service["ExecStart"].replace("\\\n", " ").replace("\\", " "))
    # The unit's settings are the example config file's, in /etc's place.
    assert command[3:] == ["--config", "/etc/mnist-edge/reader.toml"]
    args = parse_args(build_parser(), ["--config", str(ROOT / "deploy" / "reader.toml")])
    assert str(args.token_file) == f"/var/lib/{service['StateDirectory']}/token"
    assert not any("password" in word and "file" not in word for word in command)
