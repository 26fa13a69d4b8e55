"""Classical multiplicative decomposition and the M4 naive benchmarks (numpy only).

These kernels reproduce the M4 competition's benchmark ``Naive2``: a series is tested for
seasonality with a 90% autocorrelation test at lag ``m`` (the season length); if seasonal, it
is divided by multiplicative seasonal indices from a classical decomposition, forecast
naively (last value, flat), and multiplied back by the indices.

All functions take a 1-D array of finite values, oldest first. The decomposition is
multiplicative and therefore meant for positive data (M4 has only positive values).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gatecast.errors import ConfigError, DataError

__all__ = [
    "acf",
    "naive2",
    "seasonal_indices",
    "seasonal_naive",
    "seasonality_test",
]

#: One-sided 95% normal quantile: the M4 test is a two-sided test at the 90% level.
_Z_90 = 1.645

SeasonalityVariant = Literal["r", "python"]


def _series(y: ArrayLike) -> NDArray[np.float64]:
    x = np.asarray(y, dtype=np.float64)
    if x.ndim != 1:
        raise DataError(f"expected a 1-D series, got shape {x.shape}")
    if x.size == 0:
        raise DataError("the series is empty; pass at least one value")
    if not np.all(np.isfinite(x)):
        raise DataError("the series has missing or infinite values; drop or fill them first")
    return x


def _season(season_length: int) -> int:
    m = int(season_length)
    if m < 1:
        raise ConfigError(f"season_length must be >= 1, got {season_length}")
    return m


def _horizon(h: int) -> int:
    steps = int(h)
    if steps < 1:
        raise ConfigError(f"the horizon h must be >= 1, got {h}")
    return steps


def acf(y: ArrayLike, max_lag: int) -> NDArray[np.float64]:
    """Sample autocorrelations ``r_1 .. r_max_lag`` (the same estimator as R's ``acf``).

    ``r_k = sum_{t=k}^{n-1} (y_t - ybar)(y_{t-k} - ybar) / sum_{t=0}^{n-1} (y_t - ybar)^2``

    Element ``k - 1`` of the result holds ``r_k``. Lags ``>= n`` give 0; a constant series
    gives all zeros.
    """
    x = _series(y)
    d = x - x.mean()
    denom = float(np.dot(d, d))
    out = np.zeros(max(int(max_lag), 0), dtype=np.float64)
    if denom == 0.0:
        return out
    for k in range(1, min(out.size, x.size - 1) + 1):
        out[k - 1] = float(np.dot(d[k:], d[:-k])) / denom
    return out


def seasonality_test(
    y: ArrayLike, season_length: int, *, variant: SeasonalityVariant = "r"
) -> bool:
    """M4's 90% autocorrelation test for seasonality at lag ``m = season_length``.

    The series is seasonal when::

        |r_m| > 1.645 * sqrt((1 + 2 * sum_{k=1}^{m-1} r_k^2) / n)

    with ``r_k`` the sample autocorrelations (:func:`acf`) and ``n`` the length: ``r_m`` is
    compared with the 90% band of Bartlett's standard error under an MA(m-1) null.

    ``variant="r"`` (default) is exactly the formula above, as in the M4 R benchmark code
    (``SeasonalityTest`` in "Benchmarks and Evaluation.R", which produced the official
    benchmark scores). ``variant="python"`` reproduces the M4 Python benchmark code, whose sum
    starts with ``r_1`` *unsquared* (``s = r_1 + sum_{k=2}^{m-1} r_k^2``), a slip that
    shrinks the band when ``r_1 < 0``.

    On M4 Hourly (m = 24) both variants reproduce the official Naive2 scores (sMAPE 18.383,
    MASE 2.395): they agree on every one of the 414 series (413 seasonal; only H272 is not,
    with ``|r_24| = 0.157`` against limits 0.2176 (R) and 0.2183 (Python)), so that data cannot
    tell them apart. The R variant is the default because it is the published formula, the
    one used for the official scores, and it cannot produce a negative variance term.

    Returns ``False`` when ``m <= 1``, when the series is shorter than ``3 * m`` (the M4
    rule, too little data to estimate indices) or when the series is constant.
    """
    x = _series(y)
    m = _season(season_length)
    if variant not in ("r", "python"):
        raise ConfigError(f"variant must be 'r' or 'python', got {variant!r}")
    if m <= 1 or x.size < 3 * m:
        return False
    r = acf(x, m)
    # R: r_1 squared like every other lag; M4 Python code: r_1 added as is
    first = r[0] if variant == "python" else r[0] ** 2
    s = float(first + np.sum(r[1 : m - 1] ** 2))
    limit = _Z_90 * np.sqrt((1.0 + 2.0 * s) / x.size)
    return bool(abs(r[m - 1]) > limit)


def _centred_moving_average(x: NDArray[np.float64], m: int) -> NDArray[np.float64]:
    """Centred moving average of order ``m`` (``2 x m`` when ``m`` is even), ``nan``-padded.

    Odd ``m``: ``T_t = mean(y_{t-k} .. y_{t+k})`` with ``k = (m - 1) / 2``.
    Even ``m``: ``T_t = (y_{t-k}/2 + y_{t-k+1} + ... + y_{t+k-1} + y_{t+k}/2) / m`` with
    ``k = m / 2``. The first and last ``k`` values are ``nan``.
    """
    if m % 2 == 1:
        weights = np.full(m, 1.0 / m)
    else:
        weights = np.full(m + 1, 1.0 / m)
        weights[0] = weights[-1] = 0.5 / m
    k = (weights.size - 1) // 2
    trend = np.full(x.size, np.nan)
    if x.size >= weights.size:
        trend[k : x.size - k] = np.convolve(x, weights, mode="valid")
    return trend


def seasonal_indices(
    y: ArrayLike, season_length: int, *, variant: SeasonalityVariant = "r"
) -> NDArray[np.float64]:
    """Multiplicative seasonal indices of a classical decomposition, M4 style.

    1. trend ``T_t``: centred moving average of order ``m`` (``2 x m`` when ``m`` is even);
    2. ratios ``y_t / T_t`` where the trend exists;
    3. raw index of position ``i``: the mean of the ratios at ``t = i, i + m, i + 2m, ...``;
    4. normalise the raw indices to mean 1.

    Returns an array ``s`` of length ``m`` where ``s[i]`` applies to ``y[t]`` with
    ``t % m == i`` (positions are counted from the first observation). The indices are all
    ones when ``m <= 1``, when the series is shorter than ``3 * m`` (M4 rule), when
    :func:`seasonality_test` (with the given ``variant``) finds no seasonality, or when the
    ratios are not finite and positive (a trend of 0, non-positive data).
    """
    x = _series(y)
    m = _season(season_length)
    ones = np.ones(m, dtype=np.float64)
    if m <= 1 or x.size < 3 * m or not seasonality_test(x, m, variant=variant):
        return ones
    trend = _centred_moving_average(x, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = x / trend
    n_cycles = -(-x.size // m)
    padded = np.full(n_cycles * m, np.nan)
    padded[: x.size] = ratios
    with np.errstate(invalid="ignore"):
        raw = np.nanmean(padded.reshape(n_cycles, m), axis=0)
    if not np.all(np.isfinite(raw)) or np.any(raw <= 0.0):
        return ones
    return raw / raw.mean()


def naive2(
    y: ArrayLike, h: int, season_length: int, *, variant: SeasonalityVariant = "r"
) -> NDArray[np.float64]:
    """M4's Naive2 benchmark: seasonally adjusted naive forecast, in units of ``y``.

    With ``s`` = :func:`seasonal_indices` and ``n`` the length of ``y``::

        yhat_{n+j} = (y_{n-1} / s[(n-1) % m]) * s[(n+j) % m],   j = 0 .. h-1

    i.e. the last deseasonalised value carried flat and reseasonalised with the indices that
    continue from the end of ``y``. For a non-seasonal series this is the naive forecast.
    """
    x = _series(y)
    m = _season(season_length)
    steps = _horizon(h)
    s = seasonal_indices(x, m, variant=variant)
    n = x.size
    level = x[-1] / s[(n - 1) % m]
    return level * s[np.arange(n, n + steps) % m]


def seasonal_naive(y: ArrayLike, h: int, season_length: int) -> NDArray[np.float64]:
    """Seasonal naive forecast: repeat the last full season, in units of ``y``.

    ``yhat_{n+j} = y_{n - m + (j % m)}`` for ``j = 0 .. h-1``. When the series is shorter
    than one season (``n < m``) or ``m == 1`` this is the naive forecast ``y_{n-1}``.
    """
    x = _series(y)
    m = _season(season_length)
    steps = _horizon(h)
    if x.size < m:
        m = 1
    last = x[x.size - m :]
    return last[np.arange(steps) % m].copy()
