"""A backtest's forecasts as aligned arrays: the common input of the forecast diagnostics.

Every fold ``w`` cuts every series ``i`` after ``cuts[w, i]`` points and forecasts the next
``h``. The diagnostics compare each forecast with the actual, with the value observed at the
cutoff (the naive forecast) and with the seasonal-naive forecast from the same history, so
they need those four arrays side by side: ``[n_windows, n_series, h]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gatecast.checks import MAX_SEASON_LENGTH, whole_number
from gatecast.errors import ConfigError

# A forecast path (one value per time step) needs this many consecutive one-step-apart
# cutoffs before cross-correlations and residual autocorrelations mean anything.
MIN_PATH = 10


@dataclass(frozen=True)
class FoldArrays:
    """Actuals and reference forecasts of a backtest, fold by fold.

    Attributes:
        ids: series ids ``[n_series]``.
        actual: ``[n_windows, n_series, h]`` the true values.
        last: ``[n_windows, n_series]`` the last observed value at each cutoff
            (so the naive forecast of every step is ``last[..., None]``).
        snaive: ``[n_windows, n_series, h]`` seasonal-naive forecasts from the same history
            (NaN where a fold has fewer than ``season_length`` points or ``season_length`` is 1).
        cuts: ``[n_windows, n_series]`` training length of each fold.
        history: the full series (only for scales and plots, never for forecasts).
        season_length: ``m``.
    """

    ids: np.ndarray
    actual: np.ndarray
    last: np.ndarray
    snaive: np.ndarray
    cuts: np.ndarray
    history: list[np.ndarray]
    season_length: int

    @property
    def h(self) -> int:
        return int(self.actual.shape[2])

    @property
    def n_windows(self) -> int:
        return int(self.actual.shape[0])

    def consecutive(self) -> bool:
        """True when cutoffs move one step at a time, so lead ``j`` forecasts form a path."""
        return self.n_windows >= MIN_PATH and bool(np.all(np.diff(self.cuts, axis=0) == 1))


def reference_forecasts(
    history: list[np.ndarray], cuts: np.ndarray, h: int, season_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Last observed value ``[W, N]`` and seasonal-naive forecasts ``[W, N, h]`` per fold."""
    n_windows, n_series = cuts.shape
    last = np.empty((n_windows, n_series))
    snaive = np.full((n_windows, n_series, h), np.nan)
    m = season_length
    steps = np.arange(h) % m
    for w in range(n_windows):
        for i in range(n_series):
            past = history[i][: cuts[w, i]]
            last[w, i] = past[-1]
            if m > 1 and past.size >= m:
                snaive[w, i] = past[-m:][steps]
    return last, snaive


def run_season(result: Any, season_length: int | None) -> int:
    """``season_length`` if given, else the run's (``result.season_length``, decided once
    from the data's frequency by the backtest; 1 for a result without one)."""
    if season_length is None:
        season_length = getattr(result, "season_length", 1)
    return whole_number(season_length, "season_length", maximum=MAX_SEASON_LENGTH)


def fold_arrays(result: Any, season_length: int | None = None) -> FoldArrays:
    """Arrays of a :class:`~gatecast.evaluation.backtest.BacktestResult`; the seasonal-naive
    reference uses the run's season length (``result.season_length``) unless given."""
    season_length = run_season(result, season_length)
    h = int(result.h)
    cuts = np.asarray(result.cuts)
    n_windows, n_series = cuts.shape
    values = result.data.grouped()
    history = [np.asarray(values[i], dtype=np.float64) for i in range(n_series)]
    actual = result.forecasts["y"].to_numpy(np.float64).reshape(n_windows, n_series, h)
    last, snaive = reference_forecasts(history, cuts, h, int(season_length))
    return FoldArrays(
        ids=np.asarray(result.data.ids), actual=actual, last=last, snaive=snaive, cuts=cuts,
        history=history, season_length=int(season_length),
    )


def model_forecasts(result: Any, model: str) -> np.ndarray:
    """The point forecasts of ``model`` as ``[n_windows, n_series, h]``."""
    if model not in result.forecasts.columns:
        raise ConfigError(f"no model {model!r} in this backtest; it has {', '.join(result.models)}")
    n_windows, n_series = np.asarray(result.cuts).shape
    return result.forecasts[model].to_numpy(np.float64).reshape(n_windows, n_series, result.h)
