"""`python -m edge_app`: read handwritten numbers from a camera, video, image or folder with the int8 model."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from edge_app import config
from edge_app.app import AppOptions, run
from edge_app.artifacts import sha256_file
from edge_app.cli_args import fraction, non_negative_int, positive_float, positive_int, thread_count
from edge_app.errors import UserError, cli_main
from edge_app.model import DEFAULT_MODEL
from edge_app.options import POLARITIES, ReaderOptions
from edge_app.pacing import IMAGE_FPS, paced
from edge_app.plausibility import CounterRule
from edge_app.redact import redact_url
from edge_app.reload import ModelWatcher
from edge_app.roi import RoiControl
from edge_app.runtime import RUNTIME_CHOICES, Classifier
from edge_app.sinks import ha_discovery
from edge_app.sinks.collect import BYTES_PER_MB, DEFAULT_MAX_MB, LIVE_MIN_INTERVAL_S, CollectSink
from edge_app.sinks.json import JsonSink
from edge_app.sinks.mqtt import KEEPALIVE_S, PASSWORD_ENV, mqtt_password, parse_mqtt_url
from edge_app.sinks.save import SaveSink
from edge_app.sinks.web import parse_serve
from edge_app.sinks.web_access import default_token_file
from edge_app.sinks.window import WindowSink, display_problem
from edge_app.sources import Frame, RetryPolicy, Source, open_source

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


def _check_combinations(args) -> None:
    """Flags that only mean something together: a UserError rather than being silently ignored."""
    if args.max_step is not None and not args.monotonic:
        raise UserError("--max-step needs --monotonic (it limits how far a counter may rise)")
    if (args.ha_discovery is not None or args.device_id) and not args.mqtt:
        raise UserError(
            "--ha-discovery and --device-id need --mqtt mqtt://HOST/TOPIC (Home Assistant's broker)"
        )


def _discovery(args) -> ha_discovery.Discovery | None:
    """What Home Assistant is told, or None without --ha-discovery."""
    if args.ha_discovery is None:
        return None
    topic = parse_mqtt_url(args.mqtt).topic
    return ha_discovery.Discovery(
        state_topic=topic,
        device_id=args.device_id or ha_discovery.default_device_id(args.source, topic),
        prefix=args.ha_discovery,
        model=Path(args.model).name,
    )


def _window_wanted(args) -> bool:
    """True when the window is the output; a UserError when it should be and cannot be.

    Checked before the source opens. Output never switches silently: without a window the user must
    ask for JSON (--headless) or the web view (--serve); with --serve, no window is said once.
    """
    if args.headless:
        return False
    problem = display_problem()
    if problem is None:
        return True
    if args.serve is not None:
        log.warning("no window: %s; the web view is the output (--headless adds JSON)", problem)
        return False
    raise UserError(
        f"cannot open a window: {problem}; or pass --headless (JSON lines on stdout) "
        "or --serve (the web view)"
    )


def _web_sinks(args, source: Source, classifier: Classifier, roi: RoiControl) -> list:
    """The metrics and the web view serving them, the page's region going to `roi`."""
    from edge_app.metrics import Metrics
    from edge_app.sinks.web import WebSink

    model = {"sha256": sha256_file(args.model), "file": Path(args.model).name}
    metrics = Metrics({**model, "runtime": classifier.runtime}, lambda: source.reconnects)
    save = _roi_saver(args.config) if args.config else None
    web = WebSink(
        *parse_serve(args.serve),
        roi=roi,
        on_roi_change=save,
        metrics=metrics,
        allow_hosts=args.allow_host,
        token_file=args.token_file,
        label_folder=args.collect,
    )
    if web.new_token:  # the one time the token is shown: later starts point to the file
        log.warning(
            "live view at %s?token=%s (token saved in %s)", web.url, web.token, args.token_file
        )
    elif web.token:
        log.warning("live view at %s (add ?token= from %s)", web.url, args.token_file)
    else:
        log.warning("live view at %s", web.url)
    return [metrics, web]


def _roi_saver(path: str) -> Callable[[tuple[int, int, int, int] | None], None]:
    """Save a region set on the page into the config file; a failure is logged, the reader goes on."""

    def save(roi: tuple[int, int, int, int] | None) -> None:
        try:
            config.save_roi(Path(path), roi)
        except (UserError, OSError) as e:
            log.warning("region not saved to %s: %s", path, e)

    return save


def _add_sinks(args, window: bool, source: Source, classifier: Classifier, roi: RoiControl,
               sinks: list) -> None:  # fmt: skip
    """Append the outputs asked for to `sinks` one by one, so the caller closes any made before an error."""
    if args.headless:
        sinks.append(JsonSink())
    if window:
        sinks.append(WindowSink())
    if args.save_dir:
        sinks.append(SaveSink(args.save_dir))
    if args.collect:
        sinks.append(
            CollectSink(
                args.collect,
                max_bytes=args.collect_max_mb * BYTES_PER_MB,
                min_interval_s=LIVE_MIN_INTERVAL_S if source.live else 0.0,
            )
        )
    if args.serve is not None:
        sinks.extend(_web_sinks(args, source, classifier, roi))
    if args.mqtt:
        from edge_app.sinks.mqtt import MqttSink

        sinks.append(
            MqttSink(
                args.mqtt,
                per_frame=not source.live,
                keepalive_s=args.mqtt_keepalive,
                password=mqtt_password(args.mqtt_password_file),
                discovery=_discovery(args),
            )
        )


def _played(args, source: Source) -> Iterable[Frame]:
    """`source` as the loop reads it: files paced to their frame rate with --realtime."""
    realtime = args.realtime if args.realtime is not None else args.serve is not None
    if not realtime or source.live:  # a camera delivers in real time by itself
        return source
    fps = args.fps or source.fps or IMAGE_FPS
    log.info("playing %s at %.3g fps (--no-realtime reads it flat out)", source.label, fps)
    return paced(source, fps)


class Terminated(KeyboardInterrupt):
    """SIGTERM (systemctl stop, docker stop): ends the run the way Ctrl-C does."""


def _terminate(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one is enough: let the shutdown finish
    raise Terminated


@cli_main
def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = config.parse_args(parser, argv)
    _check_combinations(args)
    if args.print_config:
        print(config.config_toml(parser, args), end="")
        return 0
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
        watcher = ModelWatcher(
            args.model, args.runtime, args.threads, not args.no_verify, reload=not args.no_reload
        )
        classifier = watcher.classifier
        window = _window_wanted(args)  # before the camera opens
        source = open_source(
            args.source,
            loop=args.loop,
            retry=RetryPolicy(max_retries=args.max_retries, stall_timeout_s=args.stall_timeout),
        )
        options = AppOptions(
            reader=ReaderOptions(
                roi=args.roi, min_confidence=args.min_confidence, polarity=args.polarity
            ),
            stable=args.stable,
            max_frames=args.max_frames,
            counter=CounterRule(args.max_step) if args.monotonic else None,
        )
        roi = RoiControl(args.roi)  # the web page may change it while the loop runs
        _add_sinks(args, window, source, classifier, roi, sinks)
        log.info(
            "reading %s with %s (%s, %s runtime)",
            source.label,
            args.model,
            watcher.info.sha256[:12],
            classifier.runtime,
        )
        count = run(_played(args, source), classifier, options, sinks, roi=roi, watcher=watcher)
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
