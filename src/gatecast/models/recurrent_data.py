"""From series to normalised training tensors, and back.

Every window is normalised by statistics of its own inputs only (``standard``: mean and
standard deviation; ``robust``: median and median absolute deviation, so a spike in the
window does not set its scale; ``mean``: mean absolute value; ``none``), so the target never leaks
into its own scaling and one network serves series of any level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gatecast.data.grouped import GroupedArray
from gatecast.data.windows import Windows
from gatecast.models.kernels.windows import EPS, NORMALIZERS, tail_windows, window_stats

__all__ = ["EPS", "NORMALIZERS", "WindowSource", "split_tail", "tail_windows", "window_stats"]


@dataclass
class WindowSource:
    """Training batches gathered from window indices (no per-sample Python loop).

    ``history`` (``[n_values, P+F]``, aligned with the windowed values) holds the scaled
    covariates fed as past channels, the last ``n_future`` of them also known for the
    forecast steps; ``static`` (``[n_series, S]``) the scaled static features.
    """

    windows: Windows
    normalize: str
    horizon: int
    history: np.ndarray | None = None
    n_future: int = 0
    static: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.windows)

    def batch(self, idx: np.ndarray) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        x = self.windows.inputs(idx)[:, :, 0]  # [batch, look_back]
        y = self.windows.targets(idx)[:, : self.horizon]  # [batch, horizon]
        cov = fut = static = None
        if self.history is not None and self.history.shape[1]:
            pin, pout = self.windows.positions(idx)
            cov = self.history[pin]  # [batch, look_back, P+F]
            if self.n_future:
                fut = self.history[pout[:, : self.horizon], -self.n_future:]  # [batch, H, F]
        if self.static is not None and self.static.shape[1]:
            static = self.static[self.windows.series[np.asarray(idx)]]  # [batch, S]
        return to_tensors(x, y, self.normalize, self.horizon, cov, fut, static)


@dataclass
class ArraySource:
    """Batches from fixed arrays (validation windows): ``x [n, look_back]``, ``y [n, h]``,
    optional ``cov [n, look_back, P+F]``, ``future [n, h, F]``, ``static [n, S]``."""

    x: np.ndarray
    y: np.ndarray
    normalize: str
    horizon: int
    cov: np.ndarray | None = None
    future: np.ndarray | None = None
    static: np.ndarray | None = None

    def __len__(self) -> int:
        return self.x.shape[0]

    def batch(self, idx: np.ndarray) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[idx]

        return to_tensors(self.x[idx], self.y[idx], self.normalize, self.horizon,
                          pick(self.cov), pick(self.future), pick(self.static))


def _f32(a: np.ndarray | None, shape: tuple[int, ...]) -> torch.Tensor:
    if a is None:
        return torch.zeros(shape)
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def to_tensors(x: np.ndarray, y: np.ndarray, normalize: str, horizon: int,
               cov: np.ndarray | None = None, future: np.ndarray | None = None,
               static: np.ndarray | None = None
               ) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """``((x [b, L, 1+C], future [b, H, F], static [b, S]), y [b, H])``, the target scaled
    by its window's statistics, covariates as given (already standardised)."""
    loc, scale = window_stats(x, normalize)
    xn = torch.from_numpy(((x - loc) / scale).astype(np.float32))[:, :, None]  # [b, L, 1]
    if cov is not None and cov.shape[-1]:
        xn = torch.cat([xn, _f32(cov, ())], dim=2)  # [b, L, 1 + P + F]
    yn = torch.from_numpy(((y - loc) / scale).astype(np.float32))  # [b, H]
    b = x.shape[0]
    return (xn, _f32(future, (b, horizon, 0)), _f32(static, (b, 0))), yn


def split_tail(ga: GroupedArray, n: int) -> tuple[GroupedArray, np.ndarray]:
    """Each series without its last ``n`` values, and those values ``[n_series, n]``."""
    tails = ga.tails(n)
    keep = np.ones(ga.values.size, dtype=bool)
    for k in range(1, n + 1):
        keep[ga.indptr[1:] - k] = False
    indptr = ga.indptr - n * np.arange(ga.n_series + 1)
    return GroupedArray(ga.values[keep], indptr), tails
