"""The naive family: the baselines every score must be read against.

All kernels are vectorised over a partition of series. Prediction intervals follow
Hyndman & Athanasopoulos, *Forecasting: Principles and Practice* (3rd ed.), §5.5: with
``sigma`` the standard deviation of the one-step in-sample residuals,

- naive:          sd_h = sigma * sqrt(h)
- seasonal naive: sd_h = sigma * sqrt(floor((h - 1) / m) + 1)
- drift:          sd_h = sigma * sqrt(h * (1 + h / (T - 1)))
- mean:           sd_h = sigma * sqrt(1 + 1 / T)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from gatecast.data.grouped import GroupedArray
from gatecast.data.season import check_season_length
from gatecast.models.base import Intervals, LocalForecaster, normal_intervals
from gatecast.models.kernels.decompose import seasonal_indices


def _residual_sd(ga: GroupedArray, lag: int, ddof: int = 0) -> np.ndarray:
    """Per-series RMS of ``y_t - y_{t-lag}`` (``[n_series]``; 0 when undefined)."""
    out = np.zeros(ga.n_series)
    for i, y in enumerate(ga):
        if y.size > lag + ddof:
            r = y[lag:] - y[:-lag]
            if ddof:
                r = r - r.mean()
            out[i] = np.sqrt(np.sum(r**2) / (r.size - ddof))
    return out


@dataclasses.dataclass
class Naive(LocalForecaster):
    """Repeat the last value: the random walk forecast ``y_{T+h} = y_T``."""

    supports_intervals = True

    def _fit_partition(self, ga: GroupedArray) -> dict[str, np.ndarray]:
        return {"last": ga.tails(1)[:, 0], "sigma": _residual_sd(ga, 1)}

    def _predict_partition(
        self, state: dict[str, np.ndarray], h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        mean = np.repeat(state["last"][:, None], h, axis=1)
        sd = state["sigma"][:, None] * np.sqrt(np.arange(1, h + 1))[None, :]
        return mean, normal_intervals(mean, sd, levels)


@dataclasses.dataclass
class SeasonalNaive(LocalForecaster):
    """Repeat the last season: ``y_{T+h} = y_{T+h-m(k+1)}``, ``k = floor((h-1)/m)``.

    ``season_length=None`` (default): decided in ``fit`` from the data's frequency (monthly
    12, hourly 24, ...; :mod:`gatecast.data.season`), kept as ``season_length_``.
    """

    season_length: int | None = None
    supports_intervals = True

    def __post_init__(self) -> None:
        self.season_length = check_season_length(self.season_length)

    def min_length(self) -> int:
        return self._season()

    def _fit_partition(self, ga: GroupedArray) -> dict[str, np.ndarray]:
        m = self.season_length
        return {"season": ga.tails(m), "sigma": _residual_sd(ga, m)}

    def _predict_partition(
        self, state: dict[str, np.ndarray], h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        m = self.season_length
        mean = state["season"][:, np.arange(h) % m]
        k = np.floor(np.arange(h) / m) + 1
        sd = state["sigma"][:, None] * np.sqrt(k)[None, :]
        return mean, normal_intervals(mean, sd, levels)


@dataclasses.dataclass
class Drift(LocalForecaster):
    """The line through the first and last values: ``y_T + h (y_T - y_1) / (T - 1)``."""

    supports_intervals = True

    def min_length(self) -> int:
        return 2

    def _fit_partition(self, ga: GroupedArray) -> dict[str, np.ndarray]:
        first, last = ga.heads(1)[:, 0], ga.tails(1)[:, 0]
        n = ga.lengths.astype(np.float64)
        slope = (last - first) / np.maximum(n - 1, 1)
        sigma = np.zeros(ga.n_series)
        for i, y in enumerate(ga):
            if y.size > 2:
                r = np.diff(y) - slope[i]
                sigma[i] = np.sqrt(np.sum(r**2) / (r.size - 1))
        return {"last": last, "slope": slope, "n": n, "sigma": sigma}

    def _predict_partition(
        self, state: dict[str, np.ndarray], h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        steps = np.arange(1, h + 1)[None, :]
        mean = state["last"][:, None] + state["slope"][:, None] * steps
        n = state["n"][:, None]
        sd = state["sigma"][:, None] * np.sqrt(steps * (1 + steps / np.maximum(n - 1, 1)))
        return mean, normal_intervals(mean, sd, levels)


@dataclasses.dataclass
class HistoricMean(LocalForecaster):
    """The mean of the history."""

    supports_intervals = True

    def _fit_partition(self, ga: GroupedArray) -> dict[str, np.ndarray]:
        n = ga.lengths.astype(np.float64)
        sums = np.add.reduceat(ga.values, ga.indptr[:-1]) if ga.values.size else np.zeros(0)
        mean = sums / n
        sq = np.add.reduceat((ga.values - np.repeat(mean, ga.lengths)) ** 2, ga.indptr[:-1])
        sigma = np.sqrt(sq / np.maximum(n - 1, 1))
        return {"mean": mean, "n": n, "sigma": sigma}

    def _predict_partition(
        self, state: dict[str, np.ndarray], h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        mean = np.repeat(state["mean"][:, None], h, axis=1)
        sd = (state["sigma"] * np.sqrt(1 + 1 / state["n"]))[:, None]
        return mean, normal_intervals(mean, np.broadcast_to(sd, mean.shape), levels)


@dataclasses.dataclass
class Naive2(LocalForecaster):
    """M4's Naive2: naive on the seasonally adjusted series, then reseasonalised.

    Seasonal indices come from classical multiplicative decomposition and are applied
    only where the M4 90% autocorrelation test at lag ``season_length`` finds seasonality
    (:mod:`gatecast.models.kernels.decompose`). Intervals are the naive ones on the
    adjusted scale, multiplied by the seasonal index. ``season_length=None`` (default):
    decided in ``fit`` from the data's frequency, kept as ``season_length_``.
    """

    season_length: int | None = None
    supports_intervals = True

    def __post_init__(self) -> None:
        self.season_length = check_season_length(self.season_length)

    def min_length(self) -> int:
        # Like seasonal naive: a season longer than the series cannot be estimated.
        return self._season()

    def _fit_partition(self, ga: GroupedArray) -> dict[str, Any]:
        m = self.season_length
        idx = np.ones((ga.n_series, m))
        last = np.empty(ga.n_series)
        sigma = np.zeros(ga.n_series)
        for i, y in enumerate(ga):
            si = seasonal_indices(y, m)
            idx[i] = si
            adjusted = y / si[np.arange(y.size) % m]
            last[i] = adjusted[-1]
            if adjusted.size > 1:
                sigma[i] = np.sqrt(np.mean(np.diff(adjusted) ** 2))
        return {"indices": idx, "last": last, "sigma": sigma, "n": ga.lengths}

    def _predict_partition(
        self, state: dict[str, Any], h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        m = self.season_length
        pos = (state["n"][:, None] + np.arange(h)[None, :]) % m  # season of each step
        factor = np.take_along_axis(state["indices"], pos, axis=1)
        mean = state["last"][:, None] * factor
        sd = state["sigma"][:, None] * np.sqrt(np.arange(1, h + 1))[None, :] * factor
        return mean, normal_intervals(mean, sd, levels)
