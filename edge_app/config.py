"""The --config TOML file: its keys are the long flag names, its values go through argparse's own types.

A file key is the flag without its dashes in front (`min-confidence = 0.6` for --min-confidence);
flags given on the command line override the file. Each value is checked by the same `type=` and
`choices=` as the flag, so the file and the command line can never disagree on what is valid.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from edge_app.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 (Ubuntu 22.04): the same parser, packaged as tomli
    import tomli as tomllib

CONFIG_FLAG = "--config"
PRINT_FLAG = "--print-config"
NOT_IN_FILE = frozenset({"help", "config", "print_config"})  # flags a file cannot set
ROI_KEY = "roi"
ROI_LINE = re.compile(r"^\s*(roi|\"roi\"|'roi')\s*=")  # the key written by save_roi
MAX_VALUE_LINES = 8  # a multi-line roi array spans at most this many lines


def file_actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The parser's long options a config file may set, keyed by flag name without the dashes."""
    actions = {}
    for action in parser._actions:  # argparse offers no public list of its actions
        longs = [o for o in action.option_strings if o.startswith("--")]
        if longs and action.dest not in NOT_IN_FILE:
            actions[longs[0][2:]] = action
    return actions


def read_config(path: Path) -> dict:
    """The TOML table in `path`; a missing or malformed file is a UserError."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise UserError(f"{CONFIG_FLAG} {path}: no such file") from None
    except OSError as e:
        raise UserError(f"{CONFIG_FLAG} {path}: cannot read it ({e.strerror})") from None
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{CONFIG_FLAG} {path}: not valid TOML ({e})") from None


def _text(value: object) -> str | None:
    """A TOML scalar (or an array of them: "x,y,w,h") as the text a flag would take; None if neither."""
    if isinstance(value, list) and all(isinstance(v, (int, float, str)) for v in value):
        return ",".join(str(v) for v in value)
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return str(value)
    return None


def convert(action: argparse.Action, value: object) -> object:
    """`value` from the file as the flag would have parsed it; raises ValueError naming the problem."""
    if action.nargs == 0:  # store_true and friends: only a boolean makes sense
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return action.const if value else action.default
    if isinstance(value, bool) and action.nargs == "?":  # `serve = true`: the flag given alone
        return action.const if value else action.default
    if isinstance(action, argparse._AppendAction):  # a repeatable flag: a list in the file
        items = value if isinstance(value, list) else [value]
        return [_scalar(action, item) for item in items]
    return _scalar(action, value)


def _scalar(action: argparse.Action, value: object) -> object:
    """One value of a flag from the file, through the flag's own type and choices."""
    text = _text(value)
    if text is None:
        raise ValueError(f"expected a string or a number, got {value!r}")
    try:
        result = action.type(text) if callable(action.type) else text
    except (argparse.ArgumentTypeError, ValueError, TypeError) as e:
        raise ValueError(str(e)) from None
    if action.choices is not None and result not in action.choices:
        raise ValueError(f"must be one of {', '.join(map(str, action.choices))}, got {text!r}")
    return result


def apply_config(parser: argparse.ArgumentParser, path: Path) -> None:
    """Make the values in `path` the parser's defaults; an unknown key or bad value is a UserError."""
    actions = file_actions(parser)
    for key, value in read_config(path).items():
        action = actions.get(key)
        if action is None:
            close = difflib.get_close_matches(key.replace("_", "-"), actions, n=1)
            hint = (
                f" (did you mean {close[0]!r}?)" if close else f"; keys are: {', '.join(actions)}"
            )
            raise UserError(f"{CONFIG_FLAG} {path}: unknown key {key!r}{hint}")
        try:
            parsed = convert(action, value)
        except ValueError as e:
            raise UserError(f"{CONFIG_FLAG} {path}: key {key!r}: {e}") from None
        parser.set_defaults(**{action.dest: parsed})
        action.required = False  # given by the file: the command line need not repeat it


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse `argv` over the defaults of its --config file, if any; flags override the file.

    A config file mistake is a UserError; a flag mistake exits 2 through argparse as usual.
    """
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument(CONFIG_FLAG, type=Path)
    first.add_argument(PRINT_FLAG, action="store_true")
    known, _ = first.parse_known_args(argv)
    if known.config is not None:
        apply_config(parser, known.config)
    if known.print_config:  # showing the merged settings needs none of them
        for action in parser._actions:
            action.required = False
    return parser.parse_args(argv)


def _without_password(text: str) -> str:
    parts = urlsplit(text)
    if "://" not in text or not parts.password:
        return text
    return text.replace(f":{parts.password}@", ":***@", 1)


def toml_value(value: object) -> str:
    """`value` (a parsed flag) written as TOML; URL passwords are masked."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(_without_password(str(value)), ensure_ascii=False)  # a TOML basic string


def config_toml(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """The merged settings of `args` as a config file (unset keys commented out)."""
    lines = [
        "# mnist-edge reader settings: file, then command line (python -m edge_app --print-config)"
    ]
    for key, action in file_actions(parser).items():
        value = getattr(args, action.dest)
        lines.append(f"# {key} =" if value is None else f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def _value_span(lines: list[str], start: int) -> int:
    """Index after the last line of the value whose key is on line `start` (arrays may span lines)."""
    for end in range(start + 1, min(start + MAX_VALUE_LINES, len(lines)) + 1):
        try:
            tomllib.loads("".join(lines[start:end]))
            return end
        except tomllib.TOMLDecodeError:
            continue
    raise UserError(f"cannot find where the {ROI_KEY} value on line {start + 1} ends")


def rewrite_roi(text: str, roi: tuple[int, int, int, int] | None) -> str:
    """`text` (a config file) with its roi key set to `roi`, or removed for None; the rest untouched."""
    lines = text.splitlines(keepends=True)
    new = [] if roi is None else [f"{ROI_KEY} = {toml_value(list(roi))}\n"]
    for index, line in enumerate(lines):
        if ROI_LINE.match(line):
            end = _value_span(lines, index)
            comment = re.search(r"\s+#[^\"'\]]*$", lines[end - 1].rstrip("\n"))
            if new and comment and end == index + 1:  # keep a note the user put beside the value
                new = [new[0].rstrip("\n") + comment.group(0) + "\n"]
            return "".join(lines[:index] + new + lines[end:])
    if roi is None:
        return text
    # Not there yet: add it before the first [table], where a top-level key must go.
    at = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    if at == len(lines) and lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines[:at] + new + lines[at:])


def save_roi(path: Path, roi: tuple[int, int, int, int] | None) -> None:
    """Set the roi key of the config file `path` (None removes it), atomically, keeping the rest.

    The new text is checked to parse to the same settings but roi before it replaces the file, so a
    crash or a surprise in the file leaves the old file whole.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new_text = rewrite_roi(text, roi)
    expected = tomllib.loads(text)
    expected.pop(ROI_KEY, None)
    if roi is not None:
        expected[ROI_KEY] = list(roi)
    if tomllib.loads(new_text) != expected:
        raise UserError(f"{path}: could not update {ROI_KEY} without changing other settings")
    mode = path.stat().st_mode & 0o7777
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(new_text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, mode)  # the file may hold a broker password: keep its permissions
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
