"""Forecast accuracy metrics: point errors, interval scores and the M4 scoring.

``METRICS`` maps a name to each point metric with the signature ``f(y, y_hat, axis=None)``
(``mse``, ``rmse``, ``mae``, ``mape``, ``smape``, ``r2``); metrics that need more than the
actuals and forecasts (``mase``, ``msis``, ``pinball``, ``coverage``) are exported but not
listed there.
"""

from __future__ import annotations

from collections.abc import Callable

from gatecast.metrics.interval import coverage, msis, pinball
from gatecast.metrics.m4 import (
    NAIVE2_HOURLY_MASE,
    NAIVE2_HOURLY_SMAPE,
    m4_scores,
    m4_series_scores,
    owa,
)
from gatecast.metrics.point import Score, mae, mape, mase, mase_scale, mse, r2, rmse, smape

__all__ = [
    "METRICS",
    "NAIVE2_HOURLY_MASE",
    "NAIVE2_HOURLY_SMAPE",
    "coverage",
    "m4_scores",
    "m4_series_scores",
    "mae",
    "mape",
    "mase",
    "mase_scale",
    "mse",
    "msis",
    "owa",
    "pinball",
    "r2",
    "rmse",
    "smape",
]

#: Point metrics taking ``(y, y_hat, axis=None)``, by name.
METRICS: dict[str, Callable[..., Score]] = {
    "mse": mse,
    "rmse": rmse,
    "mae": mae,
    "mape": mape,
    "smape": smape,
    "r2": r2,
}
