"""Stationarity tests and differencing advice, returned as a transform spec.

For one series ``y`` with season length ``m`` the advice is built in the order the transforms
are applied (the spec grammar of :func:`gatecast.data.transforms.make_pipeline`):

1. **log** when the variance grows with the level: every value is positive, Guerrero's
   Box-Cox parameter is below 0.5 (closer to the log, ``lambda = 0``, than to no transform,
   ``lambda = 1``) and the level changes enough to matter (the highest block mean is at least
   1.5 times the lowest; over a narrower range the log is nearly linear). Guerrero (1993):
   split the series into blocks of ``max(2, m)`` values with means ``mu_b`` and standard
   deviations ``sigma_b`` and pick the ``lambda`` minimising the coefficient of variation of
   ``sigma_b / mu_b^(1 - lambda)``.
2. **seasonal difference** ``D = 1`` when the seasonal strength of an STL decomposition,
   ``F_s = max(0, 1 - Var(R) / Var(S + R))`` (Wang, Smith & Hyndman 2006), exceeds 0.64, the
   threshold of FPP3 §9.5 / feasts' ``unitroot_nsdiffs``.
3. **first differences** ``d``: while the KPSS test rejects level stationarity at 5%,
   difference once more (at most twice), as ``ndiffs`` / auto.arima do. The ADF test (null:
   a unit root) is reported beside it as a second opinion; when the two disagree the advice
   says so.

The spec is ``""`` when nothing is needed, e.g. ``"log,diff:12,diff"`` for the airline data.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from gatecast.checks import MAX_SEASON_LENGTH, whole_number
from gatecast.errors import DataError

ALPHA = 0.05
SEASONAL_STRENGTH = 0.64
LOG_LAMBDA = 0.5
LOG_LEVEL_RATIO = 1.5
STL_SEASONS, STL_POINTS = 20, 1000
MIN_POINTS = 12  # fewer than this: no test is worth running


@dataclass
class StationarityReport:
    """Tests and the recommended transform of one series."""

    series: str
    n: int
    season_length: int
    verdict: str  # "stationary", "transform" or "too short"
    transform: str  # the spec: "" or e.g. "log,diff:12,diff"
    log: bool = False
    D: int = 0
    d: int = 0
    boxcox_lambda: float = float("nan")
    level_ratio: float = float("nan")
    seasonal_strength: float = float("nan")
    trend_strength: float = float("nan")
    adf_pvalue: float = float("nan")
    kpss_pvalue: float = float("nan")
    adf_pvalue_after: float = float("nan")
    kpss_pvalue_after: float = float("nan")
    advice: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def guerrero_lambda(y: np.ndarray, season_length: int = 1,
                    bounds: tuple[float, float] = (-1.0, 2.0)) -> tuple[float, float]:
    """Guerrero's Box-Cox ``lambda`` and the ratio of the highest to lowest block mean.

    Needs positive values and at least two blocks; otherwise ``(nan, nan)``.
    """
    y = np.asarray(y, dtype=np.float64)
    p = max(2, int(season_length))
    k = y.size // p
    if k < 2 or np.any(y <= 0):
        return float("nan"), float("nan")
    blocks = y[y.size - k * p:].reshape(k, p)  # [k, p], the last k full blocks
    mu = blocks.mean(axis=1)
    sd = blocks.std(axis=1, ddof=1)
    grid = np.linspace(bounds[0], bounds[1], 301)
    ratio = sd[None, :] / mu[None, :] ** (1.0 - grid[:, None])  # [grid, k]
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = ratio.std(axis=1, ddof=1) / ratio.mean(axis=1)
    if not np.isfinite(cv).any():
        return float("nan"), float(mu.max() / mu.min())
    return float(grid[int(np.nanargmin(cv))]), float(mu.max() / mu.min())


def stl_strengths(x: np.ndarray, season_length: int) -> tuple[float, float]:
    """``(F_s, F_t)``: seasonal and trend strength of a robust STL fit (NaN if too short).

    Long series are decomposed over their last ``max(STL_SEASONS * m, STL_POINTS)`` values
    only: enough seasons to measure the strength, and STL's cost stays bounded.
    """
    from statsmodels.tsa.seasonal import STL

    m = int(season_length)
    if m < 2 or x.size < 2 * m + 1:
        return float("nan"), float("nan")
    x = x[-max(STL_SEASONS * m, STL_POINTS):]
    fit = STL(x, period=m, robust=True).fit()
    r = np.asarray(fit.resid)
    var_r = np.var(r)
    f_s = max(0.0, 1.0 - var_r / np.var(np.asarray(fit.seasonal) + r))
    f_t = max(0.0, 1.0 - var_r / np.var(np.asarray(fit.trend) + r))
    return float(f_s), float(f_t)


def kpss_pvalue(x: np.ndarray) -> float:
    """KPSS p-value (null: level stationary), clipped by statsmodels to [0.01, 0.1]."""
    from statsmodels.tsa.stattools import kpss

    if x.size < MIN_POINTS or np.std(x) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # InterpolationWarning outside the table
        return float(kpss(x, regression="c", nlags="auto")[1])


def adf_pvalue(x: np.ndarray) -> float:
    """Augmented Dickey-Fuller p-value (null: unit root), lag order by AIC."""
    from statsmodels.tsa.stattools import adfuller

    if x.size < MIN_POINTS or np.std(x) == 0:
        return float("nan")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(adfuller(x, autolag="AIC")[1])
    except (ValueError, np.linalg.LinAlgError):
        return float("nan")


def spec_for(log: bool, D: int, d: int, season_length: int) -> str:
    """The transform spec for these choices (``""`` when none)."""
    parts = ["log"] if log else []
    if D:
        parts.append(f"diff:{season_length}")
    if d == 1:
        parts.append("diff")
    elif d > 1:
        parts.append(f"diff:1:{d}")
    return ",".join(parts)


def _check(y: Any, season_length: int) -> np.ndarray:
    whole_number(season_length, "season_length", maximum=MAX_SEASON_LENGTH)
    x = np.asarray(y, dtype=np.float64).ravel()
    if not np.isfinite(x).all():
        raise DataError("the series has NaN or infinite values; fill or drop them before"
                        " testing stationarity")
    return x


def stationarity_report(y: Any, season_length: int = 1, series: str = "",
                        adf: bool = True) -> StationarityReport:
    """ADF, KPSS, seasonal strength and Box-Cox of ``y``, and the transform they advise.

    ``adf=False`` skips the ADF tests, which only inform the advice text (faster on long
    series when only the spec is wanted).
    """
    x = _check(y, season_length)
    m = int(season_length)
    n = int(x.size)
    name = f"series {series!r}" if series else "the series"
    if n < MIN_POINTS:
        return StationarityReport(series, n, m, "too short", "",
                                  advice=f"{name} has {n} points: too short to test")
    lam, ratio = guerrero_lambda(x, m)
    log = bool(np.isfinite(lam) and lam < LOG_LAMBDA and ratio >= LOG_LEVEL_RATIO)
    z = np.log(x) if log else x
    f_s, f_t = stl_strengths(z, m)
    D = int(np.isfinite(f_s) and f_s > SEASONAL_STRENGTH and n - m >= MIN_POINTS)
    w = z[m:] - z[:-m] if D else z
    adf0 = adf_pvalue(z) if adf else float("nan")
    kpss0 = kpss_pvalue(w)
    d = 0
    p_k = kpss0
    while d < 2 and np.isfinite(p_k) and p_k < ALPHA and w.size - 1 >= MIN_POINTS:
        w = np.diff(w)
        d += 1
        p_k = kpss_pvalue(w)
    spec = spec_for(log, D, d, m)
    rep = StationarityReport(
        series, n, m, "transform" if spec else "stationary", spec, log, D, d, lam, ratio, f_s,
        f_t, adf0, kpss0, adf_pvalue(w) if adf else float("nan"), p_k,
    )
    rep.advice = _advice(rep, name)
    return rep


def _advice(r: StationarityReport, name: str) -> str:
    steps = []
    if r.log:
        steps.append(f"the variance grows with the level (Box-Cox lambda {r.boxcox_lambda:.2f},"
                     f" level x{r.level_ratio:.1f}): take logs")
    if r.D:
        steps.append(f"strong seasonality (F_s={r.seasonal_strength:.2f} > {SEASONAL_STRENGTH}):"
                     f" difference at lag {r.season_length}")
    if r.d:
        times = "once" if r.d == 1 else "twice"
        steps.append(f"KPSS rejects stationarity (p={r.kpss_pvalue:.2g}): difference {times}")
    adf_says_unit_root = np.isfinite(r.adf_pvalue) and r.adf_pvalue >= ALPHA
    if not steps:
        text = f"{name} looks stationary (KPSS p={r.kpss_pvalue:.2g}"
        text += f", ADF p={r.adf_pvalue:.2g})" if np.isfinite(r.adf_pvalue) else ")"
        if adf_says_unit_root:
            text += "; ADF cannot reject a unit root, so compare with transform='diff'"
        return text + ": no transform needed"
    text = f"{name}: " + "; ".join(steps)
    if r.d and not adf_says_unit_root and np.isfinite(r.adf_pvalue):
        text += (f" (ADF rejects a unit root, p={r.adf_pvalue:.2g}: the series may be"
                 " trend-stationary, so a model with a trend is an alternative)")
    return text + f". Use transform={r.transform!r}"


def recommend_transform(y: np.ndarray, season_length: int) -> str:
    """The transform spec for one series, ``""`` when nothing is needed.

    >>> recommend_transform(airline_passengers, 12)  # doctest: +SKIP
    'log,diff:12,diff'
    """
    return stationarity_report(y, season_length, adf=False).transform


def common_transform(series: Sequence[np.ndarray], season_length: int) -> str:
    """One spec for many series (a global model needs one): each step by majority vote.

    The log is kept only when every series is strictly positive; ``d`` is the median.
    """
    reports = [stationarity_report(y, season_length, adf=False) for y in series]
    usable = [r for r in reports if r.verdict != "too short"]
    if not usable:
        return ""
    half = len(usable) / 2
    positive = all(np.min(np.asarray(y)) > 0 for y in series)
    log = positive and sum(r.log for r in usable) > half
    D = int(sum(r.D for r in usable) > half)
    d = int(np.median([r.d for r in usable]))
    return spec_for(log, D, d, season_length)


def stationarity_table(reports: Sequence[StationarityReport]) -> pd.DataFrame:
    """One row per series (the advice text is left out; it is in ``report.advice``)."""
    rows = [{k: v for k, v in r.as_dict().items() if k != "advice"} for r in reports]
    return pd.DataFrame(rows).set_index("series") if rows else pd.DataFrame()
