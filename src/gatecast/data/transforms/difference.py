"""Lag differencing of order ``d``, inverted exactly by recursive summation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gatecast.checks import MAX_SEASON_LENGTH, whole_number
from gatecast.data.grouped import GroupedArray
from gatecast.data.transforms.base import BaseTransform, register


def diff_once(ga: GroupedArray, lag: int) -> GroupedArray:
    """``y_t = x_t - x_{t-lag}`` inside every series; each series loses its first ``lag`` values.

    Every series must hold at least ``lag`` values.
    """
    starts = np.repeat(ga.indptr[:-1], ga.lengths)
    pos = np.arange(ga.values.size) - starts
    idx = np.flatnonzero(pos >= lag)
    values = ga.values[idx] - ga.values[idx - lag]
    indptr = ga.indptr - lag * np.arange(ga.n_series + 1, dtype=np.int64)
    return GroupedArray(values, indptr)


def integrate(y: np.ndarray, before: np.ndarray, lag: int) -> np.ndarray:
    """Invert one lag difference along axis 1.

    ``y`` is ``[n, T, ...]`` and ``before`` the ``lag`` values ``[n, lag]`` that precede
    ``y`` in the undifferenced series. Solves ``x_t = y_t + x_{t-lag}``: with ``t = j*lag + r``
    (``0 <= r < lag``), ``x_t = before_r + sum_{i<=j} y_{i*lag + r}``, i.e. one cumulative sum
    per residue class ``r``. Trailing axes (quantiles, samples) share ``before``.
    """
    n, t = y.shape[:2]
    rest = y.shape[2:]
    blocks = -(-t // lag)
    padded = np.zeros((n, blocks * lag, *rest))
    padded[:, :t] = y
    padded = padded.reshape(n, blocks, lag, *rest)
    x = np.cumsum(padded, axis=1) + before.reshape(n, 1, lag, *([1] * len(rest)))
    return x.reshape(n, blocks * lag, *rest)[:, :t]


@register
@dataclass
class Difference(BaseTransform):
    """Difference every series ``order`` times at lag ``lag``.

    One pass maps ``x_t`` to ``y_t = x_t - x_{t-lag}`` for ``t >= lag``; ``lag = m`` is
    seasonal differencing, and ``Pipeline([Difference(1, lag=24), Difference(1)])`` is the
    SARIMA-style ``D = 1, d = 1``. Each series shortens by ``order * lag``.

    ``fit`` stores, per pass, the first ``lag`` values of that pass's input (``heads_``,
    ``[order, n_series, lag]``, for :meth:`inverse_transform`) and its last ``lag`` values
    (``tails_``, for :meth:`inverse_forecast`, which continues the series past its end).
    Inverting sample paths is exact; for quantile forecasts the cumulative sum of quantiles is
    only an approximation to the quantile of the sum.
    """

    order: int = 1
    lag: int = 1
    name: ClassVar[str] = "difference"
    _state_keys: ClassVar[tuple[str, ...]] = ("heads_", "tails_")

    def __post_init__(self) -> None:
        for field in ("order", "lag"):
            setattr(self, field, whole_number(getattr(self, field), f"Difference {field}",
                                              maximum=MAX_SEASON_LENGTH))

    @property
    def min_length(self) -> int:
        # One value must survive, otherwise nothing is left to model.
        return self.order * self.lag + 1

    @property
    def n_dropped(self) -> int:
        return self.order * self.lag

    def _fit(self, ga: GroupedArray) -> None:
        heads = np.empty((self.order, ga.n_series, self.lag))
        tails = np.empty((self.order, ga.n_series, self.lag))
        for k in range(self.order):
            heads[k] = ga.heads(self.lag)
            tails[k] = ga.tails(self.lag)
            if k + 1 < self.order:
                ga = diff_once(ga, self.lag)
        self.heads_ = heads
        self.tails_ = tails

    def _transform(self, ga: GroupedArray) -> GroupedArray:
        for _ in range(self.order):
            ga = diff_once(ga, self.lag)
        return ga

    def _inverse_transform(self, ga_t: GroupedArray) -> GroupedArray:
        # Series have different lengths, so integrate one at a time; forecasts (the hot
        # path) are integrated for all series at once in _inverse_forecast.
        for k in reversed(range(self.order)):
            series = []
            for i, y in enumerate(ga_t):
                head = self.heads_[k, i]
                body = integrate(y[None, :], head[None, :], self.lag)[0]
                series.append(np.concatenate([head, body]))
            ga_t = GroupedArray.from_arrays(series)
        return ga_t

    def _inverse_forecast(self, f: np.ndarray) -> np.ndarray:
        for k in reversed(range(self.order)):
            f = integrate(f, self.tails_[k], self.lag)
        return f
