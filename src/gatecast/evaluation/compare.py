"""Scoring backtests and the leaderboard that always shows the baselines.

Scores are computed per series and fold over the ``h`` forecast points, then averaged
over series and folds, the way M4 scored (so a long series does not outweigh a short
one). MASE and MSIS are scaled by each fold's own in-sample seasonal-naive MAE, computed
from the training part of that fold only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gatecast.checks import MAX_HORIZON, MAX_WINDOWS, whole_number
from gatecast.data.season import resolve_season_length
from gatecast.data.validate import SeriesFrame, validate
from gatecast.diagnostics.shift import diagnose_shift
from gatecast.errors import ConfigError, shorten
from gatecast.evaluation.backtest import BacktestResult, backtest
from gatecast.metrics import METRICS, coverage, mase_scale
from gatecast.models.base import level_label
from gatecast.models.baselines import Drift, Naive, SeasonalNaive
from gatecast.models.registry import make_model

DEFAULT_METRICS = ("smape", "mase", "mae", "rmse")
KNOWN_METRICS = (*METRICS, "mase", "msis", "coverage")


def check_metrics(metrics: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The metric names as a tuple (one name may be given as a string)."""
    names = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    if not names:
        raise ConfigError(f"give at least one metric, e.g. {', '.join(DEFAULT_METRICS)}")
    unknown = [m for m in names if m not in KNOWN_METRICS]
    if unknown:
        shown = ", ".join(shorten(m) for m in unknown)
        raise ConfigError(f"unknown metric(s) [{shown}]; choose from {', '.join(KNOWN_METRICS)}")
    return names


def resolve_models(models: Any, season_length: int, h: int) -> list[Any]:
    """Forecasters as a list; a name such as ``"ets"`` is built with the registry's
    :func:`~gatecast.models.registry.make_model` (with ``season_length`` and ``h``)."""
    models = list(models) if isinstance(models, (list, tuple)) else [models]
    return [make_model(m, season_length=season_length, horizon=h) if isinstance(m, str) else m
            for m in models]


def fold_scales(result: BacktestResult, season_length: int) -> np.ndarray:
    """MASE denominators ``[n_windows * n_series]`` in the row order of the forecasts."""
    values = result.data.grouped()
    scales = np.empty(result.cuts.size)
    k = 0
    for w in range(result.cuts.shape[0]):
        for i in range(result.cuts.shape[1]):
            scales[k] = mase_scale(values[i][: result.cuts[w, i]], season_length)
            k += 1
    return scales


def run_season_length(result: BacktestResult, season_length: int | None) -> int:
    """``season_length`` if given (to re-score with another scale), else the run's."""
    return resolve_season_length(
        result.season_length if season_length is None else season_length, result.data.freq)


def evaluate(
    result: BacktestResult,
    metrics: tuple[str, ...] | list[str] = DEFAULT_METRICS,
    season_length: int | None = None,
) -> pd.DataFrame:
    """One row per model, one column per metric (mean over series and folds).

    MASE and MSIS are scaled with the run's season length (``result.season_length``)
    unless ``season_length`` is given.
    """
    metrics = check_metrics(metrics)
    season_length = run_season_length(result, season_length)
    h = result.h
    fc = result.forecasts
    y = fc["y"].to_numpy(np.float64).reshape(-1, h)  # [n_windows * n_series, h]
    needs_scale = any(m in ("mase", "msis") for m in metrics)
    scales = fold_scales(result, season_length) if needs_scale else None
    rows = []
    for name in result.models:
        pred = fc[name].to_numpy(np.float64).reshape(-1, h)
        row: dict[str, float] = {}
        for metric in metrics:
            if metric in METRICS:
                row[metric] = float(np.nanmean(METRICS[metric](y, pred, axis=-1)))
            elif metric == "mase":
                with np.errstate(divide="ignore", invalid="ignore"):
                    per = np.abs(y - pred).mean(axis=-1) / scales
                row[metric] = float(np.nanmean(per))
            elif metric in ("coverage", "msis"):
                row.update(_interval_scores(fc, name, result, metric, scales))
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(result.models, name="model"))


def _interval_scores(
    fc: pd.DataFrame,
    name: str,
    result: BacktestResult,
    metric: str,
    scales: np.ndarray | None,
) -> dict[str, float]:
    """Coverage and MSIS per level (MSIS in the vectorised form of ``metrics.msis``)."""
    out: dict[str, float] = {}
    h = result.h
    y = fc["y"].to_numpy(np.float64).reshape(-1, h)
    for lv in result.levels:
        lo_col, hi_col = f"{name}-lo-{level_label(lv)}", f"{name}-hi-{level_label(lv)}"
        key = f"{metric}-{level_label(lv)}"
        if lo_col not in fc:
            out[key] = np.nan
            continue
        lo = fc[lo_col].to_numpy(np.float64).reshape(-1, h)
        hi = fc[hi_col].to_numpy(np.float64).reshape(-1, h)
        if metric == "coverage":
            out[key] = float(coverage(y, lo, hi))
        else:
            alpha = 1 - lv / 100
            width = (hi - lo) + (2 / alpha) * ((lo - y) * (y < lo) + (y - hi) * (y > hi))
            with np.errstate(divide="ignore", invalid="ignore"):
                out[key] = float(np.nanmean(width.mean(axis=-1) / scales))
    return out


def model_choices(result: BacktestResult) -> dict[str, str]:
    """What each model's fit chose from the data (its ``describe()``: an AutoARIMA's
    orders, an AutoETS's form, a network's shape), for the models that choose something.

    A backtest fits a model once per refit; shown is the last fit's choice (the one nearest
    the data's end), with the number of different choices when the fits disagree."""
    out = {}
    for name, seen in result.choices.items():
        distinct = len(set(seen))
        note = f" (last fit; {distinct} different over {len(seen)} fits)" if distinct > 1 else ""
        out[name] = seen[-1] + note
    return out


def with_baselines(models: list[Any], season_length: int) -> list[Any]:
    """Prepend naive, seasonal naive and drift unless the list has them already."""
    kinds = {type(m) for m in models}
    extra: list[Any] = []
    if Naive not in kinds:
        extra.append(Naive(alias="naive"))
    if SeasonalNaive not in kinds and season_length > 1:
        extra.append(SeasonalNaive(season_length=season_length, alias="snaive"))
    if Drift not in kinds:
        extra.append(Drift(alias="drift"))
    return extra + list(models)


def leaderboard(
    result: BacktestResult,
    metrics: tuple[str, ...] | list[str] = DEFAULT_METRICS,
    season_length: int | None = None,
) -> pd.DataFrame:
    """Scores plus fit and predict seconds, best first by the first metric."""
    metrics = check_metrics(metrics)
    board = evaluate(result, metrics, season_length)
    seconds = result.timings.groupby("model", sort=False)[["fit_seconds", "predict_seconds"]]
    board = board.join(seconds.sum())
    first = metrics[0]
    ascending = first != "r2"
    return board.sort_values(first, ascending=ascending, kind="stable")


def compare(
    models: Any,
    data: Any,
    h: int,
    n_windows: int = 1,
    step: int | None = None,
    season_length: int | None = None,
    metrics: tuple[str, ...] | list[str] = DEFAULT_METRICS,
    baselines: bool = True,
    refit: bool | int = True,
    level: list[float] | None = None,
    freq: str | int | None = None,
    progress: Any = None,
    diagnose: bool = True,
    engine: Any = None,
    warm_start: bool | None = None,
) -> tuple[pd.DataFrame, BacktestResult]:
    """Backtest ``models`` (plus naive, seasonal naive and drift) and rank them.

    ``models``: forecasters or registry names (``"ets"``, built with ``season_length``);
    ``metrics``: names, or one name as a string.

    Returns the leaderboard (one row per model: each metric, fit and predict seconds and,
    unless ``diagnose=False``, ``skill_naive`` = 1 - MSE / MSE of the naive forecast on the
    same points and the persistence detector's ``verdict``; see
    :mod:`gatecast.diagnostics.shift`) and the underlying :class:`BacktestResult`. The
    baselines are added unless ``baselines=False`` so that no score is read without its
    reference. ``engine`` (``"local"``, ``"ray"`` or an engine) maps the per-series models'
    partitions; ``refit`` (every ``k``-th fold, ``False``: the first only) and
    ``warm_start`` (recurrent refits start from the previous fold's weights; ``None``: for 10
    or more folds one step apart) are the backtest's (see
    :func:`~gatecast.evaluation.backtest.backtest`).

    The season length is decided once here: ``season_length`` if given, else inferred from
    the data's frequency (monthly 12, quarterly 4, hourly 24, ...; the table is in
    :mod:`gatecast.data.season`). It sets the seasonal-naive baseline, the MASE/MSIS scale
    and the diagnostics, and is kept on the result (``result.season_length``). A model
    built with its own ``season_length`` keeps it for its fit (the scores use the run's);
    a model that leaves it to the data (``season_length=None``) fits with the run's.
    """
    metrics = check_metrics(metrics)
    n_windows = whole_number(n_windows, "n_windows", maximum=MAX_WINDOWS)
    if step is not None:
        step = whole_number(step, "step", maximum=MAX_HORIZON)
    sf = data if isinstance(data, SeriesFrame) else validate(data, freq=freq)
    m = resolve_season_length(season_length, sf.freq)
    models = resolve_models(models, m, h)
    if baselines:
        models = with_baselines(models, m)
    result = backtest(
        models, sf, h, n_windows=n_windows, step=step, refit=refit, level=level,
        freq=freq, progress=progress, engine=engine, season_length=m, warm_start=warm_start,
    )
    board = leaderboard(result, metrics)
    if diagnose:
        shift = diagnose_shift(result, m)
        board["skill_naive"] = [shift[name].skill_naive for name in board.index]
        board["verdict"] = [shift[name].verdict for name in board.index]
    return board, result
