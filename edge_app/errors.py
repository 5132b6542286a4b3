"""The one exception type for user mistakes, and `cli_main`, which prints it as one line and exits."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec

from edge_app.redact import redact_url

EXIT_USAGE = 2
P = ParamSpec("P")


class UserError(Exception):
    """A mistake the user can fix (bad path, corrupt file, wrong flag value).

    The message names the problem and the fix; command lines print it as one line on stderr
    and exit with `exit_code` instead of showing a traceback.
    """

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def cli_main(main: Callable[P, int]) -> Callable[P, int]:
    """Decorate a command's `main`: a UserError becomes its one-line message (URL credentials
    redacted) on stderr and its exit code."""

    @functools.wraps(main)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return main(*args, **kwargs)
        except UserError as e:
            # A typo in a --source or --mqtt URL must not print its password.
            print(f"error: {redact_url(str(e))}", file=sys.stderr)
            return e.exit_code

    return run
