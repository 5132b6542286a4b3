"""A run's files are published as one unit: a crash or kill at any moment shows the old set or the new."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from edge_app.publish import RUNS_DIR, clean_leftovers, commit_run, staged_run
from tests.conftest import ROOT

NAMES = ("model_int8.tflite", "model_float32.tflite", "manifest.json")


def _publish(out: Path, tag: str, names=NAMES) -> None:
    with staged_run(out, "convert") as staging:
        for name in names:
            (staging / name).write_text(tag)
        commit_run(out, "convert", staging)


def _visible(out: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in out.iterdir() if not p.name.startswith(".")}


def test_a_second_run_replaces_every_file_and_readers_see_plain_files(tmp_path):
    _publish(tmp_path, "one")
    _publish(tmp_path, "two", NAMES[:2])  # a name the new run lacks disappears
    assert _visible(tmp_path) == dict.fromkeys(NAMES[:2], "two")
    assert stat.S_IMODE((tmp_path / NAMES[0]).stat().st_mode) == 0o666 & ~_umask()
    assert not list((tmp_path / RUNS_DIR).glob("*.partial"))


def test_a_folder_copied_with_its_links_followed_takes_a_new_run(tmp_path):
    # scp -r and shutil.copytree follow the links: the copy holds plain files and the run pointer
    # as a real folder, which one atomic link switch cannot replace.
    import shutil

    _publish(tmp_path / "pc", "one")
    shutil.copytree(tmp_path / "pc", tmp_path / "copy")
    assert not (tmp_path / "copy" / RUNS_DIR / "convert").is_symlink()
    _publish(tmp_path / "copy", "two")
    assert _visible(tmp_path / "copy") == dict.fromkeys(NAMES, "two")
    assert (tmp_path / "copy" / RUNS_DIR / "convert").is_symlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("crash_at", range(len(NAMES) + 1))  # each link, then the switch
def test_a_crash_at_any_step_shows_the_old_set_or_the_new(tmp_path, monkeypatch, crash_at):
    _publish(tmp_path, "old")
    real_replace, calls = os.replace, []

    def crashing_replace(src, dst):
        calls.append(dst)
        if len(calls) > crash_at:
            raise KeyboardInterrupt  # like a SIGTERM turned into an interrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crashing_replace)
    with pytest.raises(KeyboardInterrupt):
        _publish(tmp_path, "new")
    monkeypatch.undo()
    seen = _visible(tmp_path)
    assert set(seen) == set(NAMES) and len(set(seen.values())) == 1, seen
    assert not list((tmp_path / RUNS_DIR).glob("*.partial"))


def test_leftovers_of_a_killed_run_are_removed_by_the_next(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    pid = int(dead.stdout)
    runs = tmp_path / RUNS_DIR
    (runs / f"convert-{pid}-abc.partial").mkdir(parents=True)
    (tmp_path / f".manifest.json.{pid}.link").symlink_to("nowhere")
    mine = runs / f"convert-{os.getpid()}-live.partial"
    mine.mkdir()
    clean_leftovers(tmp_path)
    assert sorted(p.name for p in runs.iterdir()) == [mine.name]
    assert not list(tmp_path.glob(".*.link"))


CHILD = """
import sys, time
from pathlib import Path
from edge_app.publish import commit_run, sigterm_as_interrupt, staged_run
sigterm_as_interrupt()
out = Path(sys.argv[1])
try:
    with staged_run(out, "train") as staging:
        (staging / "model.keras").write_text("new")
        print("staged", flush=True)
        time.sleep(60)
        commit_run(out, "train", staging)
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_sigterm_while_staging_keeps_the_old_run_and_no_temporaries(tmp_path):
    with staged_run(tmp_path, "train") as staging:
        (staging / "model.keras").write_text("old")
        (staging / "train_metrics.json").write_text("old")
        commit_run(tmp_path, "train", staging)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "staged"
    assert list((tmp_path / RUNS_DIR).glob("*.partial"))
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=60) == 130
    assert _visible(tmp_path) == {"model.keras": "old", "train_metrics.json": "old"}
    assert not list((tmp_path / RUNS_DIR).glob("*.partial"))
