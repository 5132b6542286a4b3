"""The user-digit gate: a fine-tuned int8 model must beat the deployed one on the user's held-out digits.

It must also keep MNIST: no more than --max-drop below the deployed int8 model. The held-out digits
are recomputed from the labelled folder (edge_app.digit_folder.is_held_out), so this needs nothing
from the training run but the folder's path, which train_metrics.json beside the model records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_app.digit_folder import labelled_folder
from edge_app.errors import UserError
from edge_app.runtime import Classifier

PREVIOUS_MODEL = "model_int8.tflite"  # the model the device runs, compared against


@dataclass(frozen=True)
class UserDigitsCheck:
    """The new and the deployed int8 model on the user's held-out digits and on MNIST test."""

    extra_data: str
    held_out: int
    new_user_accuracy: float
    new_mnist_accuracy: float
    previous_user_accuracy: float | None = None  # None: nothing deployed in --out yet
    previous_mnist_accuracy: float | None = None

    def to_json(self) -> dict:
        return dict(vars(self))


def extra_data_from_metrics(model: Path) -> Path | None:
    """The labelled folder a fine-tuned model was trained on, from train_metrics.json beside it."""
    try:
        metrics = json.loads((model.parent / "train_metrics.json").read_text(encoding="utf-8"))
        return Path(metrics["fine_tune"]["extra_data"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _accuracy(model_bytes: bytes, name: str, x: np.ndarray, y: np.ndarray, runtime: str) -> float:
    classifier = Classifier(name, runtime=runtime, model_bytes=model_bytes)
    return float((classifier.predict(x).argmax(1) == y).mean())


def check_user_digits(
    extra_data: Path,
    new_int8: bytes,
    out: Path,
    x_test: np.ndarray,
    y_test: np.ndarray,
    runtime: str,
) -> UserDigitsCheck:
    """Evaluate the new int8 model and the one deployed in `out` on held-out user digits and MNIST."""
    images, labels, held = labelled_folder(extra_data).load_labelled()
    if not held.any():
        raise UserError(
            f"none of the {len(labels)} labelled digits in {extra_data} is held out for testing "
            "(about 1 in 5 is): label a few more before gating on them"
        )
    user_x, user_y = images[held], labels[held]
    check = {
        "extra_data": str(extra_data),
        "held_out": int(held.sum()),
        "new_user_accuracy": _accuracy(new_int8, "new int8", user_x, user_y, runtime),
        "new_mnist_accuracy": _accuracy(new_int8, "new int8", x_test, y_test, runtime),
    }
    previous = out / PREVIOUS_MODEL
    if previous.is_file():
        data = previous.read_bytes()
        check["previous_user_accuracy"] = _accuracy(data, str(previous), user_x, user_y, runtime)
        check["previous_mnist_accuracy"] = _accuracy(data, str(previous), x_test, y_test, runtime)
    return UserDigitsCheck(**check)


def user_gate_reasons(check: UserDigitsCheck, max_drop_pp: float) -> list[str]:
    """Why the new model may not replace the deployed one (empty: it may)."""
    if check.previous_user_accuracy is None or check.previous_mnist_accuracy is None:
        return []
    reasons = []
    new, old = check.new_user_accuracy, check.previous_user_accuracy
    # Strictly better, unless both are already perfect: an equal model is not worth a swap.
    if new < old or (new == old and new < 1.0):
        reasons.append(
            f"int8: {100 * new:.2f}% on your {check.held_out} held-out digits is not better than "
            f"the deployed model's {100 * old:.2f}%"
        )
    fell_pp = 100 * (check.previous_mnist_accuracy - check.new_mnist_accuracy)
    if fell_pp > max_drop_pp:
        reasons.append(
            f"int8: MNIST test {100 * check.new_mnist_accuracy:.2f}% fell {fell_pp:.2f} pp below the "
            f"deployed model's {100 * check.previous_mnist_accuracy:.2f}% (max drop {max_drop_pp:g} pp)"
        )
    return reasons
