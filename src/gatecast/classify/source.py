"""Training batches for the classifier: standardised sequences, integer targets, optional
random-shift augmentation.

Standardisation is per feature, ``z = (x - mean_f) / std_f`` with the mean and standard
deviation over all samples and steps of the training part (a feature that never varies
keeps scale 1), so every input channel enters the network at unit scale.

Shift augmentation (``shift = s > 0``) moves each training sample by ``dt`` steps along
time and ``df`` positions along the features, both drawn uniformly from ``-s..s``, with
zeros (in the original units) filling what moves in. It is meant for image-like sequences,
e.g. an MNIST digit read row by row, where it is the classic ±2-pixel translation; it acts
on training batches only. The shifts of a batch are a function of the seed and the batch's
sample indices, so a run resumed from a checkpoint draws the shifts the uninterrupted run
would have.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

__all__ = ["SequenceSource", "feature_stats", "random_shift"]


def feature_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature ``(mean, std)`` of ``x [samples, time, features]``, each ``[features]``;
    a constant feature gets scale 1."""
    flat = x.reshape(-1, x.shape[2]).astype(np.float64)  # [samples*time, features]
    mean, std = flat.mean(axis=0), flat.std(axis=0)
    std = np.where(std < 1e-8 * (1.0 + np.abs(mean)), 1.0, std)
    return mean.astype(np.float32), std.astype(np.float32)


def random_shift(x: Tensor, shift: int, rng: np.random.Generator) -> Tensor:
    """Each sample of ``x [batch, time, features]`` shifted by up to ±``shift`` steps along
    time and along features, zero-filled (a translated image, for rows-as-steps images)."""
    batch, steps, width = x.shape
    dt = torch.from_numpy(rng.integers(-shift, shift + 1, batch))  # [batch]
    df = torch.from_numpy(rng.integers(-shift, shift + 1, batch))  # [batch]
    padded = torch.nn.functional.pad(x, (shift, shift, shift, shift))  # [B, T+2s, F+2s]
    rows = torch.arange(steps)[None, :] + shift - dt[:, None]  # [batch, time]
    cols = torch.arange(width)[None, :] + shift - df[:, None]  # [batch, features]
    b = torch.arange(batch)[:, None, None]  # [batch, 1, 1]
    return padded[b, rows[:, :, None], cols[:, None, :]]  # [batch, time, features]


@dataclass
class SequenceSource:
    """Batches ``((z [batch, time, features],), labels [batch])`` gathered by index."""

    x: Tensor  # [samples, time, features] in the original units, float32
    y: Tensor  # [samples] class codes, int64
    mean: Tensor  # [features]
    std: Tensor  # [features]
    shift: int = 0
    seed: int = 0

    def __len__(self) -> int:
        return self.x.shape[0]

    def batch(self, idx: np.ndarray) -> tuple[tuple[Tensor, ...], Tensor]:
        index = torch.from_numpy(np.asarray(idx, dtype=np.int64))
        x = self.x[index]  # [batch, time, features]
        if self.shift > 0:
            # seeded by the batch's own indices: resumable and independent of call order
            rng = np.random.default_rng([self.seed, 2, *np.asarray(idx, dtype=np.int64)])
            x = random_shift(x, self.shift, rng)
        z = (x - self.mean) / self.std  # [batch, time, features]
        return (z,), self.y[index]
