"""User paths: say in one line what is wrong with a path (missing, FIFO, device, loop, too long)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from edge_app.errors import UserError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """Return what a stat mode is in words: "a regular file", "a FIFO (named pipe)", ..."""
    return next((name for test, name in _KINDS if test(mode)), "a regular file")


def display_name(name: str | os.PathLike) -> str:
    """Return `name` printable and valid UTF-8: undecodable bytes become \\xNN escapes."""
    raw = os.fsencode(name)
    return raw.decode("utf-8", "backslashreplace")


def stat_problem(path: str | os.PathLike) -> tuple[os.stat_result | None, str | None]:
    """Return (stat, None) for an existing path, else (None, what is wrong: "does not exist", ...)."""
    try:
        return os.stat(path), None
    except OSError as e:
        if e.errno == errno.ENOENT and os.path.lexists(path):
            return None, "is a broken symlink (its target does not exist)"
        reasons = {
            errno.ENOENT: "does not exist",
            errno.ENOTDIR: "does not exist (a parent is not a folder)",
            errno.ELOOP: "is a symlink loop",
            errno.ENAMETOOLONG: "has a name too long for the file system",
            errno.EACCES: "is not accessible (permission denied)",
        }
        return None, reasons.get(e.errno, f"cannot be read ({e.strerror or e})")


def require_file(path: str | os.PathLike, what: str, fix: str) -> Path:
    """Return `path` if it is a regular file (or a symlink to one), else raise a one-line UserError.

    `what` names the file ("model", "--baseline"), `fix` says what to do instead. Checked before
    any open(), so a FIFO is refused rather than blocking the program forever.
    """
    shown = display_name(path)
    if not str(path):
        raise UserError(f"{what} is empty; {fix}")
    st, problem = stat_problem(path)
    if st is None:
        raise UserError(f"{what} {shown} {problem}; {fix}")
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{what} {shown} is {kind_of(st.st_mode)}, not a file; {fix}")
    return Path(path)


def open_regular(path: str | os.PathLike) -> int:
    """Open `path` read-only without blocking and return the fd; OSError if it is not a regular file.

    O_NONBLOCK makes opening a FIFO return at once; fstat then refuses it (no race with stat).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"{kind_of(mode)}, not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str | os.PathLike, max_bytes: int | None = None) -> bytes:
    """Return the bytes of the regular file `path`; OSError for a FIFO, device or one over max_bytes."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as f:
        if max_bytes is not None and os.fstat(f.fileno()).st_size > max_bytes:
            raise OSError(errno.EFBIG, f"larger than {max_bytes >> 20} MiB")
        return f.read()
