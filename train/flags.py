"""European 1s for training: a flag drawn at the top of some MNIST 1s.

MNIST's writers were American: their 1 is mostly a bare stem, and the few flagged ones have short
flags. Written in Europe, a 1 has a flag as long as a third of its height, which an MNIST-trained
classifier reads as 7. The flag is drawn with the stem's own pen width, from the top of the stem
down to the left, before the camera-like warps of train/augment.py move both.
"""

from __future__ import annotations

import math

import tensorflow as tf

FLAG_LENGTH = (0.15, 0.35)  # of the digit's height
FLAG_ANGLE_DEG = (30.0, 60.0)  # below the horizontal, pointing left: steeper than a 7's bar
INK_LEVEL = 0.5  # a pixel this bright is ink when measuring the stem


def _segment_ink(start: tf.Tensor, end: tf.Tensor, radius: tf.Tensor, size: int) -> tf.Tensor:
    """Return (B, size, size) ink of line segments start->end (B, 2; x, y) of pen `radius` (B,)."""
    coords = tf.range(size, dtype=tf.float32)
    xx, yy = tf.meshgrid(coords, coords)  # (size, size), x along columns
    p = tf.stack([xx, yy], -1)[None]  # (1, size, size, 2)
    a, d = start[:, None, None, :], (end - start)[:, None, None, :]
    t = tf.reduce_sum((p - a) * d, -1) / tf.maximum(tf.reduce_sum(d * d, -1), 1e-6)
    nearest = a + tf.clip_by_value(t, 0.0, 1.0)[..., None] * d
    distance = tf.norm(p - nearest, axis=-1)
    # Antialiased like MNIST's strokes: full ink inside the pen, fading over one pixel.
    return tf.clip_by_value(radius[:, None, None] + 0.5 - distance, 0.0, 1.0)


def flag_ones(images: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor, share: float) -> tf.Tensor:
    """Draw a flag on `share` of the 1s in a batch (B, 28, 28) float [0, 1] with a stateless `seed`.

    `labels` are class ids (B,) or one-hot rows (B, 10).
    """
    if share <= 0:
        return images
    if labels.shape.rank == 2:
        labels = tf.argmax(labels, axis=-1)
    n, size = tf.shape(images)[0], images.shape[1]
    u = tf.random.stateless_uniform([n, 3], seed=seed)
    chosen = tf.where(tf.logical_and(tf.cast(labels, tf.int64) == 1, u[:, 0] < share))
    # Only the chosen few are drawn on: about 2% of a batch.
    ones, u = tf.gather_nd(images, chosen), tf.gather_nd(u, chosen)

    ink = tf.cast(ones >= INK_LEVEL, tf.float32)
    rows = tf.reduce_sum(ink, axis=2)  # (K, size): ink per row
    has_ink = rows > 0
    row_ids = tf.range(size, dtype=tf.float32)[None]
    top = tf.reduce_min(tf.where(has_ink, row_ids, float(size)), axis=1)
    bottom = tf.reduce_max(tf.where(has_ink, row_ids, -1.0), axis=1)
    height = tf.maximum(bottom - top + 1.0, 1.0)
    # The stem's pen: its ink per row, where rows hold ink.
    width = tf.reduce_sum(rows, axis=1) / tf.maximum(
        tf.reduce_sum(tf.cast(has_ink, tf.float32), 1), 1.0
    )
    # Where the stem starts: the centre of the ink in its top two rows.
    near_top = tf.cast(row_ids <= top[:, None] + 1.0, tf.float32)[..., None]  # (K, size, 1)
    top_ink = ink * near_top
    cols = tf.range(size, dtype=tf.float32)[None, None]
    top_x = tf.reduce_sum(top_ink * cols, axis=[1, 2]) / tf.maximum(
        tf.reduce_sum(top_ink, [1, 2]), 1.0
    )

    length = height * (FLAG_LENGTH[0] + u[:, 1] * (FLAG_LENGTH[1] - FLAG_LENGTH[0]))
    angle = tf.constant(math.radians(1.0)) * (
        FLAG_ANGLE_DEG[0] + u[:, 2] * (FLAG_ANGLE_DEG[1] - FLAG_ANGLE_DEG[0])
    )
    start = tf.stack([top_x, top + width / 2], -1)
    end = start + tf.stack([-tf.cos(angle), tf.sin(angle)], -1) * length[:, None]
    flag = _segment_ink(start, end, tf.maximum(width / 2, 0.75), size)
    return tf.tensor_scatter_nd_update(images, chosen, tf.maximum(ones, flag))
