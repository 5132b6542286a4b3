"""Valid but odd .tflite models built from the flatbuffer schema (no TensorFlow): what a load check must refuse."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tiny_tflite import pack_model


def build_tflite(tensors: list[tuple], constants: list[np.ndarray], ops: list[tuple]) -> bytes:
    """Return a .tflite flatbuffer.

    tensors: (name, shape, dtype name, buffer index; 0 = none, i = constants[i - 1]);
    ops: (builtin operator name, input tensor ids, output tensor ids, options name or None, options).
    The first tensor is the model input, the last its output.
    """
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")

    buffers = [schema.BufferT()]
    for array in constants:
        buffer = schema.BufferT()
        buffer.data = list(array.tobytes())
        buffers.append(buffer)
    types = {"float32": schema.TensorType.FLOAT32, "int32": schema.TensorType.INT32}
    built = []
    for name, shape, dtype, buffer in tensors:
        t = schema.TensorT()
        t.name, t.shape, t.type, t.buffer = name, list(shape), types[dtype], buffer
        t.quantization = schema.QuantizationParametersT()
        built.append(t)
    codes, operators = [], []
    for i, (op_name, ins, outs, options_name, options) in enumerate(ops):
        c = schema.OperatorCodeT()
        c.builtinCode = c.deprecatedBuiltinCode = getattr(schema.BuiltinOperator, op_name)
        c.version = 1
        codes.append(c)
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = i, ins, outs
        if options_name:
            op.builtinOptionsType = getattr(schema.BuiltinOptions, options_name)
            op.builtinOptions = options
        operators.append(op)
    subgraph = schema.SubGraphT()
    subgraph.tensors, subgraph.operators = built, operators
    subgraph.inputs, subgraph.outputs = [0], [len(built) - 1]
    return pack_model(schema, codes, subgraph, buffers)


def _fc(in_shape: tuple, out_shape: tuple) -> bytes:
    """input in_shape -> RESHAPE (1, n) -> FULLY_CONNECTED(k) -> RESHAPE out_shape."""
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")
    n, k = int(np.prod(in_shape)), int(np.prod(out_shape))
    reshape_in, fc, reshape_out = (
        schema.ReshapeOptionsT(),
        schema.FullyConnectedOptionsT(),
        schema.ReshapeOptionsT(),
    )
    reshape_in.newShape, reshape_out.newShape = [1, n], list(out_shape)
    constants = [
        np.array([1, n], np.int32),
        np.zeros((k, n), np.float32),
        np.zeros(k, np.float32),
        np.array(out_shape, np.int32),
    ]
    tensors = [
        ("input", in_shape, "float32", 0),
        ("shape_in", [2], "int32", 1),
        ("flat", [1, n], "float32", 0),
        ("weights", [k, n], "float32", 2),
        ("bias", [k], "float32", 3),
        ("fc", [1, k], "float32", 0),
        ("shape_out", [len(out_shape)], "int32", 4),
        ("output", out_shape, "float32", 0),
    ]
    ops = [
        ("RESHAPE", [0, 1], [2], "ReshapeOptions", reshape_in),
        ("FULLY_CONNECTED", [2, 3, 4], [5], "FullyConnectedOptions", fc),
        ("RESHAPE", [5, 6], [7], "ReshapeOptions", reshape_out),
    ]
    return build_tflite(tensors, constants, ops)


def color_input_model() -> bytes:
    """Input [1, 28, 28, 3] (a colour image), output [1, 10]."""
    return _fc((1, 28, 28, 3), (1, 10))


def two_row_output_model() -> bytes:
    """Input [1, 28, 28], output [1, 2, 10]."""
    return _fc((1, 28, 28), (1, 2, 10))


def tile_bomb_model(copies: int = 4_000_000) -> bytes:
    """Input [1, 28, 28] -> TILE x copies (12 GB at 4 million) -> SUM -> ... -> output [1, 10]."""
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")
    reducer, reshape, fc = (
        schema.ReducerOptionsT(),
        schema.ReshapeOptionsT(),
        schema.FullyConnectedOptionsT(),
    )
    reshape.newShape = [1, 784]
    constants = [
        np.array([copies, 1, 1], np.int32),
        np.array([0], np.int32),
        np.array([1, 784], np.int32),
        np.zeros((10, 784), np.float32),
        np.zeros(10, np.float32),
    ]
    tensors = [
        ("input", [1, 28, 28], "float32", 0),
        ("multiples", [3], "int32", 1),
        ("tiled", [copies, 28, 28], "float32", 0),
        ("axis", [1], "int32", 2),
        ("summed", [28, 28], "float32", 0),
        ("shape", [2], "int32", 3),
        ("flat", [1, 784], "float32", 0),
        ("weights", [10, 784], "float32", 4),
        ("bias", [10], "float32", 5),
        ("output", [1, 10], "float32", 0),
    ]
    ops = [
        ("TILE", [0, 1], [2], None, None),
        ("SUM", [2, 3], [4], "ReducerOptions", reducer),
        ("RESHAPE", [4, 5], [6], "ReshapeOptions", reshape),
        ("FULLY_CONNECTED", [6, 7, 8], [9], "FullyConnectedOptions", fc),
    ]
    return build_tflite(tensors, constants, ops)
