"""The right-shift (persistence) detector: is this forecast just the last observed value?

The classic failure of a neural forecaster is to output the previous value: plotted, its
curve is the actual curve shifted one step right, R² and MSE look excellent, and it is the
naive forecast in disguise. Every statistic below compares a forecast ``f`` with the actual
``y`` and with ``y_c``, the value observed at the forecast's cutoff (the naive forecast), on
the same points, so it works for any forecaster and any backtest layout:

- **skill** against the naive (and seasonal-naive) forecast, per series
  ``s_i = 1 - MSE_model,i / MSE_naive,i``, combined over series as
  ``1 - exp(mean_i log(MSE_model,i / MSE_naive,i))`` (one minus the geometric mean of the
  relative MSEs, so no series outweighs another by its scale). 0 is "as good as naive".
- **movement ratio** ``sqrt(sum (f - y_c)^2 / sum (y - y_c)^2)``: how far the forecast moves
  away from the last observed value compared with how far the actual moves (median over
  series). The naive forecast has 0; a forecast that copies the last value is near 0.
- **change correlation** ``corr(f - y_c, y - y_c)``: whether the changes the forecast
  predicts line up with the actual changes (pooled over series after dividing each by its
  actual-change scale). Undefined (NaN) for the naive forecast, which predicts no change.
- **last-value correlation** ``corr(f, y_c)`` beside the same for the actual,
  ``corr(y, y_c)``, pooled over folds, steps and series after standardising each series.
  It needs several cutoffs or series (with one fold of one series ``y_c`` is a constant).
- **cross-correlation of the differenced forecast with the differenced actual**,
  ``r(k) = corr(Δf_t, Δy_{t-k})`` for ``k = -K..K``: the classic symptom is a peak at
  ``k = 1`` (the forecast's changes repeat the actual's changes one step later).

Which layout gives what. *One-step rolling* evaluations (many folds, cutoffs one step
apart) give a forecast path ``f_t`` for every lead: the cross-correlation is computed on the
lead-1 path (``step=1``, at least ten folds); for the naive forecast ``Δf_t = Δy_{t-1}`` and
the peak is exactly at lag 1. *Multi-step direct* folds (``h > 1`` from one cutoff) have no
such path: there the cross-correlation is not computed (``ccf`` is ``None``) and the verdict
rests on skill and movement, which treat lead ``j`` correctly because the naive forecast at
lead ``j`` is ``y_c`` = the actual lagged by ``j``: a flat forecast has movement 0 and no
change correlation, whatever ``h`` is.

Verdict: **persistence** when the forecast gains less than ``NO_GAIN`` (10%) MSE over the
naive forecast and either stays near the last value (movement < 0.5) or its changes peak at
a positive lag; otherwise **worse than baseline** when it loses to the naive or the seasonal
naive forecast; otherwise **ok**.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from gatecast.diagnostics.folds import FoldArrays, fold_arrays, model_forecasts

NO_GAIN = 0.10  # skill below this over naive is no real gain
STAYS = 0.5  # movement ratio below this: the forecast stays near the last value
MAX_LAG = 5

VERDICTS = ("persistence", "worse than baseline", "ok")

FIX_PERSISTENCE = (
    "difference the target and predict changes (transform='diff', CLI: --param transform=diff),"
    " and judge it against the random walk (naive): if nothing beats naive, the naive forecast"
    " is the honest answer"
)
FIX_WORSE = (
    "use the better baseline, or make the target stationary first (the transform that"
    " `gatecast diagnose` advises) and train longer or on more data"
)


@dataclass
class ShiftDiagnostic:
    """Persistence statistics of one model's forecasts, with a verdict and the fix."""

    model: str
    verdict: str
    skill_naive: float
    skill_snaive: float
    movement_ratio: float
    change_corr: float
    last_value_corr: float
    actual_last_value_corr: float
    ccf_peak_lag: int | None
    ccf_peak: float
    ccf_threshold: float  # a positive-lag peak above this is significant (5%, all lags)
    n_points: int
    n_series: int
    explanation: str
    fix: str
    ccf: pd.Series | None = None  # r(k) indexed by lag k; None without a forecast path
    per_series: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def fired(self) -> bool:
        return self.verdict != "ok"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("per_series")
        out["ccf"] = None if self.ccf is None else {int(k): float(v) for k, v in self.ccf.items()}
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row: the values and the verdict (no per-series detail)."""
        row = {k: v for k, v in self.as_dict().items() if k not in ("ccf", "model")}
        return pd.DataFrame([row], index=pd.Index([self.model], name="model"))


def _flat(x: np.ndarray) -> bool:
    return bool(np.std(x) <= 1e-9 * (1.0 + np.abs(x).max()))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if a.size < 3 or _flat(a) or _flat(b):
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def cross_correlation(df: np.ndarray, dy: np.ndarray, max_lag: int) -> np.ndarray:
    """``r(k) = corr(df_t, dy_{t-k})`` for ``k = -max_lag..max_lag`` (``[2 max_lag + 1]``)."""
    n = df.size
    out = np.full(2 * max_lag + 1, np.nan)
    for j, k in enumerate(range(-max_lag, max_lag + 1)):
        if k >= 0:
            out[j] = _corr(df[k:], dy[: n - k])
        else:
            out[j] = _corr(df[: n + k], dy[-k:])
    return out


def _path_ccf(forecast: np.ndarray, actual: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Mean over series of the lead-1 path cross-correlation; (``r``, ``K``, path length)."""
    f = forecast[:, :, 0]  # [W, N] lead-1 forecasts, one step apart
    y = actual[:, :, 0]
    n = f.shape[0] - 1
    k = int(min(MAX_LAG, max(1, n // 4)))
    rs = np.stack([cross_correlation(np.diff(f[:, i]), np.diff(y[:, i]), k)
                   for i in range(f.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN lags stay NaN
        r = np.nanmean(rs, axis=0)
    return r, k, n


def _geo_skill(mse_model: np.ndarray, mse_ref: np.ndarray) -> float:
    ratio = mse_model / mse_ref
    ratio = ratio[np.isfinite(ratio)]
    if ratio.size == 0:
        return float("nan")
    return float(1.0 - np.exp(np.mean(np.log(np.maximum(ratio, 1e-12)))))


def _standardise(x: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return (x - loc[None, :, None]) / scale[None, :, None]


def shift_diagnostic(model: str, forecast: np.ndarray, folds: FoldArrays,
                     is_naive: bool = False) -> ShiftDiagnostic:
    """The persistence statistics of ``forecast`` (``[n_windows, n_series, h]``)."""
    y = folds.actual
    last = np.broadcast_to(folds.last[:, :, None], y.shape)  # [W, N, h]
    n_series = y.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        mse_m = np.nanmean((forecast - y) ** 2, axis=(0, 2))  # [N]
        mse_n = np.nanmean((last - y) ** 2, axis=(0, 2))
        mse_s = np.nanmean((folds.snaive - y) ** 2, axis=(0, 2)) if folds.season_length > 1 \
            else np.full(n_series, np.nan)
        move_f = np.nansum((forecast - last) ** 2, axis=(0, 2))
        move_y = np.nansum((y - last) ** 2, axis=(0, 2))
        movement = np.sqrt(move_f / move_y)
        scale = np.sqrt(move_y / np.isfinite(y - last).sum(axis=(0, 2)))  # actual-change scale
        zf = (forecast - last) / scale[None, :, None]
        zy = (y - last) / scale[None, :, None]
    change = [_corr(zf[:, i].ravel(), zy[:, i].ravel()) for i in range(n_series)]
    loc = np.array([np.mean(s) for s in folds.history])
    sd = np.array([np.std(s) or 1.0 for s in folds.history])
    f_z, y_z, c_z = (_standardise(a, loc, sd) for a in (forecast, y, last))
    ccf, lag, peak, bound = None, None, float("nan"), float("nan")
    if folds.consecutive():
        r, k, n_path = _path_ccf(forecast, y)
        if np.isfinite(r).any():
            ccf = pd.Series(r, index=pd.RangeIndex(-k, k + 1, name="lag"), name=model)
            lag = int(ccf.idxmax())
            peak = float(ccf.max())
            bound = ccf_threshold(n_path, n_series, len(ccf))
    with np.errstate(divide="ignore", invalid="ignore"):
        per = pd.DataFrame({
            "skill_naive": 1 - mse_m / mse_n, "skill_snaive": 1 - mse_m / mse_s,
            "movement_ratio": movement, "change_corr": change,
        }, index=pd.Index(folds.ids, name="unique_id"))
    finite_move = movement[np.isfinite(movement)]
    diag = ShiftDiagnostic(
        model=model, verdict="ok",
        skill_naive=_geo_skill(mse_m, mse_n),
        skill_snaive=_geo_skill(mse_m, mse_s),
        movement_ratio=float(np.median(finite_move)) if finite_move.size else float("nan"),
        change_corr=_corr(zf.ravel(), zy.ravel()),
        last_value_corr=_corr(f_z.ravel(), c_z.ravel()),
        actual_last_value_corr=_corr(y_z.ravel(), c_z.ravel()),
        ccf_peak_lag=lag, ccf_peak=peak, ccf_threshold=bound, n_points=int(np.isfinite(y).sum()),
        n_series=n_series, explanation="", fix="", ccf=ccf, per_series=per,
    )
    diag.verdict, diag.explanation, diag.fix = _verdict(diag, is_naive)
    return diag


def ccf_threshold(n_path: int, n_series: int, n_lags: int) -> float:
    """Significance bound of a cross-correlation peak, 5% after searching ``n_lags`` lags.

    Under no correlation each ``r(k)`` is about ``N(0, 1 / n)`` for a path of ``n`` changes;
    averaging over ``S`` series divides the variance by ``S``; Bonferroni over the lags.
    """
    z = float(norm.ppf(1 - 0.025 / n_lags))
    return z / float(np.sqrt(max(n_path * n_series, 1)))


def _ccf_fires(d: ShiftDiagnostic) -> bool:
    """A peak at a positive lag above the significance bound."""
    if d.ccf is None or d.ccf_peak_lag is None or d.ccf_peak_lag < 1:
        return False
    return d.ccf_peak > d.ccf_threshold


def _verdict(d: ShiftDiagnostic, is_naive: bool) -> tuple[str, str, str]:
    name = repr(d.model)
    skill = d.skill_naive
    stays = np.isfinite(d.movement_ratio) and d.movement_ratio < STAYS
    ccf_fires = _ccf_fires(d)
    if np.isfinite(skill) and skill < NO_GAIN and (stays or ccf_fires):
        if is_naive:
            return ("persistence", f"{name} is the naive forecast itself: the reference every"
                    " other model must beat", "")
        parts = []
        if ccf_fires:
            parts.append(f"its changes repeat the actual changes {d.ccf_peak_lag} step(s) later"
                         f" (cross-correlation peak at lag {d.ccf_peak_lag}, r={d.ccf_peak:.2f})")
        if stays:
            parts.append(f"it moves only {d.movement_ratio:.2f} of the actual's distance from"
                         " the last observed value")
        gain = "no better than" if skill <= 0 else f"only {100 * skill:.0f}% better than"
        text = (f"{name} mostly repeats the last observed value: " + " and ".join(parts)
                + f"; it is {gain} the naive forecast (skill {skill:+.2f}). A close-looking curve"
                " here is the actual curve shifted right.")
        return "persistence", text, FIX_PERSISTENCE
    worse = [(lbl, s) for lbl, s in (("naive", skill), ("seasonal naive", d.skill_snaive))
             if np.isfinite(s) and s < 0]
    if worse:
        lbl, s = min(worse, key=lambda t: t[1])
        text = (f"{name} is worse than the {lbl} forecast on the same points (skill {s:+.2f}:"
                f" MSE {-100 * s:.0f}% higher)")
        return "worse than baseline", text + ".", FIX_WORSE
    text = f"{name} beats the naive forecast by {100 * skill:.0f}% in MSE (skill {skill:+.2f})"
    if np.isfinite(d.skill_snaive) and abs(d.skill_snaive) > 1e-9:
        text += f" and the seasonal naive by {100 * d.skill_snaive:.0f}%"
    if d.ccf_peak_lag is not None:
        text += f"; its changes line up best at lag {d.ccf_peak_lag}"
    return "ok", text + ".", ""


def diagnose_shift(result: Any, season_length: int | None = None,
                   models: list[str] | None = None) -> dict[str, ShiftDiagnostic]:
    """Run the detector on every model of a backtest (or the ``models`` named); the
    seasonal reference uses the run's season length unless ``season_length`` is given."""
    folds = fold_arrays(result, season_length)
    names = list(result.models) if models is None else list(models)
    out = {}
    for name in names:
        forecast = model_forecasts(result, name)
        with np.errstate(invalid="ignore"):
            is_naive = bool(np.allclose(forecast, folds.last[:, :, None], equal_nan=True))
        out[name] = shift_diagnostic(name, forecast, folds, is_naive=is_naive)
    return out


def shift_table(diags: dict[str, ShiftDiagnostic] | list[ShiftDiagnostic]) -> pd.DataFrame:
    """One row per model: the values and the verdict."""
    items = diags.values() if isinstance(diags, dict) else diags
    frames = [d.to_frame().drop(columns=["explanation", "fix"]) for d in items]
    return pd.concat(frames) if frames else pd.DataFrame()
