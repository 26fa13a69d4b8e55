"""The M4 competition's scoring: per-series sMAPE and MASE averaged over series, and OWA.

M4 (Makridakis, Spiliotis & Assimakopoulos, 2020) scored a method on a set of series as

* ``sMAPE = mean_i smape_i`` with ``smape_i = mean_t 200 |y_it - f_it| / (|y_it| + |f_it|)``
  (0-200 scale, see :func:`gatecast.metrics.point.smape`);
* ``MASE = mean_i mase_i`` with ``mase_i = mean_t |y_it - f_it| / scale_i`` and ``scale_i``
  the in-sample seasonal naive MAE of series ``i`` (see
  :func:`gatecast.metrics.point.mase_scale`);
* ``OWA = (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2``, the Overall Weighted Average
  relative to the Naive2 benchmark (below 1 beats Naive2).

The published M4 Hourly table's OWA column equals, for every one of its 59 rows,
``round(owa(sMAPE, MASE, 18.383, 2.395), 3)`` computed from the *rounded* published figures.
Computing it from unrounded scores can differ in the third decimal: the seasonal naive
gives 0.62750 unrounded (0.628) but 0.62745 (published 0.627) from the rounded figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gatecast.errors import DataError
from gatecast.metrics.point import mase, smape

__all__ = [
    "NAIVE2_HOURLY_MASE",
    "NAIVE2_HOURLY_SMAPE",
    "m4_scores",
    "m4_series_scores",
    "owa",
]

#: Official M4 Hourly (414 series, h = 48, m = 24) sMAPE of the Naive2 benchmark, 0-200 scale.
#: Reproduced by :func:`gatecast.models.kernels.decompose.naive2` (see the M4 tests).
NAIVE2_HOURLY_SMAPE = 18.383
#: Official M4 Hourly MASE of the Naive2 benchmark.
NAIVE2_HOURLY_MASE = 2.395


def owa(smape: float, mase: float, smape_naive2: float, mase_naive2: float) -> float:
    """Overall Weighted Average: ``0.5 * (smape / smape_naive2 + mase / mase_naive2)``.

    Unitless; 1 is as accurate as Naive2 and lower is better. Pass the sMAPE of the method
    and of Naive2 on the same scale (M4 uses 0-200).
    """
    return 0.5 * (float(smape) / float(smape_naive2) + float(mase) / float(mase_naive2))


def _rows(values: ArrayLike | Sequence[ArrayLike], name: str) -> list[NDArray[np.float64]]:
    if isinstance(values, np.ndarray):
        if values.ndim != 2:
            raise DataError(f"{name} must be 2-D [n_series, h] or a list of 1-D arrays")
        return [np.asarray(row, dtype=np.float64) for row in values]
    rows = [np.asarray(row, dtype=np.float64) for row in values]
    for i, row in enumerate(rows):
        if row.ndim != 1:
            raise DataError(f"{name}[{i}] must be 1-D, got shape {row.shape}")
    return rows


def m4_series_scores(
    y_test: ArrayLike | Sequence[ArrayLike],
    y_hat: ArrayLike | Sequence[ArrayLike],
    insamples: Sequence[ArrayLike],
    season_length: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-series sMAPE (0-200) and MASE, each an array of length ``n_series``.

    ``y_test`` and ``y_hat`` are ``[n_series, h]`` arrays or lists of 1-D arrays (each
    forecast the same length as its test values, horizons may differ between series);
    ``insamples[i]`` is the training history of series ``i`` with no padding.
    """
    actual = _rows(y_test, "y_test")
    forecast = _rows(y_hat, "y_hat")
    history = list(insamples)
    if not len(actual) == len(forecast) == len(history):
        raise DataError(
            f"got {len(actual)} test rows, {len(forecast)} forecast rows and "
            f"{len(history)} in-samples; pass one of each per series"
        )
    if not actual:
        raise DataError("no series to score; pass at least one")
    smapes = np.empty(len(actual))
    mases = np.empty(len(actual))
    for i, (y, f, x) in enumerate(zip(actual, forecast, history, strict=True)):
        smapes[i] = smape(y, f)
        mases[i] = mase(y, f, x, season_length)
    return smapes, mases


def m4_scores(
    y_test: ArrayLike | Sequence[ArrayLike],
    y_hat: ArrayLike | Sequence[ArrayLike],
    insamples: Sequence[ArrayLike],
    season_length: int,
) -> tuple[float, float]:
    """M4 sMAPE (0-200 scale) and MASE of a method over a set of series.

    Each series is scored on its own (``smape_i``, ``mase_i``; see
    :func:`m4_series_scores`) and the two scores are averaged over series with equal
    weight, exactly as the M4 competition did. Returns ``(smape, mase)`` unrounded; M4
    published them rounded to 3 decimals.
    """
    smapes, mases = m4_series_scores(y_test, y_hat, insamples, season_length)
    return float(smapes.mean()), float(mases.mean())
