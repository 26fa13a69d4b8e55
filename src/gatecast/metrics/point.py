"""Point-forecast error metrics.

Every function takes the actuals ``y`` and the forecasts ``y_hat`` as array-likes of the same
shape and an ``axis`` argument that works like numpy's:

* ``axis=None`` (default): one scalar, the mean over every element;
* ``axis=-1``: one value per row, i.e. one score per series when the arrays are
  ``[n_series, h]``;
* any other axis or tuple of axes: the mean over those axes.

With ``axis=None`` a Python ``float`` is returned, otherwise a numpy array.

Scales: ``mse``/``rmse``/``mae`` are in the units of ``y`` (squared for ``mse``),
``mape`` is a percentage on the 0-100 scale, ``smape`` is M4's symmetric MAPE on the
0-200 scale, ``r2`` is unitless (1 is perfect, 0 is as good as the mean, unbounded below)
and ``mase`` is unitless (1 is as good as the in-sample seasonal naive forecast).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gatecast.errors import ConfigError, DataError

Axis: TypeAlias = int | tuple[int, ...] | None
Score: TypeAlias = float | NDArray[np.float64]

__all__ = [
    "mae",
    "mape",
    "mase",
    "mase_scale",
    "mse",
    "r2",
    "rmse",
    "smape",
]


def _pair(y: ArrayLike, y_hat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert both inputs to float arrays and check that their shapes agree."""
    a = np.asarray(y, dtype=np.float64)
    b = np.asarray(y_hat, dtype=np.float64)
    if a.shape != b.shape:
        raise DataError(
            f"actuals and forecasts differ in shape: {a.shape} vs {b.shape}; "
            "pass arrays of the same shape"
        )
    if a.size == 0:
        raise DataError("cannot score empty arrays; pass at least one value")
    return a, b


def _out(value: np.floating | NDArray[np.float64], axis: Axis) -> Score:
    """Return a Python float for ``axis=None`` and a float64 array otherwise."""
    if axis is None:
        return float(value)
    return np.asarray(value, dtype=np.float64)


def mse(y: ArrayLike, y_hat: ArrayLike, axis: Axis = None) -> Score:
    """Mean squared error, ``mean((y - y_hat)**2)``, in squared units of ``y``."""
    a, b = _pair(y, y_hat)
    return _out(np.mean((a - b) ** 2, axis=axis), axis)


def rmse(y: ArrayLike, y_hat: ArrayLike, axis: Axis = None) -> Score:
    """Root mean squared error, ``sqrt(mean((y - y_hat)**2))``, in units of ``y``.

    The square root is taken after averaging over ``axis``, so ``axis=-1`` gives the RMSE of
    each series (not the root of a pooled mean).
    """
    a, b = _pair(y, y_hat)
    return _out(np.sqrt(np.mean((a - b) ** 2, axis=axis)), axis)


def mae(y: ArrayLike, y_hat: ArrayLike, axis: Axis = None) -> Score:
    """Mean absolute error, ``mean(|y - y_hat|)``, in units of ``y``."""
    a, b = _pair(y, y_hat)
    return _out(np.mean(np.abs(a - b), axis=axis), axis)


def mape(y: ArrayLike, y_hat: ArrayLike, axis: Axis = None) -> Score:
    """Mean absolute percentage error on the 0-100 scale.

    ``mape = mean(100 * |y - y_hat| / |y|)``.

    A term with ``y == 0`` is ``0`` when the forecast is exact (``0/0`` is defined as ``0``)
    and ``inf`` otherwise, so a MAPE over data with zeros is usually ``inf``: use
    :func:`smape` or :func:`mase` for such data.
    """
    a, b = _pair(y, y_hat)
    num = np.abs(a - b)
    den = np.abs(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(num == 0.0, 0.0, 100.0 * num / den)
    return _out(np.mean(terms, axis=axis), axis)


def smape(y: ArrayLike, y_hat: ArrayLike, axis: Axis = None) -> Score:
    """Symmetric MAPE as defined by the M4 competition, on the 0-200 scale.

    ``smape = mean(200 * |y - y_hat| / (|y| + |y_hat|))``.

    Each term lies in ``[0, 200]``; a term with ``y == y_hat == 0`` (``0/0``) is defined
    as ``0``. Averaging the per-series values (``axis=-1``) over series gives the figure the
    M4 competition published (see :func:`gatecast.metrics.m4.m4_scores`).
    """
    a, b = _pair(y, y_hat)
    num = np.abs(a - b)
    den = np.abs(a) + np.abs(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(den == 0.0, 0.0, 200.0 * num / den)
    return _out(np.mean(terms, axis=axis), axis)


def r2(y: ArrayLike, y_hat: ArrayLike, axis: Axis = None) -> Score:
    """Coefficient of determination, ``1 - SS_res / SS_tot``.

    ``SS_res = sum((y - y_hat)**2)`` and ``SS_tot = sum((y - mean(y))**2)``, both summed
    over ``axis`` (the mean of ``y`` is taken over the same axis). 1 is a perfect fit, 0 is as
    good as predicting the mean, and it is unbounded below.

    When ``y`` is constant over ``axis`` (``SS_tot == 0``) the result is ``1.0`` for a
    perfect forecast and ``nan`` otherwise (R² is undefined there).
    """
    a, b = _pair(y, y_hat)
    ss_res = np.sum((a - b) ** 2, axis=axis)
    ss_tot = np.sum((a - np.mean(a, axis=axis, keepdims=True)) ** 2, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(ss_tot == 0.0, np.where(ss_res == 0.0, 1.0, np.nan), 1.0 - ss_res / ss_tot)
    return _out(value, axis)


def mase_scale(insample: ArrayLike, season_length: int) -> float:
    """In-sample MAE of the seasonal naive forecast, the MASE denominator used by M4.

    ``scale = mean(|x[t] - x[t - m]|)`` for ``t = m .. n-1``, with ``x`` the in-sample
    (training) series of length ``n`` and ``m = season_length``, in units of ``x``.

    If the series is too short for a seasonal difference (``n < m + 1``) the lag falls back
    to ``m = 1`` (the naive forecast's in-sample MAE), as the M4 code does for short series.
    A constant series (or one repeating its season exactly) gives a scale of ``0.0``; the
    MASE is then infinite (see :func:`mase`).

    Raises ``ConfigError`` for ``season_length < 1`` and ``DataError`` when ``insample`` is
    not 1-D or has fewer than two values.
    """
    x = np.asarray(insample, dtype=np.float64)
    if x.ndim != 1:
        raise DataError(f"the in-sample series must be 1-D, got shape {x.shape}")
    m = int(season_length)
    if m < 1:
        raise ConfigError(f"season_length must be >= 1, got {season_length}")
    if x.size < 2:
        raise DataError(
            f"the in-sample series needs at least 2 values for a MASE scale, got {x.size}"
        )
    if x.size < m + 1:
        m = 1
    return float(np.mean(np.abs(x[m:] - x[:-m])))


def mase(
    y: ArrayLike,
    y_hat: ArrayLike,
    insample: ArrayLike,
    season_length: int,
    axis: Axis = None,
) -> Score:
    """Mean absolute scaled error of one series, as in M4.

    ``mase = mean(|y - y_hat|) / mase_scale(insample, season_length)``, where the scale is
    the in-sample MAE of the seasonal naive forecast (see :func:`mase_scale`, including its
    fallback to lag 1 for short series). 1 means as accurate out of sample as the seasonal
    naive forecast was in sample.

    ``y`` and ``y_hat`` are the test values and forecasts of the series whose history is
    ``insample`` (several forecasts of that series may be stacked along other axes; ``axis``
    then selects what is averaged). When the scale is 0 the result is ``inf`` if there is any
    error and ``nan`` for a perfect forecast (``0/0``, undefined).
    """
    scale = mase_scale(insample, season_length)
    err = mae(y, y_hat, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.asarray(err, dtype=np.float64) / scale
    return _out(value, axis)
