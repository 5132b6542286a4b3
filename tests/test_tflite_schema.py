"""convert.tflite_schema reads a .tflite file's ops from the flatbuffer as the interpreter sees them."""

from __future__ import annotations

import pytest

from convert.tflite_schema import op_names
from convert.variants import VARIANTS, variant_file
from tests.test_convert import ops_of


@pytest.mark.parametrize("variant", VARIANTS)
def test_op_names_from_the_flatbuffer_match_the_interpreter(tiny_artifacts, variant):
    path = tiny_artifacts / variant_file(variant)
    assert op_names(path.read_bytes()) == ops_of(path)
