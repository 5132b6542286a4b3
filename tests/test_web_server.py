"""Where the web view listens (--serve) and how the service unit runs it."""

from __future__ import annotations

import pytest

from edge_app.errors import UserError
from edge_app.sinks.web_server import parse_serve


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("8080", ("127.0.0.1", 8080)),
        ("0.0.0.0:9000", ("0.0.0.0", 9000)),
        (":81", ("127.0.0.1", 81)),
    ],
)
def test_parse_serve(spec, expected):
    assert parse_serve(spec) == expected


def test_serve_alone_means_loopback_8080():
    from edge_app.__main__ import build_parser

    spec = build_parser().parse_args(["--source", "0", "--serve"]).serve
    assert parse_serve(spec) == ("127.0.0.1", 8080)


@pytest.mark.parametrize("spec", ["", "http", "host:", "1.2.3.4:99999", "::1:80", "-1"])
def test_parse_serve_rejects(spec):
    with pytest.raises(UserError):
        parse_serve(spec)


def test_service_unit_runs_the_web_view_as_an_unprivileged_user():
    import configparser
    import shlex

    from edge_app.__main__ import build_parser
    from edge_app.config import parse_args
    from tests.edge_live import ROOT

    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(ROOT / "deploy" / "mnist-edge.service")
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["User"] not in ("", "root") and service["User"] == service["Group"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    command = shlex.split(service["ExecStart"].replace("\\\n", " ").replace("\\", " "))
    assert command[0].endswith("/venv/bin/python") and command[1:3] == ["-m", "edge_app"]
    # The app accepts the unit's command line, with the example config file in /etc's place.
    assert command[3:] == ["--config", "/etc/mnist-edge/reader.toml"]
    args = parse_args(build_parser(), ["--config", str(ROOT / "deploy" / "reader.toml")])
    assert args.headless and parse_serve(args.serve) == ("0.0.0.0", 8080)
