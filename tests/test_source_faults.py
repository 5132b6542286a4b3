"""Sources under hostile input: odd file names, FIFOs, devices, loops, image bombs, silent streams."""

from __future__ import annotations

import json
import logging
import os
import socket
import struct
import subprocess
import sys
import threading
import zlib

import cv2
import numpy as np
import pytest

from edge_app.errors import UserError
from edge_app.sources import EXIT_SOURCE_LOST, RetryPolicy, open_source
from synthetic.video import write_frames
from tests.conftest import ROOT

NON_UTF8 = os.fsdecode(b"caf\xe9-\xff")  # Latin-1 bytes: not valid UTF-8


def _digit_image(value: int = 0) -> np.ndarray:
    image = np.full((64, 64, 3), 255, np.uint8)
    cv2.putText(image, str(value), (16, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (0, 0, 0), 3)
    return image


def _png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def _printable_json(name: str) -> None:
    text = json.dumps({"source": name}, ensure_ascii=False)
    text.encode("utf-8")  # a lone surrogate would raise here (web page, MQTT payload)
    assert name.isprintable()


def _frames_in_subprocess(spec: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Iterate a source in a child, so a crash in OpenCV or a hang fails this test, not the run."""
    code = (
        "import sys\nfrom edge_app.sources import open_source\n"
        "for f in open_source(sys.argv[1]): print(f.name, f.image.shape)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, os.fsencode(spec)],
        capture_output=True,
        timeout=timeout,
        env=env,
    )


def test_non_utf8_names_in_a_folder_are_read_not_crashed_on(tmp_path):
    (tmp_path / f"{NON_UTF8}.png").write_bytes(_png(_digit_image(3)))
    (tmp_path / "plain.png").write_bytes(_png(_digit_image(4)))
    done = _frames_in_subprocess(str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(done.stdout.splitlines()) == 2
    names = [f.name for f in open_source(str(tmp_path))]
    assert names[0] == "caf\\xe9-\\xff.png" and names[1] == "plain.png"
    for name in names:
        _printable_json(name)


def test_non_utf8_single_image_and_video_names(tmp_path):
    image_path = tmp_path / f"{NON_UTF8}.png"
    image_path.write_bytes(_png(_digit_image(5)))
    video_path = tmp_path / f"{NON_UTF8}.avi"
    write_frames(tmp_path / "plain.avi", [_digit_image(i) for i in range(3)])
    os.rename(tmp_path / "plain.avi", video_path)
    for spec in (image_path, video_path):
        done = _frames_in_subprocess(str(spec))
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip()
    source = open_source(str(video_path))
    frames = list(source)
    source.close()
    assert len(frames) == 3
    _printable_json(frames[0].name)


def test_fifo_in_an_image_folder_is_skipped_with_a_warning(tmp_path):
    (tmp_path / "a.png").write_bytes(_png(_digit_image(1)))
    os.mkfifo(tmp_path / "b.png")
    done = _frames_in_subprocess(str(tmp_path), timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(done.stdout.splitlines()) == 1
    assert b"skipping" in done.stderr and b"FIFO" in done.stderr


@pytest.mark.parametrize(
    ("make", "said"),
    [
        ("fifo", "is a FIFO"),
        ("devnull", "is a character device"),
        ("loop", "symlink loop"),
        ("dangling", "broken symlink"),
        ("empty", "--source is empty"),
        ("long", "name too long"),
    ],
)
def test_odd_source_paths_say_what_they_are(tmp_path, make, said):
    spec = {
        "devnull": "/dev/null",
        "empty": "",
        "long": str(tmp_path / ("x" * 300 + ".png")),
    }.get(make, str(tmp_path / "odd.png"))
    if make == "fifo":
        os.mkfifo(spec)
    elif make == "loop":
        os.symlink(tmp_path / "other", tmp_path / "odd.png")
        os.symlink(tmp_path / "odd.png", tmp_path / "other")
    elif make == "dangling":
        os.symlink(tmp_path / "missing.png", spec)
    with pytest.raises(UserError) as e:
        open_source(spec)
    assert said in str(e.value) and "\n" not in str(e.value)
    assert "not found" not in str(e.value)


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    idat = b"IDAT" + zlib.compress(b"\0" * 30001 * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", len(idat) - 4)
        + idat
        + struct.pack(">I", zlib.crc32(idat))
    )


def test_image_bomb_is_refused_from_its_header(tmp_path, caplog):
    (tmp_path / "bomb.png").write_bytes(_png_header(30000, 30000))
    (tmp_path / "fine.png").write_bytes(_png(_digit_image(2)))
    with caplog.at_level(logging.WARNING):
        frames = list(open_source(str(tmp_path)))
    assert [f.name for f in frames] == ["fine.png"]
    assert any("30000x30000" in r.getMessage() for r in caplog.records)
    with pytest.raises(UserError, match="megapixel"):
        open_source(str(tmp_path / "bomb.png"))


def test_jpeg_header_size_is_read_before_decoding():
    from edge_app.sources.image_io import header_size

    for shape in ((37, 91), (480, 640)):
        for ext in (".jpg", ".png", ".bmp", ".webp", ".tiff", ".pgm"):
            image = np.zeros((*shape, 3 if ext != ".pgm" else 1), np.uint8)
            data = cv2.imencode(ext, image)[1].tobytes()
            assert header_size(data) == (shape[1], shape[0]), ext


class _SilentAfterOneFrame:
    """A loopback MJPEG server: the first client gets one frame then silence, later ones nothing."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.clients: list[socket.socket] = []
        self.frame = cv2.imencode(".jpg", _digit_image(7))[1].tobytes()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.clients.append(client)
            if len(self.clients) == 1:
                client.recv(4096)
                head = b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=f\r\n\r\n"
                part = b"--f\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(
                    self.frame
                )
                client.sendall(head + (part + self.frame + b"\r\n") * 3)

    def close(self) -> None:
        self.server.close()
        for client in self.clients:
            client.close()


def test_stream_that_stays_connected_but_sends_nothing_is_lost_with_exit_3():
    server = _SilentAfterOneFrame()
    retry = RetryPolicy(max_retries=1, first_delay_s=0.01, stall_timeout_s=2.0)
    try:
        source = open_source(f"http://127.0.0.1:{server.port}/stream.mjpg", retry=retry)
        frames = []
        with pytest.raises(UserError) as e:
            for frame in source:
                frames.append(frame)
                assert len(frames) < 50, "a silent stream kept yielding frames"
        source.close()
    finally:
        server.close()
    assert frames and e.value.exit_code == EXIT_SOURCE_LOST
    assert len(server.clients) >= 2  # it reconnected before giving up
