"""The seasonal view of a context: classical decomposition's seasonal indices.

A network that reads a season as "the last season plus a correction" forecasts a stable but
noisy season about as seasonal naive does: averaging each phase over several years is hard
for an LSTM of 64 units. Dividing the season out first (the classical multiplicative
decomposition: a centred moving average of one season, each phase's mean ratio to it,
indices normalised to mean 1; additive when a value is not positive) hands the network a
series without the season, and multiplying the indices back in gives a forecast whose season
is the average of the seasons read (the last :data:`RECENT_SEASONS` of them by default, so
that a season whose amplitude drifts is followed). :func:`.inference.forecast` averages this
view with the network's own (``docs/pretrained.md``, "The seasonal view").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Whole seasons a context needs for the view (one season of the centred moving average is
#: lost at its ends, so 3 leave at least two ratios for every phase).
MIN_SEASONS = 3
#: Seasons of ratios the indices average by default (``docs/pretrained.md``, "The seasonal
#: view": chosen on validation folds).
RECENT_SEASONS = 5
#: The largest window a model accepts (a context is at most this long anyway).
MAX_SEASON_WINDOW = 100_000


@dataclass(frozen=True)
class Season:
    """Seasonal indices of a context of ``n`` points: ``indices[k]`` belongs to the points at
    positions ``k, k + m, ...``; multiplicative (mean 1) or additive (mean 0)."""

    indices: np.ndarray
    multiplicative: bool
    n: int

    def remove(self, y: np.ndarray) -> np.ndarray:
        s = self.indices[np.arange(len(y)) % len(self.indices)]
        return y / s if self.multiplicative else y - s

    def restore(self, q: np.ndarray) -> np.ndarray:
        """The season of the ``q.shape[0]`` steps after the context put back into ``q``
        (``[h]`` or ``[h, quantiles]``)."""
        s = self.indices[np.arange(self.n, self.n + q.shape[0]) % len(self.indices)]
        s = s.reshape((-1,) + (1,) * (q.ndim - 1))
        return q * s if self.multiplicative else q + s


def season_of(y: np.ndarray, m: int, window: int | None = None) -> Season | None:
    """The seasonal indices of ``y`` for season length ``m``, each phase's ratio to the
    moving average averaged over the last ``window`` seasons of ratios (``None``: all);
    ``None`` where there is no season to take out (``m`` < 2, fewer than
    :data:`MIN_SEASONS` seasons, or indices that are not finite and, for a multiplicative
    season, positive)."""
    y = np.asarray(y, dtype=np.float64)
    if m < 2 or len(y) < MIN_SEASONS * m or not np.all(np.isfinite(y)):
        return None
    weights = (np.r_[0.5, np.ones(m - 1), 0.5] if m % 2 == 0 else np.ones(m)) / m
    trend = np.convolve(y, weights, mode="valid")
    start = (len(weights) - 1) // 2
    middle = y[start:start + len(trend)]
    multiplicative = bool(np.all(y > 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = middle / trend if multiplicative else middle - trend
    phase = np.arange(start, start + len(trend)) % m
    if window is not None:
        ratio, phase = ratio[-window * m:], phase[-window * m:]
    indices = np.bincount(phase, ratio, minlength=m) / np.bincount(phase, minlength=m)
    indices = indices / indices.mean() if multiplicative else indices - indices.mean()
    if not np.all(np.isfinite(indices)) or (multiplicative and np.any(indices <= 0)):
        return None
    return Season(indices, multiplicative, len(y))
