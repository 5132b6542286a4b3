"""The reference network: 28x28 -> Flatten -> Dense 100 ReLU x3 -> Dense 10 softmax."""

from __future__ import annotations

import keras
from keras import layers

from edge_app.runtime import IMAGE_SIZE_PX, NUM_CLASSES

IMAGE_SHAPE = (IMAGE_SIZE_PX, IMAGE_SIZE_PX)
HIDDEN_UNITS = (100, 100, 100)
# 784*100+100 + 2*(100*100+100) + 100*10+10
REFERENCE_PARAMS = 99_710


def build_mlp(
    hidden: tuple[int, ...] = HIDDEN_UNITS, num_classes: int = NUM_CLASSES
) -> keras.Model:
    """Return the uncompiled MLP; inputs are float images (N, 28, 28) in [0, 1]."""
    inputs = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Flatten(name="flatten")(inputs)
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mnist_mlp")
