"""The labelled-digit folder and --collect: layout, dedup, size cap, atomic writes, held-out split."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from edge_app.digit_folder import (
    DigitFolder,
    crop_png,
    decode_png,
    is_held_out,
    labelled_folder,
    sha256_hex,
)
from edge_app.errors import UserError
from edge_app.reader import Digit, Reading
from edge_app.result import FrameResult
from edge_app.sinks.collect import CollectSink, is_unsure


def _crop(seed: int) -> np.ndarray:
    crop = np.zeros((28, 28), np.float32)
    rng = np.random.default_rng(seed)
    crop[4:24, 8:20] = rng.uniform(0.3, 1.0, (20, 12))
    return crop


def _result(crops, values, text=None, frame=0) -> FrameResult:
    digits = tuple(Digit(v, 0.3 if v is None else 0.99, (0, 0, 10, 10)) for v in values)
    read = "".join("?" if v is None else str(v) for v in values)
    reading = Reading(text=read, digits=digits, crops=tuple(crops))
    return FrameResult(
        frame=frame, source="t", reading=reading, text=read if text is None else text, fps=1.0
    )


FRAME = np.full((48, 64, 3), 200, np.uint8)


def test_labelled_layout_is_one_png_per_digit_named_by_its_hash(tmp_path):
    folder = DigitFolder(tmp_path).create()
    paths = folder.add_labelled([_crop(1), _crop(2)], "47")
    assert [p.parent.name for p in paths] == ["4", "7"]
    for path, crop in zip(paths, [_crop(1), _crop(2)], strict=True):
        data = path.read_bytes()
        assert path.name == f"{sha256_hex(data)}.png"
        img = decode_png(data)
        assert img.shape == (28, 28) and img.dtype == np.uint8
        assert np.abs(img / 255.0 - crop).max() <= 0.5 / 255 + 1e-6
    # The same crop labelled again is the same file, not a second copy.
    assert folder.add_labelled([_crop(1), _crop(2)], "47") == paths
    assert len(folder.labelled_files()) == 2
    images, labels, _ = labelled_folder(folder.labelled).load_labelled()
    assert images.shape == (2, 28, 28) and sorted(labels.tolist()) == [4, 7]


@pytest.mark.parametrize("text", ["4", "471", "4a", "", "٤٧"])
def test_a_label_must_give_one_ascii_digit_per_crop(tmp_path, text):
    folder = DigitFolder(tmp_path).create()
    with pytest.raises(UserError):
        folder.add_labelled([_crop(1), _crop(2)], text)
    assert folder.labelled_files() == []


def test_held_out_split_is_a_pure_function_of_the_png_bytes(tmp_path):
    crops = [_crop(s) for s in range(200)]
    first = DigitFolder(tmp_path / "a").create()
    second = DigitFolder(tmp_path / "b").create()
    for crop in crops:
        first.add_labelled([crop], "3")
    for crop in reversed(crops):  # another order, another machine: the same split
        second.add_labelled([crop], "3")
    _, _, held_a = first.load_labelled()
    _, _, held_b = second.load_labelled()
    assert held_a.tolist() == held_b.tolist()
    assert 0.08 < held_a.mean() < 0.32  # about 3 in 16
    expected = [is_held_out(sha256_hex(crop_png(c))) for c in crops]
    # load_labelled returns files sorted by name (= hash): compare as multisets per hash.
    assert sorted(expected) == sorted(held_a.tolist())


def test_collect_keeps_unsure_frames_only_and_skips_repeats(tmp_path):
    sink = CollectSink(tmp_path)
    sink.handle(_result([_crop(1), _crop(2)], [4, 7]), FRAME)  # sure: not kept
    sink.handle(_result([_crop(1), _crop(2)], [4, None]), FRAME)  # unsure digit: kept
    sink.handle(_result([_crop(1), _crop(2)], [4, None]), FRAME)  # the same crops again
    noisy = [_crop(1) + 0.01, _crop(2)]  # the same sheet, a little camera noise
    sink.handle(_result(noisy, [4, None]), FRAME)
    sink.handle(_result([_crop(3)], [1], text="7"), FRAME)  # --stable still settling: kept
    entries = sink.folder.entries()
    assert [e.read_as for e in entries] == ["4?", "1"]
    assert sink.skipped_duplicates == 2
    first = entries[0]
    assert first.frame_jpeg.is_file() and len(first.crops) == 2
    assert is_unsure(_result([_crop(1)], [None])) and not is_unsure(_result([], []))


def test_collect_cap_drops_the_oldest_entries_first(tmp_path):
    sink = CollectSink(tmp_path, max_bytes=1)  # smaller than any entry: only the newest stays
    for seed in range(5):
        sink.handle(_result([_crop(10 + seed)], [None]), FRAME)
    entries = sink.folder.entries()
    assert len(entries) == 1 and sink.saved == 5
    newest = crop_png(_crop(14))
    assert entries[0].crops[0].read_bytes() == newest
    # A restarted reader counts what is already there against the cap.
    roomy = CollectSink(tmp_path, max_bytes=10_000_000)
    roomy.handle(_result([_crop(30)], [None]), FRAME)
    assert len(roomy.folder.entries()) == 2
    tight = CollectSink(tmp_path, max_bytes=1)
    assert len(tight.folder.entries()) == 1


def test_a_crash_mid_write_leaves_no_partial_file(tmp_path, monkeypatch):
    folder = DigitFolder(tmp_path).create()

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "replace", crash)
        with pytest.raises(OSError):
            folder.add_labelled([_crop(1)], "5")
    with monkeypatch.context() as m:
        m.setattr(os, "rename", crash)
        with pytest.raises(OSError):
            folder.add_unlabelled([_crop(1)], FRAME, "?")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    # A killed process can leave a temporary behind: listings and Keras never see it, and the
    # next start sweeps it.
    (folder.labelled / "5").mkdir(parents=True, exist_ok=True)
    (folder.labelled / "5" / ".abc.png.123.tmp").write_bytes(b"half")
    (folder.unlabelled / ".1234-abc.tmp").mkdir()
    assert folder.labelled_files() == [] and folder.entries() == []
    DigitFolder(tmp_path).create()
    assert not (folder.unlabelled / ".1234-abc.tmp").exists()


def test_label_entry_moves_crops_to_labelled_and_rejects_a_wrong_count(tmp_path):
    folder = DigitFolder(tmp_path).create()
    entry = folder.add_unlabelled([_crop(1), _crop(2), _crop(3)], FRAME, "1?7")
    with pytest.raises(UserError, match="3"):
        folder.label_entry(entry.id, "17")
    assert folder.entries() == [entry]
    paths = folder.label_entry(entry.id, "147")
    assert [p.parent.name for p in paths] == ["1", "4", "7"] and folder.entries() == []
    with pytest.raises(UserError):
        folder.label_entry("../../etc", "1")


class _Sure:
    """A classifier sure of a 3 on everything: no digit gets split, every crop is one digit."""

    def predict(self, images):
        probs = np.zeros((len(images), 10), np.float32)
        probs[:, 3] = 1.0
        return probs


def test_a_reading_carries_the_crops_the_classifier_saw_but_its_json_does_not():
    from edge_app.reader import read_digits
    from synthetic.writers import WRITERS, writer_frame

    frame = writer_frame("507", WRITERS["slanted"], np.random.default_rng(0))
    reading = read_digits(frame, _Sure())
    assert len(reading.crops) == len(reading.digits) == 3
    assert all(c.shape == (28, 28) and c.max() > 0.5 for c in reading.crops)
    result = FrameResult(frame=0, source="f", reading=reading, text=reading.text, fps=1.0)
    assert "crops" not in result.to_json() and "crops" not in json_keys(result.to_json())


def json_keys(obj) -> set[str]:
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in json_keys(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in json_keys(v)}
    return set()


def test_label_cli_asks_for_each_entry_and_takes_a_json_mapping(tmp_path, capsys):
    from edge_app import label

    folder = DigitFolder(tmp_path).create()
    first = folder.add_unlabelled([_crop(1), _crop(2)], FRAME, "4?", "a.jpg")
    second = folder.add_unlabelled([_crop(3)], FRAME, "?", "b.jpg")
    answers = iter(["4", "47"])  # a wrong count is asked again; then Enter skips the second
    assert label.label_interactively(folder, ask=lambda _: next(answers, "")) == (1, 2)
    out = capsys.readouterr().out
    assert "read as '4?'" in out and "@" in out  # the crops drawn in the terminal
    assert folder.entries() == [second]
    mapping = tmp_path / "labels.json"
    mapping.write_text(json.dumps({second.id: "8"}))
    assert label.main([str(tmp_path), "--from-json", str(mapping)]) == 0
    assert folder.entries() == [] and sorted(d for _, d in folder.labelled_files()) == [4, 7, 8]
    assert label.main([str(tmp_path / "nowhere")]) == 2
    assert first.id not in {e.id for e in folder.entries()}
