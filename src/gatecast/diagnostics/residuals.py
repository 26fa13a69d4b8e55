"""Residual checks: is anything predictable left in the errors?

For residuals ``e_1..e_n`` of one model on one series:

- **Ljung-Box** ``Q = n (n + 2) sum_{k=1..L} r_k^2 / (n - k)`` against ``chi^2_L``, with
  ``L = 10`` for non-seasonal and ``2m`` for seasonal data, at most ``n / 5`` (Hyndman &
  Athanasopoulos, FPP3 §5.4). A small p-value: the residuals are autocorrelated, so the
  model left structure that a better one could forecast.
- **ACF / PACF** values; the lags whose autocorrelation lies outside ``±1.96 / sqrt(n)``
  are named in the message ("structure at lags 1, 12").
- **Jarque-Bera** ``JB = n/6 (S^2 + (K - 3)^2 / 4)`` (skewness ``S``, kurtosis ``K``) against
  ``chi^2_2``: non-normal residuals make Gaussian prediction intervals wrong.

Two sources of residuals. *In-sample*: the model is fitted on the whole series, then
forecasts one step ahead from each of the last ``n_points`` prefixes with those parameters
(``forward``), so every forecaster (classical or recurrent) gives one-step fitted values.
*Backtest*: the lead-1 errors of the folds in time order; with ``h > 1`` the errors of
later steps of one fold are autocorrelated by construction, so they are not tested.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import jarque_bera
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.stattools import acf, pacf

from gatecast.data.validate import SeriesFrame, validate
from gatecast.diagnostics.folds import MIN_PATH, fold_arrays, model_forecasts, run_season
from gatecast.diagnostics.insample import one_step_predictions
from gatecast.errors import ConfigError

ALPHA = 0.05


@dataclass
class ResidualDiagnostic:
    """Whiteness and normality of one model's residuals on one series."""

    model: str
    series: str
    source: str  # "in-sample" or "backtest"
    n: int
    verdict: str  # "white", "structure" or "too short"
    lb_lag: int = 0
    lb_stat: float = float("nan")
    lb_pvalue: float = float("nan")
    structure_lags: list[int] = field(default_factory=list)
    jb_stat: float = float("nan")
    jb_pvalue: float = float("nan")
    normal: bool = True
    message: str = ""
    acf: np.ndarray = field(default_factory=lambda: np.zeros(0))  # lags 0..K
    pacf: np.ndarray = field(default_factory=lambda: np.zeros(0))  # lags 0..K'

    @property
    def fired(self) -> bool:
        return self.verdict == "structure"

    @property
    def band(self) -> float:
        """Half-width of the 95% band of a white-noise ACF."""
        return 1.96 / np.sqrt(self.n) if self.n else float("nan")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["acf"] = [float(v) for v in self.acf]
        out["pacf"] = [float(v) for v in self.pacf]
        return out


def ljung_box_lag(n: int, season_length: int) -> int:
    """FPP3's choice: 10 (non-seasonal) or ``2m`` (seasonal), at most ``n / 5``."""
    want = 2 * season_length if season_length > 1 else 10
    return max(1, min(want, n // 5))


def _lags_text(lags: list[int], limit: int = 6) -> str:
    shown = ", ".join(str(k) for k in lags[:limit])
    return shown + (f" and {len(lags) - limit} more" if len(lags) > limit else "")


def residual_diagnostic(
    residuals: np.ndarray,
    season_length: int = 1,
    model: str = "model",
    series: str = "",
    source: str = "",
    alpha: float = ALPHA,
) -> ResidualDiagnostic:
    """Ljung-Box, ACF/PACF and Jarque-Bera on one residual series (NaNs dropped)."""
    e = np.asarray(residuals, dtype=np.float64)
    e = e[np.isfinite(e)]
    n = int(e.size)
    who = f"residuals of {model!r}" + (f" on series {series!r}" if series else "")
    if source:
        who = f"{source} {who}"
    if n < MIN_PATH or np.std(e) == 0:
        return ResidualDiagnostic(model, series, source, n, "too short",
                                  message=f"{who}: too few ({n}) or constant to test")
    lag = ljung_box_lag(n, season_length)
    lb = acorr_ljungbox(e, lags=[lag])
    stat, p = float(lb["lb_stat"].iloc[0]), float(lb["lb_pvalue"].iloc[0])
    n_acf = min(max(lag, season_length + 1 if season_length > 1 else 0, 10), n - 1)
    r = acf(e, nlags=n_acf, fft=False)
    pr = pacf(e, nlags=min(n_acf, n // 2 - 1), method="ywm")
    band = 1.96 / np.sqrt(n)
    lags = [int(k) for k in np.flatnonzero(np.abs(r[1:]) > band) + 1]
    jb = jarque_bera(e)
    jb_stat, jb_p = float(jb.statistic), float(jb.pvalue)
    structure = p < alpha
    if structure:
        where = f"at lags {_lags_text(lags)}" if lags else "spread over many lags"
        msg = (f"{who} still contain structure {where} (Ljung-Box p={p:.3g} up to lag {lag}):"
               " a model that captures it would forecast better")
    else:
        msg = f"{who} look like white noise (Ljung-Box p={p:.3g} up to lag {lag})"
    if jb_p < alpha:
        msg += (f"; they are not normal (Jarque-Bera p={jb_p:.3g}), so Gaussian intervals"
                " are off: prefer quantile or conformal intervals")
    return ResidualDiagnostic(
        model, series, source, n, "structure" if structure else "white", lag, stat, p, lags,
        jb_stat, jb_p, jb_p >= alpha, msg, r, pr,
    )


def backtest_residuals(result: Any, model: str) -> dict[str, np.ndarray]:
    """Lead-1 errors ``y - f`` of every series, fold after fold (time order)."""
    folds = fold_arrays(result)
    f = model_forecasts(result, model)[:, :, 0]  # [W, N]
    e = folds.actual[:, :, 0] - f
    return {str(uid): e[:, i] for i, uid in enumerate(folds.ids)}


def insample_residuals(model: Any, data: Any, n_points: int = 60,
                       freq: str | int | None = None) -> dict[str, np.ndarray]:
    """One-step in-sample errors over the last ``n_points`` points of every series.

    A clone of ``model`` is fitted (for horizon 1) on all of ``data``; it then forecasts
    one step from each prefix ending ``k = n_points..1`` points before the end with the
    parameters it learned (``forward``): the fitted values of the model.
    """
    if not hasattr(model, "forward"):
        raise ConfigError(f"{getattr(model, 'name', model)!r} cannot forecast from new history"
                          " (no forward method), so it has no in-sample residuals")
    sf = data if isinstance(data, SeriesFrame) else validate(data, freq=freq)
    fitted = model.with_horizon(1).fit(sf)
    preds = one_step_predictions(fitted, sf, n_points)  # unique_id, ds, <name>
    merged = preds.merge(sf.frame[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    errors = {str(uid): (g["y"] - g[fitted.name]).to_numpy(np.float64)
              for uid, g in merged.groupby("unique_id", sort=False)}
    return {str(uid): errors.get(str(uid), np.zeros(0)) for uid in sf.ids}


def diagnose_residuals(
    result: Any, season_length: int | None = None, models: list[str] | None = None
) -> list[ResidualDiagnostic]:
    """Backtest residual checks for every model and series of a backtest (seasonal lags
    from the run's season length unless ``season_length`` is given)."""
    season_length = run_season(result, season_length)
    names = list(result.models) if models is None else list(models)
    out = []
    for name in names:
        for uid, e in backtest_residuals(result, name).items():
            out.append(residual_diagnostic(e, season_length, name, uid, "backtest"))
    return out


def residual_table(diags: list[ResidualDiagnostic]) -> pd.DataFrame:
    """One row per (model, series, source)."""
    cols = ["model", "series", "source", "n", "verdict", "lb_lag", "lb_stat", "lb_pvalue",
            "structure_lags", "jb_pvalue", "normal"]
    rows = []
    for d in diags:
        row = {c: getattr(d, c) for c in cols}
        row["structure_lags"] = " ".join(str(k) for k in d.structure_lags)
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)
