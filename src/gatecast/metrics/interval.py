"""Probabilistic (quantile and interval) forecast metrics.

All functions take array-likes of the same shape and an optional ``axis`` that works as in
:mod:`gatecast.metrics.point` (``None``: one scalar over everything; ``-1``: one value per
row/series).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gatecast.errors import ConfigError, DataError
from gatecast.metrics.point import Axis, Score, _out, mase_scale

__all__ = ["coverage", "msis", "pinball"]


def _same_shape(*arrays: ArrayLike) -> list[NDArray[np.float64]]:
    out = [np.asarray(a, dtype=np.float64) for a in arrays]
    shapes = {a.shape for a in out}
    if len(shapes) != 1:
        raise DataError(
            f"inputs differ in shape: {[a.shape for a in out]}; pass arrays of the same shape"
        )
    if out[0].size == 0:
        raise DataError("cannot score empty arrays; pass at least one value")
    return out


def pinball(y: ArrayLike, q_pred: ArrayLike, q: float, axis: Axis = None) -> Score:
    """Mean pinball (quantile) loss of a forecast of the ``q``-quantile, in units of ``y``.

    ``loss = mean(max(q * (y - p), (q - 1) * (y - p)))`` with ``p = q_pred``, i.e.
    ``q * (y - p)`` when the actual is above the forecast and ``(1 - q) * (p - y)`` when it
    is below. It is minimised in expectation by the true ``q``-quantile; at ``q = 0.5`` it is
    half the MAE.

    Raises ``ConfigError`` unless ``0 < q < 1``.
    """
    if not 0.0 < q < 1.0:
        raise ConfigError(f"quantile level q must lie strictly between 0 and 1, got {q}")
    a, p = _same_shape(y, q_pred)
    diff = a - p
    loss = np.maximum(q * diff, (q - 1.0) * diff)
    return _out(np.mean(loss, axis=axis), axis)


def coverage(y: ArrayLike, lo: ArrayLike, hi: ArrayLike, axis: Axis = None) -> Score:
    """Fraction of actuals inside the closed interval ``[lo, hi]``, on the 0-1 scale.

    ``coverage = mean(1[lo <= y <= hi])``; compare it with the nominal level
    ``1 - alpha`` of the interval.
    """
    a, low, high = _same_shape(y, lo, hi)
    inside = (a >= low) & (a <= high)
    return _out(np.mean(inside, axis=axis), axis)


def msis(
    y: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    insample: ArrayLike,
    season_length: int,
    alpha: float = 0.05,
    axis: Axis = None,
) -> Score:
    """Mean Scaled Interval Score of one series, as in M4 (unitless, lower is better).

    With ``u = hi``, ``l = lo`` the bounds of a ``(1 - alpha)`` prediction interval::

        IS  = (u - l) + 2/alpha * (l - y) * 1[y < l] + 2/alpha * (y - u) * 1[y > u]
        MSIS = mean(IS) / mase_scale(insample, season_length)

    The width is rewarded for being narrow and each miss is penalised by ``2/alpha`` times
    its distance from the interval; the scale is the in-sample seasonal naive MAE (see
    :func:`gatecast.metrics.point.mase_scale`, including the lag-1 fallback for short
    series). M4 used ``alpha = 0.05``. A scale of 0 gives ``inf`` (or ``nan`` for a zero
    score).

    Raises ``ConfigError`` unless ``0 < alpha < 1``.
    """
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    a, low, high = _same_shape(y, lo, hi)
    penalty = 2.0 / alpha
    score = (high - low) + penalty * (low - a) * (a < low) + penalty * (a - high) * (a > high)
    scale = mase_scale(insample, season_length)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.asarray(np.mean(score, axis=axis), dtype=np.float64) / scale
    return _out(value, axis)
