"""Camera-like augmentation of batches of digits: small affine warps and stroke thickness changes.

Random numbers are stateless and keyed by (seed, batch counter), so a run is the same every time
whatever the tf.data parallelism.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf

CENTER_PX = 13.5


@dataclass(frozen=True)
class AugmentOptions:
    """How far to perturb each training digit."""

    max_rotation_deg: float = 12.0  # people hold pens (and cameras) slightly tilted
    max_scale: float = 0.12  # the reader fits digits into 20x20, but not perfectly
    max_shear: float = 0.15  # slanted handwriting
    max_shift_px: float = 2.0  # centre-of-mass placement is off by a pixel or two
    thickness_prob: float = 0.3  # chance of a thinner (pen) or thicker (marker) stroke


def _affine_transforms(seed: tf.Tensor, n: tf.Tensor, opt: AugmentOptions) -> tf.Tensor:
    """Return (n, 8) projective transforms (output -> input pixel mapping) for ImageProjectiveTransform."""
    u = tf.random.stateless_uniform([n, 5], seed=seed, minval=-1.0, maxval=1.0)
    angle = u[:, 0] * math.radians(opt.max_rotation_deg)
    scale = 1.0 + u[:, 1] * opt.max_scale
    shear = u[:, 2] * opt.max_shear
    tx, ty = u[:, 3] * opt.max_shift_px, u[:, 4] * opt.max_shift_px
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    # Inverse of (rotate+scale, then shear) around the centre, then shifted.
    a0, a1 = cos + shear * sin, sin
    b0, b1 = -sin + shear * cos, cos
    cx, cy = CENTER_PX + tx, CENTER_PX + ty
    a2 = CENTER_PX - (a0 * cx + a1 * cy)
    b2 = CENTER_PX - (b0 * cx + b1 * cy)
    zeros = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def augment_batch(
    images: tf.Tensor, seed: tf.Tensor, opt: AugmentOptions = AugmentOptions()
) -> tf.Tensor:
    """Warp and re-stroke a batch of images (B, 28, 28) float in [0, 1] using a stateless `seed` (2,)."""
    n = tf.shape(images)[0]
    x = images[..., None]
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x,
        transforms=_affine_transforms(seed, n, opt),
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    thicker = tf.nn.max_pool2d(x, ksize=2, strides=1, padding="SAME")
    thinner = -tf.nn.max_pool2d(-x, ksize=2, strides=1, padding="SAME")
    pick = tf.random.stateless_uniform([n, 1, 1, 1], seed=seed + 1)
    x = tf.where(
        pick < opt.thickness_prob / 2, thicker, tf.where(pick < opt.thickness_prob, thinner, x)
    )
    return tf.clip_by_value(x[..., 0], 0.0, 1.0)
