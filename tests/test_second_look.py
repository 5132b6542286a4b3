"""edge_app.reader's second look: an unsure digit is read again shifted by a pixel each way."""

from __future__ import annotations

import numpy as np

from edge_app.reader import SECOND_LOOK_BELOW, read_digits
from tests.test_edge_preprocess import spaced


class PlacementSensitiveClassifier:
    """Reads a digit as 9 (unsure) where the reader centred it, and as a sure 4 a pixel away.

    An MLP is like this: it learnt MNIST's digits at their exact centre of mass.
    """

    def __init__(self, centred: tuple[float, float] = (0.55, 0.45)) -> None:
        self.centred, self.batches, self.first = centred, [], None

    def predict(self, images: np.ndarray) -> np.ndarray:
        self.batches.append(len(images))
        if self.first is None:
            self.first = images.copy()
        probs = np.zeros((len(images), 10), np.float32)
        for i, image in enumerate(images):
            if any(np.array_equal(image, seen) for seen in self.first):
                probs[i, 9], probs[i, 4] = self.centred
            else:
                probs[i, 4], probs[i, 9] = 0.9, 0.1
        return probs


def test_an_unsure_digit_is_read_as_the_average_of_its_shifted_looks():
    classifier = PlacementSensitiveClassifier()
    reading = read_digits(spaced("12"), classifier)
    assert reading.text == "44"
    assert classifier.batches == [2, 12]  # the frame's digits, then 6 looks each in one batch
    # The digit as normalised weighs twice: (2 * 0.45 + 4 * 0.9) / 6.
    assert all(abs(d.confidence - 0.75) < 1e-6 for d in reading.digits)


def test_a_sure_digit_is_not_read_again():
    sure = (SECOND_LOOK_BELOW + 0.05, 0.95 - SECOND_LOOK_BELOW)
    classifier = PlacementSensitiveClassifier(centred=sure)
    reading = read_digits(spaced("12"), classifier)
    assert reading.text == "99"
    assert classifier.batches == [2]
