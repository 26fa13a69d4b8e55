"""Per-frame scores of predicted frames, as Shi et al. (2015) report them.

Both scores are **sums over the pixels of a frame** (and its channels), averaged over the
sequences, one number per lead time; the mean over lead times is "per frame".
"""

from __future__ import annotations

import numpy as np

from gatecast.errors import DataError

#: Probabilities are clipped to [EPS, 1 - EPS] before the logarithm, so a prediction of
#: exactly 0 or 1 (the copy-last-frame baseline) costs -log(EPS) ≈ 6.9 per wrong pixel
#: instead of infinity. Model outputs (sigmoids) are barely touched by it.
EPS = 1e-3


def _pair(pred: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    if pred.shape != truth.shape or pred.ndim not in (4, 5):
        raise DataError(f"predictions {list(pred.shape)} and truth {list(truth.shape)} must"
                        " have the same shape [(n,) horizon, C, H, W]")
    if pred.ndim == 4:
        pred, truth = pred[None], truth[None]
    return pred, truth


def frame_mse(pred: np.ndarray, truth: np.ndarray, per_sequence: bool = False) -> np.ndarray:
    """``[horizon]``: squared error summed over each frame's pixels, mean over sequences
    (``per_sequence``: ``[n, horizon]``, no mean)."""
    pred, truth = _pair(pred, truth)
    sums = ((pred - truth) ** 2).sum(axis=(2, 3, 4))  # [n, horizon]
    return sums if per_sequence else sums.mean(axis=0)


def frame_bce(prob: np.ndarray, truth: np.ndarray, eps: float = EPS,
              per_sequence: bool = False) -> np.ndarray:
    """``[horizon]``: binary cross-entropy ``-Σ t log p + (1 - t) log(1 - p)`` over each
    frame's pixels (truth ``t`` in [0, 1], probabilities ``p`` clipped to [eps, 1 - eps]),
    mean over sequences (``per_sequence``: ``[n, horizon]``, no mean)."""
    prob, truth = _pair(prob, truth)
    p = np.clip(prob, eps, 1 - eps)
    ce = -(truth * np.log(p) + (1 - truth) * np.log1p(-p))
    sums = ce.sum(axis=(2, 3, 4))  # [n, horizon]
    return sums if per_sequence else sums.mean(axis=0)
