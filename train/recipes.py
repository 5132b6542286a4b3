"""Training recipes: `seed` reproduces the reference notebook, `edge` trains the same network better."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    """How to train the 784-100-100-100-10 MLP."""

    name: str
    epochs: int  # the most epochs; early stopping may end sooner
    batch_size: int
    learning_rate: float  # Adam's (peak) learning rate
    augment: bool = False  # camera-like warps and stroke thickness (train/augment.py)
    cosine_decay: bool = False  # decay the learning rate to ~0 over `epochs`
    warmup_epochs: int = 0  # linear warm-up before the decay
    # 0 = off; else stop after this many epochs without val-loss gain.
    early_stopping_patience: int = 0
    label_smoothing: float = 0.0
    weight_decay: float = 0.0  # decoupled (AdamW) when > 0
    flag_ones: float = 0.0  # share of the 1s given a European flag (train/flags.py)


RECIPES: dict[str, Recipe] = {
    # Exactly the reference notebook: Adam 1e-3, batch 100, 10 epochs, plain cross-entropy.
    "seed": Recipe(name="seed", epochs=10, batch_size=100, learning_rate=1e-3),
    "edge": Recipe(
        name="edge",
        epochs=60,
        batch_size=128,
        learning_rate=3e-3,
        augment=True,
        cosine_decay=True,
        warmup_epochs=2,
        early_stopping_patience=12,
        label_smoothing=0.05,
        weight_decay=1e-4,
        flag_ones=0.15,
    ),
}
DEFAULT_RECIPE = "edge"
