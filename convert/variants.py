"""Build the four TFLite variants from a Keras model, each with a static (1, 28, 28) input."""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from convert.quiet import native_output_captured

VARIANTS = ("float32", "float16", "dynamic", "int8")
# How the variant is described in reports.
VARIANT_NOTES = {
    "float32": "float32 weights and activations",
    "float16": "float16 weights, float32 compute",
    "dynamic": "int8 weights, float activations (dynamic range)",
    "int8": "full integer: int8 weights and activations, uint8 input/output",
}
# Ops that only exist because of a dynamic batch dimension; OpenCV DNN and TFLite Micro reject them.
DYNAMIC_SHAPE_OPS = frozenset({"SHAPE"})


def variant_file(name: str) -> str:
    """Return the file name of a variant, e.g. model_int8.tflite."""
    return f"model_{name}.tflite"


def static_model(model):
    """Return a copy of `model` with a batch-1 input and no dynamic-shape ops, same weights.

    Keras' Flatten reshapes to (batch, -1) with the batch read at run time, which becomes a SHAPE
    op in TFLite; a static batch alone would bake the batch of 1 into RESHAPE (Flatten and Reshape
    alike), so resizing the input tensor for batched evaluation would break. Both are replaced by
    a reshape to (-1, *target): no SHAPE op, and the batch can still be resized at run time.
    """
    import keras

    class BatchFreeReshape(keras.layers.Layer):
        """Reshape to (-1, *target), the target known when the graph is built (None: flatten)."""

        def __init__(self, target: tuple[int, ...] | None = None, **kwargs) -> None:
            super().__init__(**kwargs)
            self.target = target

        def _target(self, shape) -> tuple[int, ...]:
            return self.target or (int(np.prod(shape[1:])),)

        def call(self, x):
            return keras.ops.reshape(x, (-1, *self._target(x.shape)))

        def compute_output_shape(self, shape):
            return (shape[0], *self._target(shape))

    def clone(layer):
        if isinstance(layer, keras.layers.Flatten):
            return BatchFreeReshape(name=layer.name)
        if isinstance(layer, keras.layers.Reshape):
            return BatchFreeReshape(tuple(layer.target_shape), name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    inputs = keras.Input(tuple(model.inputs[0].shape[1:]), batch_size=1, name="image")
    static = keras.models.clone_model(model, input_tensors=inputs, clone_function=clone)
    for layer in model.layers:
        if layer.weights:
            static.get_layer(layer.name).set_weights(layer.get_weights())
    return static


def convert_variant(model, name: str, representative: np.ndarray | None = None) -> bytes:
    """Return the .tflite bytes of variant `name` for the (static) Keras `model`.

    `representative` (float32 images in [0, 1], shape (N, 28, 28)) calibrates the int8 variant's
    activation ranges; it must come from the training images, never the test set.
    """
    import tensorflow as tf

    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if name != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if name == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif name == "int8":
        if representative is None or len(representative) == 0:
            raise ValueError("the int8 variant needs representative images")
        images = np.asarray(representative, np.float32)
        converter.representative_dataset = _representative_dataset(images)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        # uint8 in and out: the app feeds raw 0..255 pixels (scale 1/255, zero point 0).
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
    # The converter prints the SavedModel signature to stdout and warns about input statistics
    # it does not need (the uint8 input's range comes from calibration); keep progress output clean.
    # The MLIR quantizer also prints from C++ ("fully_quantize: ..."); errors still raise.
    with (
        contextlib.redirect_stdout(io.StringIO()),
        warnings.catch_warnings(),
        native_output_captured(),
    ):
        warnings.simplefilter("ignore")
        return bytes(converter.convert())


def _representative_dataset(images: np.ndarray) -> Callable[[], object]:
    def generate():
        for image in images:
            yield [image[None]]

    return generate


def dynamic_shape_ops(ops: Sequence[str]) -> list[str]:
    """Return the ops in `ops` that need a dynamic batch (should be empty)."""
    return sorted(set(ops) & DYNAMIC_SHAPE_OPS)


def representative_images(
    x_train: np.ndarray, y_train: np.ndarray, per_class: int, seed: int = 0
) -> np.ndarray:
    """Return `per_class` TRAINING images of each digit as float32 in [0, 1], for int8 calibration."""
    from edge_app.runtime import to_float
    from train.data import representative_indices

    return to_float(x_train[representative_indices(y_train, per_class, seed)])
