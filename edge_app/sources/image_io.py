"""Image files read safely: bytes read by us (any file name), size checked from the header first.

OpenCV is never handed a file name: `cv2.imread` crashes on names that are not UTF-8, and
decoding a small file claiming 30000x30000 pixels takes minutes and gigabytes, so the dimensions
are read from the PNG, JPEG, BMP, WebP, TIFF or PNM header before `cv2.imdecode` runs.
"""

from __future__ import annotations

import os
import re
import struct

import cv2
import numpy as np

from edge_app.paths import read_regular

MAX_IMAGE_PIXELS = 50_000_000  # 50 megapixels: far above any camera frame, far below a bomb
MAX_IMAGE_FILE_BYTES = 256 << 20  # 256 MiB
_JPEG_SOF = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_PNM = re.compile(rb"P[1-6](?:\s+(?:#[^\n]*\n\s*)*)(\d+)\s+(?:#[^\n]*\n\s*)*(\d+)")


class ImageError(Exception):
    """An image file that cannot be used; the message says why in a few words."""


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    order = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", data[4:8])
    if offset + 2 > len(data):
        return None
    (count,) = struct.unpack(order + "H", data[offset : offset + 2])
    size: dict[int, int] = {}
    for k in range(count):
        entry = data[offset + 2 + 12 * k : offset + 14 + 12 * k]
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag in (256, 257):
            fmt = order + ("H" if kind == 3 else "I")
            size[tag] = struct.unpack(fmt, entry[8 : 8 + struct.calcsize(fmt)])[0]
    return (size[256], size[257]) if len(size) == 2 else None


def header_size(data: bytes) -> tuple[int, int] | None:
    """Return (width, height) from an image header, or None when the format is not recognised."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if data[:2] == b"\xff\xd8":
            return _jpeg_size(data)
        if data[:2] == b"BM":
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8X":
                w, h = data[24:27] + b"\0", data[27:30] + b"\0"
                return struct.unpack("<I", w)[0] + 1, struct.unpack("<I", h)[0] + 1
            if chunk == b"VP8L":
                bits = struct.unpack("<I", data[21:25])[0]
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
        if data[:4] in (b"II*\0", b"MM\0*"):
            return _tiff_size(data)
        match = _PNM.match(data[:512])
        if match:
            return int(match[1]), int(match[2])
    except struct.error:
        return None
    return None


def decode_image(data: bytes) -> np.ndarray:
    """Decode image bytes with OpenCV after checking the header's size; raise ImageError if unusable."""
    size = header_size(data)
    if size is not None and size[0] * size[1] > MAX_IMAGE_PIXELS:
        raise ImageError(
            f"{size[0]}x{size[1]} pixels, more than the {MAX_IMAGE_PIXELS // 1_000_000} megapixel limit"
        )
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageError("not an image OpenCV can decode")
    return image


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Return the image at `path`; ImageError when it is not a regular, decodable, sane-sized image."""
    try:
        data = read_regular(path, MAX_IMAGE_FILE_BYTES)
    except OSError as e:
        raise ImageError(e.strerror or str(e)) from e
    return decode_image(data)
