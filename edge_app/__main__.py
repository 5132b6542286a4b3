"""`python -m edge_app`: read handwritten numbers from a camera, video, image or folder with the int8 model."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from edge_app.app import AppOptions, run
from edge_app.cli_args import fraction, non_negative_int, positive_int
from edge_app.errors import UserError
from edge_app.model import DEFAULT_MODEL, load_classifier
from edge_app.options import POLARITIES, ReaderOptions
from edge_app.redact import redact_url
from edge_app.runtime import RUNTIME_CHOICES
from edge_app.sinks.json import JsonSink
from edge_app.sinks.mqtt import PASSWORD_ENV, mqtt_password, parse_mqtt_url
from edge_app.sinks.save import SaveSink
from edge_app.sinks.web import parse_serve
from edge_app.sinks.web_access import default_token_file
from edge_app.sinks.window import WindowSink, has_display
from edge_app.sources import RetryPolicy, open_source

log = logging.getLogger(__name__)


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
        help="live sources: report a number only after N identical consecutive readings",
    )
    p.add_argument("--threads", type=positive_int, default=1, help="interpreter threads")
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
    p.add_argument("--verbose", action="store_true", help="debug logs on stderr")
    return p


def _add_sinks(args, live: bool, sinks: list) -> None:
    """Append the outputs asked for to `sinks` one by one, so the caller closes any made before an error."""
    if args.headless:
        sinks.append(JsonSink())
    elif has_display():
        sinks.append(WindowSink())
    else:
        log.warning(
            "no display available: printing JSON lines instead (pass --headless to silence this)"
        )
        sinks.append(JsonSink())
    if args.save_dir:
        sinks.append(SaveSink(args.save_dir))
    if args.serve is not None:
        from edge_app.sinks.web import WebSink

        web = WebSink(
            *parse_serve(args.serve), allow_hosts=args.allow_host, token_file=args.token_file
        )
        sinks.append(web)
        if web.new_token:  # the one time the token is shown: later starts point to the file
            log.warning(
                "live view at %s?token=%s (token saved in %s)", web.url, web.token, args.token_file
            )
        elif web.token:
            log.warning("live view at %s (add ?token= from %s)", web.url, args.token_file)
        else:
            log.warning("live view at %s", web.url)
    if args.mqtt:
        from edge_app.sinks.mqtt import MqttSink

        password = mqtt_password(args.mqtt_password_file)
        sinks.append(MqttSink(args.mqtt, per_frame=not live, password=password))


class Terminated(KeyboardInterrupt):
    """SIGTERM (systemctl stop, docker stop): ends the run the way Ctrl-C does."""


def _terminate(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one is enough: let the shutdown finish
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    source = None
    sinks: list = []
    exit_code = 0
    signal.signal(signal.SIGTERM, _terminate)
    try:
        classifier = load_classifier(args.model, args.runtime, args.threads, not args.no_verify)
        source = open_source(
            args.source, loop=args.loop, retry=RetryPolicy(max_retries=args.max_retries)
        )
        if args.stable > 1 and not source.live:
            log.warning("--stable applies to live sources; reading %s frame by frame", source.label)
        options = AppOptions(
            reader=ReaderOptions(
                roi=args.roi, min_confidence=args.min_confidence, polarity=args.polarity
            ),
            stable=args.stable if source.live else 1,
            max_frames=args.max_frames,
        )
        _add_sinks(args, source.live, sinks)
        log.info("reading %s with %s (%s runtime)", source.label, args.model, classifier.runtime)
        count = run(source, classifier, options, sinks)
        log.info("read %d frame(s)", count)
    except UserError as e:
        print(f"error: {redact_url(str(e))}", file=sys.stderr)
        exit_code = e.exit_code
    except KeyboardInterrupt as e:
        log.info("%s; stopping", "terminated" if isinstance(e, Terminated) else "interrupted")
    finally:
        for sink in sinks:
            try:
                sink.close()
            except UserError as e:  # e.g. the MQTT broker refused the login before the run ended
                print(f"error: {redact_url(str(e))}", file=sys.stderr)
                exit_code = exit_code or e.exit_code
            except Exception as e:  # noqa: BLE001 - one broken sink must not hide the others' output
                log.warning("closing %s failed: %s", type(sink).__name__, e)
        if source is not None:
            source.close()
    if not exit_code:  # after an error its line stays the last one
        log.info("stopped: outputs closed")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
