"""A tiny random-weight classifier .tflite built without TensorFlow, for fast tests."""

from __future__ import annotations

import numpy as np
import pytest


def tiny_classifier_tflite(seed: int = 0, side: int = 28) -> bytes:
    """Return a float32 .tflite: (N, side, side) -> RESHAPE -> FULLY_CONNECTED(10) -> SOFTMAX, random weights.

    Built from the flatbuffer schema LiteRT ships, so no TensorFlow is needed.
    """
    n_in = side * side
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")

    rng = np.random.default_rng(seed)
    constants = [
        np.array([-1, n_in], np.int32),
        rng.normal(0, 0.05, (10, n_in)).astype(np.float32),
        np.zeros(10, np.float32),
    ]
    buffers = [schema.BufferT()]  # buffer 0: the schema's empty sentinel
    for array in constants:
        buffer = schema.BufferT()
        buffer.data = list(array.tobytes())
        buffers.append(buffer)
    f32, i32 = schema.TensorType.FLOAT32, schema.TensorType.INT32
    specs = [  # name, shape, type, buffer
        ("input", [1, side, side], f32, 0),
        ("shape", [2], i32, 1),
        ("flat", [1, n_in], f32, 0),
        ("weights", [10, n_in], f32, 2),
        ("bias", [10], f32, 3),
        ("logits", [1, 10], f32, 0),
        ("probs", [1, 10], f32, 0),
    ]
    tensors = []
    for name, shape, dtype, buffer in specs:
        t = schema.TensorT()
        t.name, t.shape, t.type, t.buffer = name, shape, dtype, buffer
        # OpenCV's importer reads every tensor's quantization table (it crashes when absent).
        t.quantization = schema.QuantizationParametersT()
        if shape[0] == 1:
            t.shapeSignature = [-1, *shape[1:]]
        tensors.append(t)
    codes, ops = [], []
    reshape, fc, softmax = (
        schema.ReshapeOptionsT(),
        schema.FullyConnectedOptionsT(),
        schema.SoftmaxOptionsT(),
    )
    reshape.newShape, softmax.beta = [-1, n_in], 1.0
    B = schema.BuiltinOperator
    for i, (code, ins, outs, kind, options) in enumerate(
        [
            (B.RESHAPE, [0, 1], [2], schema.BuiltinOptions.ReshapeOptions, reshape),
            (B.FULLY_CONNECTED, [2, 3, 4], [5], schema.BuiltinOptions.FullyConnectedOptions, fc),
            (B.SOFTMAX, [5], [6], schema.BuiltinOptions.SoftmaxOptions, softmax),
        ]
    ):
        c = schema.OperatorCodeT()
        c.builtinCode = c.deprecatedBuiltinCode = code
        c.version = 1
        codes.append(c)
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = i, ins, outs
        op.builtinOptionsType, op.builtinOptions = kind, options
        ops.append(op)
    subgraph = schema.SubGraphT()
    subgraph.tensors, subgraph.inputs, subgraph.outputs, subgraph.operators = tensors, [0], [6], ops
    return pack_model(schema, codes, subgraph, buffers, "tiny benchmark test model")


def pack_model(schema, codes: list, subgraph, buffers: list, description: str = "") -> bytes:
    """Return the .tflite bytes of one `subgraph` with its operator `codes` and `buffers`."""
    import flatbuffers

    # OpenCV's importer reads the subgraph name and model description without checking (crashes).
    subgraph.name = "main"
    model = schema.ModelT()
    model.description = description
    model.version, model.operatorCodes, model.subgraphs, model.buffers = (
        3,
        codes,
        [subgraph],
        buffers,
    )
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def write_tiny_model(path, seed: int = 0, side: int = 28, accuracy: float = 0.1):
    """Write a tiny classifier to `path` and a manifest.json beside it that lists it, as convert would."""
    from pathlib import Path

    from edge_app import manifest
    from edge_app.artifacts import sha256_bytes
    from edge_app.runtime import Classifier

    path = Path(path)
    data = tiny_classifier_tflite(seed, side)
    path.write_bytes(data)
    classifier = Classifier(path, model_bytes=data)
    entry = manifest.ModelEntry(
        file=path.name,
        sha256=sha256_bytes(data),
        size_bytes=len(data),
        input=classifier.input_spec,
        output=classifier.output_spec,
        accuracy=accuracy,
    )
    manifest.write(manifest.path_in(path.parent), manifest.Manifest(models={"int8": entry}))
    return path
