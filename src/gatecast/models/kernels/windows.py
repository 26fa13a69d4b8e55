"""Window normalisation and the last window of each series, in numpy alone.

Shared by the recurrent forecasters (training and prediction) and the ONNX runtime, which
must reproduce them without importing PyTorch.
"""

from __future__ import annotations

import numpy as np

from gatecast.data.grouped import GroupedArray
from gatecast.errors import ConfigError

NORMALIZERS = ("standard", "robust", "mean", "none")
EPS = 1e-8


def window_stats(x: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Location and scale of each input window ``x [batch, look_back]`` -> ``[batch, 1]``."""
    if how == "standard":
        loc = x.mean(axis=1, keepdims=True)
        scale = x.std(axis=1, keepdims=True)
        # A flat window has no spread: fall back to its level so the scale stays meaningful.
        flat = scale < EPS * (1 + np.abs(loc))
        scale = np.where(flat, np.maximum(np.abs(loc), 1.0), scale)
        return loc, scale
    if how == "robust":
        loc = np.median(x, axis=1, keepdims=True)
        scale = np.median(np.abs(x - loc), axis=1, keepdims=True)
        # More than half the window equal: the MAD is 0, fall back to the std, then the level.
        std = x.std(axis=1, keepdims=True)
        scale = np.where(scale < EPS * (1 + np.abs(loc)), std, scale)
        scale = np.where(scale < EPS * (1 + np.abs(loc)), np.maximum(np.abs(loc), 1.0), scale)
        return loc, scale
    if how == "mean":
        scale = np.abs(x).mean(axis=1, keepdims=True)
        return np.zeros_like(scale), np.where(scale < EPS, 1.0, scale)
    if how == "none":
        return np.zeros((x.shape[0], 1)), np.ones((x.shape[0], 1))
    raise ConfigError(f"unknown normalize {how!r}; use {', '.join(NORMALIZERS)}")




def tail_windows(ga: GroupedArray, look_back: int) -> np.ndarray:
    """The last ``look_back`` values of each series, left edge-padded: ``[n, look_back]``."""
    pos = ga.indptr[1:, None] - look_back + np.arange(look_back)[None, :]
    pos = np.maximum(pos, ga.indptr[:-1, None])
    return ga.values[pos]


