"""The --config TOML file: keys are flag names, flags override it, mistakes name the key; save_roi."""

from __future__ import annotations

import os
import re

import pytest

from edge_app import config
from edge_app.__main__ import build_parser, main
from edge_app.config import tomllib
from edge_app.errors import UserError
from tests.conftest import ROOT

EXAMPLE = ROOT / "deploy" / "reader.toml"


def parse(argv, tmp_path=None, text=None):
    argv = list(argv)
    if text is not None:
        path = tmp_path / "reader.toml"
        path.write_text(text)
        argv = ["--config", str(path), *argv]
    return config.parse_args(build_parser(), argv)


def test_file_values_are_parsed_by_the_flags_own_types(tmp_path):
    args = parse([], tmp_path, 'source = "0"\nroi = [10, 20, 300, 40]\nmin-confidence = 0.6\n'
                 'stable = 3\nheadless = true\nserve = "0.0.0.0:8080"\npolarity = "light-on-dark"\n')  # fmt: skip
    assert args.source == "0" and args.roi == (10, 20, 300, 40) and args.min_confidence == 0.6
    assert args.stable == 3 and args.headless is True and args.serve == "0.0.0.0:8080"
    assert args.polarity == "light-on-dark"
    assert parse([], tmp_path, 'source = "0"\nroi = "1,2,3,4"\nserve = true\n').roi == (1, 2, 3, 4)
    assert parse([], tmp_path, 'source = "0"\nserve = true\n').serve == "8080"  # as --serve alone


def test_flags_override_the_file(tmp_path):
    text = 'source = "0"\nmin-confidence = 0.6\nthreads = 2\n'
    args = parse(["--min-confidence", "0.9", "--source", "video.mp4"], tmp_path, text)
    assert (args.source, args.min_confidence, args.threads) == ("video.mp4", 0.9, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("min_confidence = 0.5", "unknown key 'min_confidence' (did you mean 'min-confidence'?)"),
        ("colour = 1", "unknown key 'colour'; keys are: source, model,"),
        ("print-config = true", "unknown key 'print-config'"),
        ("min-confidence = 2", "key 'min-confidence': must be a number from 0 to 1, got 2"),
        ("stable = 0", "key 'stable': must be a whole number >= 1, got 0"),
        ("roi = [1, 2]", "key 'roi': expected x,y,w,h in pixels, got '1,2'"),
        ('polarity = "dark"', "key 'polarity': must be one of auto, dark-on-light, light-on-dark"),
        ('headless = "yes"', "key 'headless': expected true or false, got 'yes'"),
        ("threads = true", "key 'threads': expected a string or a number, got True"),
        ("[mqtt]\nhost = 1", "key 'mqtt': expected a string or a number"),
        (
            'mqtt = "http://x/t"',
            "key 'mqtt': --mqtt 'http://x/t': expected mqtt://HOST[:PORT]/TOPIC",
        ),
        ("source = ", "not valid TOML"),
    ],
)
def test_file_mistakes_are_one_line_naming_the_key(tmp_path, capsys, text, message):
    path = tmp_path / "reader.toml"
    path.write_text(text + "\n")
    assert main(["--config", str(path), "--source", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: --config {path}: ") and message in err


def test_missing_file_is_one_line(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "nope.toml")]) == 2
    assert capsys.readouterr().err == f"error: --config {tmp_path / 'nope.toml'}: no such file\n"


def test_print_config_shows_the_merged_settings_as_toml_without_secrets(tmp_path, capsys):
    path = tmp_path / "reader.toml"
    path.write_text('source = "picamera"\nroi = [1, 2, 3, 4]\nmqtt = "mqtt://me:s3cret@broker/m"\n')
    assert main(["--config", str(path), "--threads", "2", "--print-config"]) == 0
    out = capsys.readouterr().out
    assert "s3cret" not in out and 'mqtt = "mqtt://me:***@broker/m"' in out
    printed = tomllib.loads(out)
    assert printed["source"] == "picamera" and printed["roi"] == [1, 2, 3, 4]
    assert printed["threads"] == 2 and "save-dir" not in printed  # unset: a comment only
    assert set(printed) <= set(config.file_actions(build_parser()))
    # What it prints is a config file that parses back to the same settings (bar the password).
    again = tmp_path / "again.toml"
    again.write_text(out.replace(":***@", ":s3cret@"))
    first = vars(parse(["--config", str(path), "--threads", "2"]))
    assert {**vars(parse(["--config", str(again)])), "config": None} == {**first, "config": None}


def test_print_config_needs_no_source(capsys):
    assert main(["--print-config"]) == 0
    assert "# source =" in capsys.readouterr().out


def test_the_example_file_lists_every_key_and_parses(tmp_path):
    keys = set(config.file_actions(build_parser()))
    text = EXAMPLE.read_text()
    listed = {m.group(1) for m in re.finditer(r"^(?:# )?([a-z-]+) = ", text, re.MULTILINE)}
    assert keys <= listed, f"deploy/reader.toml lacks {sorted(keys - listed)}"
    args = parse(["--config", str(EXAMPLE)])
    assert args.source and args.headless
    # Every example value in a comment is valid too: uncommented, the file still parses.
    uncommented = tmp_path / "all.toml"
    lines = [line.removeprefix("# ") for line in text.splitlines()]
    uncommented.write_text("\n".join(line for line in lines if re.match(r"[a-z-]+ = ", line)))
    assert parse(["--config", str(uncommented)]).max_step == 100


READER = """\
# the reader on the hall meter
source = "0"      # USB webcam
roi = [10, 20, 300, 80]  # the dial
min-confidence = 0.6
"""


@pytest.mark.parametrize(
    ("text", "roi", "expected"),
    [
        (READER, (1, 2, 3, 4), READER.replace("[10, 20, 300, 80]", "[1, 2, 3, 4]")),
        (READER, None, READER.replace("roi = [10, 20, 300, 80]  # the dial\n", "")),
        ('source = "0"', (5, 6, 7, 8), 'source = "0"\nroi = [5, 6, 7, 8]\n'),
        ('source = "0"\nroi = [\n  1,\n  2, 3,\n  4,\n]\nstable = 2\n', (9, 9, 9, 9),
         'source = "0"\nroi = [9, 9, 9, 9]\nstable = 2\n'),
        ('source = "0"\nroi = "1,2,3,4"\n', (4, 3, 2, 1), 'source = "0"\nroi = [4, 3, 2, 1]\n'),
        ('source = "0"\n', None, 'source = "0"\n'),
    ],
)  # fmt: skip
def test_save_roi_changes_only_the_roi(tmp_path, text, roi, expected):
    path = tmp_path / "reader.toml"
    path.write_text(text)
    path.chmod(0o640)
    config.save_roi(path, roi)
    assert path.read_text() == expected
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    assert os.listdir(tmp_path) == ["reader.toml"]  # no temporary file left behind
    assert parse(["--config", str(path)]).roi == roi


def test_save_roi_refuses_a_rewrite_that_would_change_other_settings(tmp_path):
    path = tmp_path / "reader.toml"
    text = 'source = "0"\nnote = """\nroi = [1, 2, 3, 4]\n"""\n'  # "roi" inside a multi-line string
    path.write_text(text)
    with pytest.raises(UserError, match="without changing other settings"):
        config.save_roi(path, (5, 6, 7, 8))
    assert path.read_text() == text
