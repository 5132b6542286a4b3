"""The command line of `python -m edge_app`: its flags, their types and the combinations refused."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from edge_app import config
from edge_app.cli_args import fraction, non_negative_int, positive_float, positive_int, thread_count
from edge_app.errors import UserError
from edge_app.model import DEFAULT_MODEL
from edge_app.options import POLARITIES, ReaderOptions
from edge_app.pacing import IMAGE_FPS
from edge_app.runtime import RUNTIME_CHOICES
from edge_app.sinks import ha_discovery
from edge_app.sinks.collect import DEFAULT_MAX_MB
from edge_app.sinks.mqtt import KEEPALIVE_S, PASSWORD_ENV, parse_mqtt_url
from edge_app.sinks.web_access import default_token_file
from edge_app.sinks.web_server import parse_serve
from edge_app.sources import RetryPolicy


def _checked(parse: Callable[[str], object]) -> Callable[[str], str]:
    """An argparse type that runs `parse` (which raises UserError) and keeps the text.

    So a typo in --serve or --mqtt is reported before the model loads and the camera starts.
    """

    def check(text: str) -> str:
        try:
            parse(text)
        except UserError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        return text

    return check


def _roi(text: str) -> tuple[int, int, int, int]:
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected x,y,w,h in pixels, got {text!r}") from None
    if x < 0 or y < 0 or w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"x,y must be >= 0 and w,h > 0, got {text!r}")
    return x, y, w, h


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m edge_app",
        description="Read handwritten numbers from a camera, video, image or folder of images. "
        "Headless mode prints one JSON object per frame on stdout; logs go to stderr.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--source",
        required=True,
        help="camera index (0), /dev/videoN, picamera, stream URL, video file, image file or folder",
    )
    p.add_argument("--model", default=DEFAULT_MODEL, help="the .tflite model (int8 from convert)")
    p.add_argument("--headless", action="store_true", help="no window: JSON lines on stdout")
    p.add_argument("--roi", type=_roi, default=None, help="only read inside x,y,w,h (pixels)")
    p.add_argument(
        "--min-confidence",
        type=fraction,
        default=ReaderOptions.min_confidence,
        help="digits below this probability are shown as ?",
    )
    p.add_argument(
        "--stable",
        type=positive_int,
        default=1,
        help="report a number only after N identical consecutive readings",
    )
    p.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="play a video, image or folder at its own frame rate instead of flat out "
        "(default: on with --serve, so the web view shows what a camera would)",
    )
    p.add_argument(
        "--fps",
        type=positive_float,
        default=None,
        help=f"--realtime rate (default: the video's own; {IMAGE_FPS:g} for images)",
    )
    p.add_argument("--threads", type=thread_count, default=1, help="interpreter threads")
    p.add_argument("--runtime", choices=RUNTIME_CHOICES, default="auto", help="TFLite runtime")
    p.add_argument("--save-dir", default=None, help="save annotated frames (JPEG) here")
    p.add_argument("--max-frames", type=non_negative_int, default=None, help="stop after N frames")
    p.add_argument("--loop", action="store_true", help="replay a video, image or folder forever")
    p.add_argument(
        "--max-retries",
        type=non_negative_int,
        default=RetryPolicy.max_retries,
        help="live sources: reconnect attempts after a drop before giving up (exit 3)",
    )
    p.add_argument(
        "--stall-timeout",
        type=positive_float,
        default=RetryPolicy.stall_timeout_s,
        metavar="SECONDS",
        help="stream URLs: no frame for this long counts as a drop (reconnect, then exit 3)",
    )
    p.add_argument(
        "--no-verify", action="store_true", help="skip the SHA-256 check against manifest.json"
    )
    p.add_argument("--polarity", choices=POLARITIES, default="auto", help="ink darker or lighter")
    p.add_argument(
        "--serve",
        type=_checked(parse_serve),
        nargs="?",
        const="8080",
        default=None,
        metavar="[HOST:]PORT",
        help="live web view on HOST (default 127.0.0.1) and PORT (--serve alone: 8080)",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the web view answers to besides localhost, its addresses and this "
        "machine's name (repeatable; other Host headers get 421, against DNS rebinding)",
    )
    p.add_argument(
        "--token-file",
        type=Path,
        default=default_token_file(),
        help="the web view's access token, made here (mode 0600) on first start; asked of every "
        "client when --serve listens beyond loopback",
    )
    p.add_argument(
        "--mqtt",
        type=_checked(parse_mqtt_url),
        default=None,
        metavar="URL",
        help='publish readings to mqtt://[USER@]HOST[:PORT]/TOPIC (needs pip install "mnist-edge[mqtt]")',
    )
    p.add_argument(
        "--mqtt-password-file",
        default=None,
        metavar="PATH",
        help=f"the MQTT password, read from this file (else ${PASSWORD_ENV}); never put it in the URL",
    )
    p.add_argument(
        "--mqtt-keepalive",
        type=positive_int,
        default=KEEPALIVE_S,
        metavar="SECONDS",
        help="MQTT keepalive: the broker declares a silent reader offline after about 1.5x this",
    )
    p.add_argument(
        "--ha-discovery",
        type=_checked(ha_discovery.parse_prefix),
        nargs="?",
        const=ha_discovery.DEFAULT_PREFIX,
        default=None,
        metavar="PREFIX",
        help="with --mqtt: announce the reader to Home Assistant under PREFIX "
        f"(--ha-discovery alone: {ha_discovery.DEFAULT_PREFIX}); see docs/home-assistant.md",
    )
    p.add_argument(
        "--device-id",
        type=_checked(ha_discovery.parse_device_id),
        default=None,
        help="Home Assistant device id (letters, digits, _ -); default: a hash of the machine id, "
        "the source and the topic",
    )
    p.add_argument(
        "--monotonic",
        action="store_true",
        help="a meter counter: a reading lower than the last good one is held back and flagged",
    )
    p.add_argument(
        "--max-step",
        type=positive_int,
        default=None,
        help="with --monotonic: a rise of more than N from the last good reading is held back too",
    )
    p.add_argument(
        config.CONFIG_FLAG,
        type=Path,
        default=None,
        metavar="FILE",
        help="read settings from a TOML file whose keys are these flags' names (min-confidence = "
        "0.6); flags given here override it; see docs/config.md",
    )
    p.add_argument(
        config.PRINT_FLAG, action="store_true", help="print the merged settings as TOML and exit"
    )
    p.add_argument(
        "--collect",
        default=None,
        metavar="DIR",
        help="save unsure frames' digit crops to DIR/unlabelled/ to label (web page or "
        "`python -m edge_app.label DIR`); labels go to DIR/labelled/",
    )
    p.add_argument(
        "--collect-max-mb",
        type=positive_int,
        default=DEFAULT_MAX_MB,
        help="--collect: size cap of DIR/unlabelled/; the oldest entries go first",
    )
    p.add_argument(
        "--no-reload",
        action="store_true",
        help="keep the model loaded at start, even when a new one is copied beside it",
    )
    p.add_argument("--verbose", action="store_true", help="debug logs on stderr")
    return p


def check_combinations(args) -> None:
    """Flags that only mean something together: a UserError rather than being silently ignored."""
    if args.max_step is not None and not args.monotonic:
        raise UserError("--max-step needs --monotonic (it limits how far a counter may rise)")
    if (args.ha_discovery is not None or args.device_id) and not args.mqtt:
        raise UserError(
            "--ha-discovery and --device-id need --mqtt mqtt://HOST/TOPIC (Home Assistant's broker)"
        )
