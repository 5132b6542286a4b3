"""The one exception type for user mistakes: the CLIs print its message on one line and exit."""

from __future__ import annotations

EXIT_USAGE = 2


class UserError(Exception):
    """A mistake the user can fix (bad path, corrupt file, wrong flag value).

    The message names the problem and the fix; command lines print it as one line on stderr
    and exit with `exit_code` instead of showing a traceback.
    """

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
