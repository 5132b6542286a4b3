"""The .tflite flatbuffer schema (generated code that LiteRT and TensorFlow ship) and what it reads."""

from __future__ import annotations

import importlib

# LiteRT ships the schema, so reading or writing a .tflite file needs no TensorFlow.
SCHEMA_MODULES = (
    "ai_edge_litert.schema_py_generated",
    "tensorflow.lite.python.schema_py_generated",
)


def schema_module():
    """Return the generated .tflite flatbuffer schema module (LiteRT's, else TensorFlow's), or None."""
    for name in SCHEMA_MODULES:
        try:
            return importlib.import_module(name)
        except Exception:  # noqa: BLE001 - missing or broken install: try the next one
            continue
    return None


def op_names(model_bytes: bytes) -> list[str]:
    """Return the operator names of a .tflite model's main graph, in graph order.

    Read from the flatbuffer itself: no interpreter to build, no private interpreter API.
    """
    schema = schema_module()
    if schema is None:
        raise ImportError("no .tflite schema: install ai-edge-litert (or TensorFlow)")
    names = {code: name for name, code in vars(schema.BuiltinOperator).items() if name.isupper()}
    model = schema.Model.GetRootAs(model_bytes, 0)
    graph = model.Subgraphs(0)
    ops = []
    for i in range(graph.OperatorsLength()):
        code = model.OperatorCodes(graph.Operators(i).OpcodeIndex())
        # Codes above 127 live only in builtin_code; older files set only deprecated_builtin_code.
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == schema.BuiltinOperator.CUSTOM:
            ops.append(code.CustomCode().decode())
        else:
            ops.append(names.get(builtin, f"BUILTIN_{builtin}"))
    return ops
