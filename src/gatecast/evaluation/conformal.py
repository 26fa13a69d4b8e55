"""Conformal prediction intervals around any forecaster, calibrated on a rolling-origin backtest.

Distribution-free intervals per horizon step (split conformal over time, as in
Stankeviciute et al. 2021 and StatsForecast's ``ConformalIntervals``), composed around a
forecaster instead of built into it:

1. backtest the model on ``n_windows`` rolling-origin folds of ``h`` steps
   (:func:`~gatecast.evaluation.backtest.backtest`: each fold refits on the data before its
   cutoff, so no fold sees its own future, and the forecast window is never in the data);
2. collect the absolute errors ``e[w, i, k] = |y - y_hat|`` of fold ``w``, series ``i``,
   step ``k``;
3. for a level ``L`` and ``n = n_windows`` errors of series ``i`` at step ``k``, the margin
   is the ``r``-th smallest error with ``r = ceil((n + 1) L / 100)`` (the finite-sample
   conformal quantile: under exchangeable errors ``P(|y - y_hat| <= margin) >= L / 100``);
4. when ``r > n`` (too few windows for the level: 95% needs 19), ``short`` decides:
   ``"pool"`` (default) pools the errors at step ``k`` of all series, each divided by its
   series' scale ``s_i`` (the mean of the series' absolute calibration errors over all its
   windows and steps: the model's own error level on that series; the naive in-sample MAE
   where that is 0), takes the conformal quantile ``q_k`` of the ``n * n_series`` pooled
   scores and sets the margin to ``q_k * s_i``; ``"max"`` takes the series' largest error
   at step ``k`` (docs/decisions.md has the measurement behind both choices);
5. the model is fitted on all the data and forecasts; the interval is
   ``y_hat -/+ margin``, in the same ``<model>-lo-<level>`` / ``-hi-`` columns as quantile
   intervals. Margins are made non-decreasing in the level, so intervals nest.

The step-``k`` margin uses only errors at step ``k``.

``around="interval"`` calibrates a model's own intervals instead (conformalized quantile
regression, Romano et al. 2019): the backtest forecasts the model's ``lo``/``hi`` at each
level, the score of a point is ``max(lo - y, y - hi)`` (negative inside the interval), its
conformal quantile ``q`` (per series, or pooled as above) moves both ends, ``[lo - q, hi +
q]``: an interval that undercovered widens, one that overcovered narrows. It needs a model
with intervals (an LSTM trained with ``levels=``, ETS, ARIMA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gatecast.checks import whole_number
from gatecast.data.validate import SeriesFrame
from gatecast.errors import ConfigError, DataError, series_list
from gatecast.evaluation.backtest import backtest, check_fold_room, fold_cuts
from gatecast.models.base import level_label

#: The interval methods a forecast can ask for; "quantile" is each model's own.
INTERVALS = ("quantile", "conformal")
#: How a level with too few calibration windows per series is handled.
SHORT = ("pool", "max")
#: What the margins widen: a band around the point forecast, or the model's own interval.
AROUND = ("point", "interval")
#: Calibration folds by default (see docs/decisions.md, "Conformal intervals").
DEFAULT_WINDOWS = 5
#: At most this many calibration folds (each refits the model).
MAX_CONFORMAL_WINDOWS = 100


def check_intervals(intervals: Any) -> str:
    """``intervals`` if it is one of :data:`INTERVALS`, else a ConfigError naming them."""
    if not isinstance(intervals, str) or intervals not in INTERVALS:
        raise ConfigError(f"intervals must be one of {', '.join(map(repr, INTERVALS))},"
                          f" got {intervals!r}")
    return intervals


@dataclass(frozen=True)
class ConformalConfig:
    """How conformal intervals are calibrated.

    Attributes:
        n_windows: rolling-origin folds of ``h`` steps whose errors calibrate the intervals
            (each refits the model unless ``refit`` says otherwise); ``1`` to
            :data:`MAX_CONFORMAL_WINDOWS`.
        refit: as :func:`~gatecast.evaluation.backtest.backtest`'s ``refit``: ``True``
            refits in every fold; ``False`` fits in the first fold only and forecasts the
            later folds from their history with the same parameters (cheaper; models
            without ``forward`` need ``True``).
        short: a level that needs more windows than a series has (``ceil((n + 1) L/100) >
            n``): ``"pool"`` the scaled errors of all series, or widen to the ``"max"``.
        around: ``"point"`` (default): a band ``y_hat -/+ margin`` around the point
            forecast, for any model; ``"interval"``: the model's own interval at each
            level, calibrated (see the module docstring; the model must give intervals).
    """

    n_windows: int = DEFAULT_WINDOWS
    refit: bool = True
    short: str = "pool"
    around: str = "point"

    def __post_init__(self) -> None:
        n = whole_number(self.n_windows, "conformal n_windows", maximum=MAX_CONFORMAL_WINDOWS)
        object.__setattr__(self, "n_windows", n)
        if not isinstance(self.refit, bool):
            raise ConfigError(f"conformal refit must be True or False, got {self.refit!r}")
        if self.short not in SHORT:
            raise ConfigError(f"conformal short must be one of {', '.join(map(repr, SHORT))},"
                              f" got {self.short!r}")
        if self.around not in AROUND:
            raise ConfigError(f"conformal around must be one of"
                              f" {', '.join(map(repr, AROUND))}, got {self.around!r}")


@dataclass(frozen=True)
class Calibration:
    """The backtest errors behind one model's conformal intervals.

    ``errors``: ``[n_windows, n_series, h]`` absolute errors (window 0 is the earliest);
    ``scales``: ``[n_series]`` each series' error level for pooling (see :func:`error_scales`);
    ``scores``: with ``around="interval"``, ``level -> [n_windows, n_series, h]`` interval
    scores ``max(lo - y, y - hi)`` (else empty: the scores are ``errors``).
    """

    name: str
    ids: np.ndarray
    errors: np.ndarray
    scales: np.ndarray
    scores: dict[float, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class ConformalBands:
    """Margins of one model's conformal intervals: ``level -> [n_series, h]``, with the
    rule each level used (``"series"``, ``"pool"`` or ``"max"``) and what they widen
    (``around``: the point forecast, or the model's own ``"interval"``)."""

    name: str
    ids: np.ndarray
    margins: dict[float, np.ndarray]
    rules: dict[float, str] = field(default_factory=dict)
    around: str = "point"

    def model_levels(self) -> list[float] | None:
        """The levels the model must forecast for :func:`add_bands`: its own intervals
        when they are what is calibrated, else none (the point forecast)."""
        return sorted(self.margins) if self.around == "interval" else None


def naive_scales(sf: SeriesFrame) -> np.ndarray:
    """``[n_series]`` mean ``|y[t] - y[t-1]|`` of each series; 1 where it is 0 or undefined
    (a constant or one-point series), so pooled errors stay finite."""
    ga = sf.grouped()
    diffs = np.abs(np.diff(ga.values))
    # a difference across two series is dropped: positions indptr[1:-1] - 1 of diffs
    keep = np.ones(diffs.size, dtype=bool)
    keep[ga.indptr[1:-1] - 1] = False
    sums = np.zeros(sf.n_series)
    owner = np.repeat(np.arange(sf.n_series), np.maximum(ga.lengths - 1, 0))
    np.add.at(sums, owner, diffs[keep])
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = sums / (ga.lengths - 1)
    return np.where(np.isfinite(scales) & (scales > 0), scales, 1.0)


def error_scales(errors: np.ndarray, sf: SeriesFrame) -> np.ndarray:
    """``[n_series]`` mean absolute calibration error of each series over all its windows and
    steps (``errors``: ``[n_windows, n_series, h]``); where that is 0 or undefined, the
    naive in-sample MAE (:func:`naive_scales`). Pooled scores ``e / s_i`` then share one
    distribution across series far better than errors scaled by the data's own variation
    (docs/decisions.md)."""
    with np.errstate(invalid="ignore"):
        own = np.nanmean(errors, axis=(0, 2)) if errors.size else np.zeros(sf.n_series)
    ok = np.isfinite(own) & (own > 0)
    return np.where(ok, own, naive_scales(sf))


def check_windows(model: Any, sf: SeriesFrame, h: int, n_windows: int) -> None:
    """DataError naming the series too short for ``n_windows`` calibration folds."""
    need = int(getattr(model, "min_length", lambda: 1)())
    cuts = fold_cuts(sf.lengths, h, n_windows, h)
    check_fold_room(sf, cuts, need,
                    f"conformal intervals with {n_windows} calibration window(s) of h={h}",
                    need + h * n_windows, "use fewer windows (conformal n_windows /"
                    " --conformal-windows) or a smaller h")


def calibrate(model: Any, sf: SeriesFrame, h: int, config: ConformalConfig | None = None,
              levels: list[float] | None = None) -> Calibration:
    """Backtest ``model`` (a copy; the model itself stays as it is) on ``config.n_windows``
    folds of ``h`` steps and keep its absolute errors, and with ``around="interval"`` the
    scores of its intervals at ``levels`` (see the module docstring)."""
    config = config or ConformalConfig()
    check_windows(model, sf, h, config.n_windows)
    own = sorted(levels or []) if config.around == "interval" else []
    if config.around == "interval" and not getattr(model, "supports_intervals", False):
        raise ConfigError(f"conformal around='interval' calibrates a model's own intervals;"
                          f" {model.name} gives none (an LSTM needs levels=(80, 95)):"
                          " use around='point'")
    if config.around == "interval" and not own:
        raise ConfigError("conformal around='interval' needs the levels to calibrate")
    result = backtest(model, sf, h, n_windows=config.n_windows, refit=config.refit,
                      level=own or None)
    name = result.models[0]
    fc = result.forecasts
    shape = (config.n_windows, sf.n_series, h)
    y = fc["y"].to_numpy(np.float64)
    errors = np.abs(y - fc[name].to_numpy(np.float64)).reshape(shape)
    scores = {}
    for lv in own:
        lo = fc[f"{name}-lo-{level_label(lv)}"].to_numpy(np.float64)
        hi = fc[f"{name}-hi-{level_label(lv)}"].to_numpy(np.float64)
        scores[lv] = np.maximum(lo - y, y - hi).reshape(shape)
    return Calibration(name, sf.ids, errors, error_scales(errors, sf), scores)


def conformal_rank(n: int, level: float) -> int:
    """``ceil((n + 1) * level / 100)``: which order statistic of ``n`` scores is the
    finite-sample conformal quantile (above ``n``: there are too few scores)."""
    return math.ceil((n + 1) * level / 100 - 1e-9)


def _margin(scores: np.ndarray, scales: np.ndarray, level: float, short: str
            ) -> tuple[np.ndarray, str]:
    """The ``[n_series, h]`` conformal quantile of ``scores [n_windows, n_series, h]`` at
    ``level`` and the rule used (per series, pooled over series, or their maximum)."""
    n = scores.shape[0]
    ordered = np.sort(scores, axis=0)  # ascending per series and step
    r = conformal_rank(n, level)
    if r <= n:
        return ordered[r - 1], "series"
    if short == "max":
        return ordered[-1], "max"
    scaled = scores / scales[None, :, None]  # [n_windows * n_series, h] scores, per step
    pooled = np.sort(scaled.reshape(-1, scaled.shape[2]), axis=0)
    rp = min(conformal_rank(pooled.shape[0], level), pooled.shape[0])
    return pooled[rp - 1][None, :] * scales[:, None], "pool"


def margins(cal: Calibration, levels: list[float], short: str = "pool") -> ConformalBands:
    """The margins at each level from the calibration: half-widths around the point
    forecast, or (``cal.scores``) the shift of each end of the model's own interval."""
    around = "interval" if cal.scores else "point"
    out: dict[float, np.ndarray] = {}
    rules: dict[float, str] = {}
    previous = None
    for lv in sorted(levels):
        m, rule = _margin(cal.scores[lv] if cal.scores else cal.errors, cal.scales, lv, short)
        if previous is not None and around == "point":
            m = np.maximum(m, previous)  # a wider level never gives a narrower interval
        out[lv], rules[lv], previous = m, rule, m
    return ConformalBands(cal.name, cal.ids, out, rules, around)


def add_bands(frame: pd.DataFrame, bands: ConformalBands) -> pd.DataFrame:
    """``frame`` (a forecast frame with the point column ``bands.name``) with the conformal
    ``<name>-lo-<level>`` / ``-hi-`` columns, for whichever of the bands' series it holds."""
    index = pd.Index(bands.ids)
    rows = index.get_indexer(frame["unique_id"])
    if np.any(rows < 0):
        raise DataError(f"no conformal calibration for series"
                        f" {series_list(list(frame['unique_id'][rows < 0].unique()))}")
    step = frame.groupby("unique_id", sort=False).cumcount().to_numpy()
    out = frame.copy()
    point = out[bands.name].to_numpy(np.float64)
    lo_prev = hi_prev = point
    for lv, m in sorted(bands.margins.items()):
        if step.max(initial=0) >= m.shape[1]:
            raise ConfigError(f"conformal intervals were calibrated for h={m.shape[1]}; a"
                              " longer forecast needs a new calibration")
        shift = m[rows, step]
        lo_col, hi_col = (f"{bands.name}-{side}-{level_label(lv)}" for side in ("lo", "hi"))
        if bands.around == "interval":
            if lo_col not in out or hi_col not in out:
                raise ConfigError(f"conformal around='interval' needs {bands.name}'s own"
                                  f" {level_label(lv)}% interval in the forecast")
            lo = out[lo_col].to_numpy(np.float64) - shift
            hi = out[hi_col].to_numpy(np.float64) + shift
        else:
            lo, hi = point - shift, point + shift
        # nested levels, each holding the point forecast
        lo_prev, hi_prev = np.minimum(lo, lo_prev), np.maximum(hi, hi_prev)
        out[lo_col], out[hi_col] = lo_prev, hi_prev
    out.attrs["intervals"] = "conformal"
    return out


def conformal_bands(model: Any, sf: SeriesFrame, h: int, levels: list[float],
                    config: ConformalConfig | None = None) -> ConformalBands:
    """Calibrate ``model`` on ``sf`` and return its margins at ``levels``."""
    config = config or ConformalConfig()
    return margins(calibrate(model, sf, h, config, levels), levels, config.short)


def conformal_forecast(model: Any, sf: SeriesFrame, h: int, levels: list[float],
                       config: ConformalConfig | None = None) -> tuple[Any, pd.DataFrame]:
    """(``model`` fitted on all of ``sf``, its forecasts with conformal intervals)."""
    bands = conformal_bands(model, sf, h, levels, config)
    fitted = model.with_horizon(h).fit(sf)
    return fitted, add_bands(fitted.predict(h, level=bands.model_levels()), bands)


__all__ = [
    "AROUND",
    "DEFAULT_WINDOWS",
    "INTERVALS",
    "Calibration",
    "ConformalBands",
    "ConformalConfig",
    "add_bands",
    "calibrate",
    "check_intervals",
    "conformal_bands",
    "conformal_forecast",
    "error_scales",
    "margins",
]
