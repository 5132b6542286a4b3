"""Trivial models (one RESHAPE op, the digit model's input shape) that measure each runtime's own floor."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from convert import tflite_schema
from edge_app.runtime import IMAGE_SIZE_PX

FLAT_SIZE = IMAGE_SIZE_PX * IMAGE_SIZE_PX
# Every .tflite file carries this identifier at byte 4; the interpreter refuses files without it.
TFLITE_FILE_IDENTIFIER = b"TFL3"
TFLITE_SCHEMA_VERSION = 3
ONNX_OPSET = 13


def trivial_tflite_bytes() -> bytes | None:
    """Return a .tflite model (float32 (N,28,28) -> RESHAPE -> (N,784)), or None without a schema module."""
    schema = tflite_schema.schema_module()
    if schema is None:
        return None
    import flatbuffers

    # -1: the batch dimension follows the input, so the floor can also be resized for batches.
    shape_buffer = np.array([-1, FLAT_SIZE], np.int32).tobytes()
    tensors = []
    for name, shape, dtype, buffer in (
        ("input", [1, IMAGE_SIZE_PX, IMAGE_SIZE_PX], schema.TensorType.FLOAT32, 0),
        ("new_shape", [2], schema.TensorType.INT32, 1),
        ("output", [1, FLAT_SIZE], schema.TensorType.FLOAT32, 0),
    ):
        tensor = schema.TensorT()
        tensor.name, tensor.shape, tensor.type, tensor.buffer = name, shape, dtype, buffer
        # OpenCV's importer reads every tensor's quantization table (it crashes when absent).
        tensor.quantization = schema.QuantizationParametersT()
        tensor.shapeSignature = [-1, *shape[1:]] if name != "new_shape" else None
        tensors.append(tensor)
    options = schema.ReshapeOptionsT()
    options.newShape = [-1, FLAT_SIZE]
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0, 1], [2]
    op.builtinOptionsType, op.builtinOptions = schema.BuiltinOptions.ReshapeOptions, options
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.RESHAPE
    code.version = 1
    subgraph = schema.SubGraphT()
    subgraph.tensors, subgraph.inputs, subgraph.outputs = tensors, [0], [2]
    subgraph.operators, subgraph.name = [op], "main"
    # Buffer 0 is the schema's mandatory empty sentinel; buffer 1 holds the constant new shape.
    empty, constant = schema.BufferT(), schema.BufferT()
    constant.data = list(shape_buffer)
    model = schema.ModelT()
    model.version, model.description = TFLITE_SCHEMA_VERSION, "mnist-edge benchmark floor"
    model.operatorCodes, model.subgraphs, model.buffers = [code], [subgraph], [empty, constant]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=TFLITE_FILE_IDENTIFIER)
    return bytes(builder.Output())


def trivial_onnx_bytes() -> bytes | None:
    """Return an ONNX model (float32 (N,28,28) -> Reshape -> (N,784)), or None without the onnx package."""
    try:
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        return None
    shape = numpy_helper.from_array(np.array([-1, FLAT_SIZE], np.int64), name="new_shape")
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["input", "new_shape"], ["output"])],
        "floor",
        [
            helper.make_tensor_value_info(
                "input", TensorProto.FLOAT, ["N", IMAGE_SIZE_PX, IMAGE_SIZE_PX]
            )
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", FLAT_SIZE])],
        initializer=[shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    # IR version 8 loads in every ONNX Runtime since 1.10, not only the newest.
    model.ir_version = 8
    return model.SerializeToString()


def write_floor_models(folder: Path) -> dict[str, Path]:
    """Write the trivial models that can be built here into `folder`; return {"tflite"|"onnx": path}."""
    paths = {}
    for kind, data in (("tflite", trivial_tflite_bytes()), ("onnx", trivial_onnx_bytes())):
        if data is not None:
            paths[kind] = folder / f"floor.{kind}"
            paths[kind].write_bytes(data)
    return paths
