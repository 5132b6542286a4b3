"""`python -m edge_app`: read handwritten numbers from a camera, video, image or folder with the int8 model."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from edge_app import config
from edge_app.app import AppOptions, run
from edge_app.cli import build_parser, check_combinations
from edge_app.errors import UserError, cli_main
from edge_app.options import ReaderOptions
from edge_app.pacing import IMAGE_FPS, paced
from edge_app.plausibility import CounterRule
from edge_app.redact import redact_url
from edge_app.reload import ModelWatcher
from edge_app.roi import RoiControl
from edge_app.sinks import ha_discovery
from edge_app.sinks.collect import BYTES_PER_MB, LIVE_MIN_INTERVAL_S, CollectSink
from edge_app.sinks.json import JsonSink
from edge_app.sinks.mqtt import mqtt_password, parse_mqtt_url
from edge_app.sinks.save import SaveSink
from edge_app.sinks.web_server import parse_serve
from edge_app.sinks.window import WindowSink, display_problem
from edge_app.sources import Frame, RetryPolicy, Source, open_source

log = logging.getLogger(__name__)


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


def _web_sinks(args, source: Source, watcher: ModelWatcher, roi: RoiControl) -> list:
    """The metrics and the web view serving them, the page's region going to `roi`."""
    from edge_app.metrics import Metrics
    from edge_app.sinks.web import WebSink

    metrics = Metrics(watcher.describe, lambda: source.reconnects, reloads=lambda: watcher.reloads)
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


def _add_sinks(
    args, window: bool, source: Source, watcher: ModelWatcher, roi: RoiControl, sinks: list
) -> None:
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
        sinks.extend(_web_sinks(args, source, watcher, roi))
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
    check_combinations(args)
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
        _add_sinks(args, window, source, watcher, roi, sinks)
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
