"""manifest.json: what convert writes, the round trip, and every malformed file is one ManifestError, never a crash or a hang."""

from __future__ import annotations

import json
import os
import resource

import pytest

from convert.variants import VARIANTS, variant_file
from edge_app import manifest
from edge_app.artifacts import sha256_file
from edge_app.runtime import Classifier, TensorSpec

SPEC = TensorSpec(dtype="uint8", shape=(1, 28, 28), scale=1 / 255, zero_point=0)
ENTRY = manifest.ModelEntry(
    file="model_int8.tflite",
    sha256="ab" * 32,
    size_bytes=1234,
    input=SPEC,
    output=TensorSpec(dtype="float32", shape=(1, 10), scale=0.0, zero_point=0),
    accuracy=0.97,
)


def test_round_trip(tmp_path):
    written = manifest.Manifest(models={"int8": ENTRY})
    path = manifest.write(manifest.path_in(tmp_path), written)
    assert path.name == manifest.MANIFEST_NAME
    read = manifest.read(path)
    assert read == written
    assert read.entry_for("model_int8.tflite") == ENTRY
    assert read.entry_for("model_float32.tflite") is None


def _valid() -> dict:
    return manifest.Manifest(models={"int8": ENTRY}).to_json()


def _broken(**changes) -> dict:
    obj = _valid()
    entry = obj["models"]["int8"]
    for key, value in changes.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    return obj


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "not JSON"),
        ("[1, 2, 3]", "top level is list"),
        (json.dumps({"format": 2, "models": {}}), "format 2"),
        (json.dumps({"format": 1}), "no 'models' field"),
        (json.dumps({"format": 1, "models": []}), "'models' is list"),
        (json.dumps({"format": 1, "models": {"int8": "x"}}), "model 'int8' is str"),
        (json.dumps(_broken(sha256=None)), "no 'sha256' field"),
        (json.dumps(_broken(size_bytes="12")), "'size_bytes' is str"),
        (json.dumps(_broken(size_bytes=True)), "'size_bytes' is bool"),
        (json.dumps(_broken(input={"dtype": "uint8"})), "no 'shape' field"),
        (
            json.dumps(_broken(input={**SPEC.to_json(), "shape": [1, "28"]})),
            "not a list of integers",
        ),
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        (b"\xff\xfe{}", "not JSON"),
    ],
)
def test_malformed_manifest_is_one_error(tmp_path, content, match):
    path = tmp_path / manifest.MANIFEST_NAME
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(manifest.ManifestError, match=match) as e:
        manifest.read(path)
    assert "\n" not in str(e.value) and "python -m convert" in str(e.value)


def test_huge_manifest_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / manifest.MANIFEST_NAME
    with open(path, "wb") as f:
        f.truncate(1_500_000_000)  # sparse: takes no disk space, and no memory unless read
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(manifest.ManifestError, match="over the 1048576 a manifest can be"):
        manifest.read(path)
    # ru_maxrss is in KiB on Linux: reading the file would add about 1.5 million.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000


def test_missing_folder_or_fifo_manifest(tmp_path):
    with pytest.raises(manifest.ManifestError, match="not found; run `python -m convert`"):
        manifest.read(tmp_path / manifest.MANIFEST_NAME)
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / manifest.MANIFEST_NAME).mkdir()
    with pytest.raises(manifest.ManifestError):
        manifest.read(tmp_path / "dir" / manifest.MANIFEST_NAME)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(manifest.ManifestError, match="not a regular file"):
        manifest.read(fifo)  # returns at once: opening a FIFO must not wait for a writer


def test_manifest_contents(tiny_artifacts):
    listed = manifest.read(manifest.path_in(tiny_artifacts))
    assert set(listed.models) == set(VARIANTS)
    for name, entry in listed.models.items():
        path = tiny_artifacts / entry.file
        assert entry.file == variant_file(name)
        assert entry.sha256 == sha256_file(path) and entry.size_bytes == path.stat().st_size
        classifier = Classifier(path)
        assert entry.input == classifier.input_spec
        assert entry.output == classifier.output_spec
        assert 0 < entry.accuracy <= 1
    int8_input = listed.models["int8"].input
    assert int8_input.dtype == "uint8" and int8_input.zero_point == 0
    assert int8_input.scale == pytest.approx(1 / 255)
    assert listed.models["float32"].input.dtype == "float32"
