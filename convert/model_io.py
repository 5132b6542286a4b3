"""Load the trained Keras model safely and check it is a 28x28 image -> 10 class classifier."""

from __future__ import annotations

import zipfile
from pathlib import Path

from edge_app.errors import UserError
from edge_app.paths import require_file
from edge_app.runtime import IMAGE_SIZE_PX, NUM_CLASSES

IMAGE_SHAPE = (IMAGE_SIZE_PX, IMAGE_SIZE_PX)


def check_model_file(path: Path) -> Path:
    """Raise UserError unless `path` is an existing, readable `.keras` archive (cheap: no TF import)."""
    require_file(path, "--model", "train one with `python -m train` or pass --model FILE.keras")
    try:
        with open(path, "rb"):
            pass
        is_zip = zipfile.is_zipfile(path)
    except OSError as e:
        raise UserError(f"cannot read model file {path}: {e.strerror or e}") from e
    if path.suffix != ".keras" or not is_zip:
        raise UserError(
            f"{path} is not a Keras .keras model file; pass the model.keras written by `python -m train`"
        )
    return path


def load_keras_model(path: Path):
    """Return the Keras model at `path`, loaded with safe_mode=True and checked for shape.

    safe_mode refuses Lambda layers (arbitrary pickled code), so a model file from elsewhere
    cannot run code on this machine just by being converted.
    """
    check_model_file(path)
    import keras

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - Keras raises many types for corrupt or unsafe files
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(
            f"cannot load Keras model {path} ({type(e).__name__}: {first[:200]}); "
            "re-create it with `python -m train`"
        ) from e
    check_model_shape(model, path)
    return model


def check_model_shape(model, path: Path | str = "model") -> None:
    """Raise UserError unless `model` maps one (N, 28, 28) input to (N, 10) outputs."""
    inputs, outputs = model.inputs, model.outputs
    if len(inputs) != 1 or len(outputs) != 1:
        raise UserError(
            f"{path} has {len(inputs)} inputs and {len(outputs)} outputs; convert needs one image "
            "input and one class output"
        )
    in_shape = tuple(inputs[0].shape)
    out_shape = tuple(outputs[0].shape)
    if in_shape[1:] != IMAGE_SHAPE or out_shape[1:] != (NUM_CLASSES,):
        raise UserError(
            f"{path} maps {list(in_shape)} to {list(out_shape)}, not 28x28 images to "
            f"{NUM_CLASSES} classes; convert only handles the MNIST classifier from `python -m train`"
        )
