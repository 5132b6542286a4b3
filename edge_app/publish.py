"""Publish a run's files as one unit: a versioned folder and one atomic symlink switch.

`out/.runs/<kind>-<stamp>/` holds a complete run; `out/.runs/<kind>` is a symlink to the current
one, and every published name `out/<name>` is a symlink through it (`.runs/<kind>/<name>`). One
`os.replace` of that pointer switches all files at once, so a reader sees the old set or the new
set, never a mix: a kill at any moment leaves the previous run in place. A run is staged inside
`out/.runs` (same file system, so the final rename is atomic); what a kill -9 leaves behind there
is named with the dead process's id and removed by the next run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from edge_app.artifacts import FILE_MODE, umask

RUNS_DIR = ".runs"
KEEP_RUNS = 2  # the current run and the one before it, per kind
_PARTIAL = ".partial"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(name: str) -> int | None:
    """The pid embedded in a staging or link name (`kind-<pid>-...`, `.name.<pid>.link`)."""
    for part in name.replace(".", "-").split("-"):
        if part.isdigit() and len(part) < 8:
            return int(part)
    return None


def clean_leftovers(out: Path) -> None:
    """Remove staging folders and half-made links of runs whose process is gone (kill -9)."""
    runs = out / RUNS_DIR
    for entry in runs.glob(f"*{_PARTIAL}") if runs.is_dir() else ():
        pid = _owner_pid(entry.name)
        if pid is None or not _pid_alive(pid):
            shutil.rmtree(entry, ignore_errors=True)
    for entry in out.glob(".*.link"):
        pid = _owner_pid(entry.name)
        if pid is None or not _pid_alive(pid):
            entry.unlink(missing_ok=True)
    for entry in out.iterdir():  # links a killed run made for files its switch never showed
        dangling = entry.is_symlink() and not entry.exists()
        if dangling and Path(os.readlink(entry)).parts[:1] == (RUNS_DIR,):
            entry.unlink(missing_ok=True)


@contextlib.contextmanager
def staged_run(out: Path, kind: str) -> Iterator[Path]:
    """Yield an empty staging folder inside `out`; it is deleted on any exit unless committed."""
    runs = out / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out)
    staging = Path(tempfile.mkdtemp(prefix=f"{kind}-{os.getpid()}-", suffix=_PARTIAL, dir=runs))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _link(path: Path, target: str) -> None:
    """Make `path` a symlink to `target` atomically (replacing a file or link already there)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.link")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _readable(folder: Path) -> None:
    """mkdtemp makes 0700 folders: give the run the modes the umask asks for."""
    os.chmod(folder, 0o777 & ~umask())
    for entry in folder.iterdir():
        os.chmod(entry, FILE_MODE & ~umask())


def _settle_copied_pointer(pointer: Path) -> None:
    """Make a run pointer that is a real folder an ordinary old run, so a link can replace it.

    A folder copied with its links followed (scp -r, shutil.copytree) holds the pointer as a plain
    folder and the published names as plain files: the next switch must still work.
    """
    if pointer.is_dir() and not pointer.is_symlink():
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        os.rename(pointer, pointer.with_name(f"{pointer.name}-copied-{stamp}"))


def commit_run(out: Path, kind: str, staging: Path) -> tuple[Path, ...]:
    """Publish the files in `staging` as `out/<name>` in one switch; return the published paths."""
    runs = out / RUNS_DIR
    unique = staging.name.removesuffix(_PARTIAL).rsplit("-", 1)[-1]  # mkdtemp's random part
    run_dir = runs / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{unique}"
    _readable(staging)
    os.rename(staging, run_dir)
    names = sorted(p.name for p in run_dir.iterdir())
    pointer = Path(RUNS_DIR) / kind
    _settle_copied_pointer(runs / kind)
    new_names = [name for name in names if not os.path.lexists(out / name)]
    try:
        # Links go through the pointer, so until the switch they still show the previous run.
        for name in names:
            _link(out / name, str(pointer / name))
        _link(runs / kind, run_dir.name)  # the switch
    except BaseException:
        for name in new_names:  # they would point at nothing in the previous run
            with contextlib.suppress(OSError):
                (out / name).unlink()
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    for entry in out.iterdir():  # names the previous run had and this one has not
        if entry.is_symlink() and entry.name not in names:
            target = Path(os.readlink(entry))
            if target.parent == pointer:
                entry.unlink()
    older = sorted(
        (p for p in runs.glob(f"{kind}-*") if not p.name.endswith(_PARTIAL)),
        key=lambda p: p.stat().st_mtime,
    )
    for old in older[:-KEEP_RUNS]:
        if old != run_dir:
            shutil.rmtree(old, ignore_errors=True)
    return tuple(out / name for name in names)


def replace_folder(staging: Path, folder: Path) -> Path:
    """Move the finished `staging` folder to `folder`, removing the old one first (rejected runs)."""
    _readable(staging)
    if folder.exists():
        trash = staging.parent / f"trash-{os.getpid()}{_PARTIAL}"
        os.rename(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)
    os.rename(staging, folder)
    return folder


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def sigterm_as_interrupt() -> None:
    """Make SIGTERM (systemctl stop, kill) unwind like Ctrl-C, so `finally` blocks clean up."""
    with contextlib.suppress(ValueError):  # not the main thread: leave the default
        signal.signal(signal.SIGTERM, _interrupt)
