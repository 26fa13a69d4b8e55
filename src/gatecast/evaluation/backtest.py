"""Rolling-origin backtest: refit everything inside each fold, never look past the cutoff.

For ``n_windows`` folds, each series is cut at ``n - h - step * (n_windows - 1 - w)``
points (its own positions, so series may end at different times); models are fitted on
the part before the cut and forecast the next ``h`` points. Because every fold hands the
model only the rows before its cutoff, and every transform, scaler and order selection
is fitted inside ``fit``, no fold can see its own future.

Refitting every fold is the default. ``refit=k`` refits every ``k``-th fold and
``refit=False`` (``0``) only the first; between refits a model forecasts from the new
fold's history with the parameters of its last fit (its ``forward``: classical models
re-filter the new history with fixed coefficients, networks read the new context with
fixed weights), so it still sees nothing past the fold's cutoff. A warm start (by default
when 10 or more folds are one step apart) starts a refit of a recurrent model from its
previous fit's weights with a share of the step budget
(:func:`~gatecast.models.recurrent_ensemble.warm_start_of`). Measured trade-offs:
``docs/decisions.md`` ("Refit interval and warm starts in backtests").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gatecast.checks import whole_number
from gatecast.data.season import resolve_season_length
from gatecast.data.slices import slice_frame
from gatecast.data.validate import SeriesFrame, validate
from gatecast.engine import resolve_engine
from gatecast.errors import ConfigError, DataError, series_list
from gatecast.models.base import check_horizon, check_levels
from gatecast.models.registry import make_model


@dataclass
class BacktestResult:
    """Forecasts of every fold beside the actuals, with timings.

    ``forecasts`` columns: ``unique_id``, ``ds``, ``cutoff`` (last training timestamp),
    ``y`` (actual), one column per model (+ ``<model>-lo-<level>`` / ``-hi-``).
    ``season_length`` is the run's (given, or inferred from the data's frequency; see
    :mod:`gatecast.data.season`): the MASE scale and the diagnostics of this result use it.
    """

    forecasts: pd.DataFrame
    timings: pd.DataFrame  # model, window, fit_seconds, predict_seconds
    models: list[str]
    h: int
    data: SeriesFrame
    cuts: np.ndarray  # [n_windows, n_series] number of training points in each fold
    levels: list[float] = field(default_factory=list)
    season_length: int = 1
    refit: int = 1  # refit every ``refit`` folds; 0: fitted on the first fold only
    warm_start: bool = False
    # what each fit chose (``model.describe()``), in fold order, for the models that
    # choose something from the data (an ARIMA order, an ETS form, a network's shape)
    choices: dict[str, list[str]] = field(default_factory=dict)


def fold_cuts(lengths: np.ndarray, h: int, n_windows: int, step: int) -> np.ndarray:
    """Training length of each series in each fold: ``[n_windows, n_series]``."""
    back = h + step * (n_windows - 1 - np.arange(n_windows))
    return lengths[None, :] - back[:, None]


def check_fold_room(sf: SeriesFrame, cuts: np.ndarray, need: int, what: str, total: int,
                    fix: str) -> None:
    """DataError naming the series whose first fold leaves fewer than ``need`` points to fit
    on (``what``: the folds asked for; ``total``: the points such a series needs)."""
    short = cuts[0] < need
    if short.any():
        k = int(np.flatnonzero(short)[0])
        raise DataError(f"series {series_list(list(sf.ids[short]))} too short for {what}:"
                        f" {int(sf.lengths[k])} points, needs {total}; {fix}")


def _model_name(model: Any) -> str:
    return str(getattr(model, "name", type(model).__name__))


#: ``warm_start=None`` warm-starts the recurrent models' refits when the backtest has at
#: least this many folds one step apart (``docs/decisions.md``, "Refit interval and warm
#: starts in backtests").
WARM_FROM_WINDOWS = 10


def resolve_warm_start(warm_start: bool | None, n_windows: int, step: int) -> bool:
    """``warm_start`` as given, or (``None``) on for a long backtest whose cutoffs move one
    step at a time (``WARM_FROM_WINDOWS`` folds or more, ``step=1``): there each training
    differs from the last by one point, so it dominates the time and changes little."""
    if warm_start is None:
        return n_windows >= WARM_FROM_WINDOWS and step == 1
    if not isinstance(warm_start, bool):
        raise ConfigError(f"warm_start must be True, False or None (on for {WARM_FROM_WINDOWS}"
                          f" or more folds one step apart), got {warm_start!r}")
    return warm_start


def check_refit(refit: bool | int) -> int:
    """The refit interval: ``True`` -> 1 (every fold), ``False`` -> 0 (first fold only),
    a whole number ``k >= 0`` -> ``k``."""
    if isinstance(refit, bool):
        return int(refit)
    return whole_number(refit, "refit", minimum=0, hint=" (or True / False)")


def fits_in_fold(w: int, refit: int, first: bool, forwards: bool) -> bool:
    """Whether a model is fitted in fold ``w``: always its first time, every ``refit``-th
    fold, and every fold for a model that cannot forecast from new history (no
    ``forward``), for which fitting is the only way to read it."""
    return first or not forwards or (refit > 0 and w % refit == 0)


def described(model: Any) -> str | None:
    """``model.describe()`` when its fit chose something from the data, else ``None``."""
    choices = getattr(model, "choices", None)
    return model.describe() if callable(choices) and choices() else None


def backtest(
    models: Any,
    data: Any,
    h: int,
    n_windows: int = 1,
    step: int | None = None,
    refit: bool | int = True,
    level: list[float] | None = None,
    freq: str | int | None = None,
    progress: Any = None,
    engine: Any = None,
    season_length: int | None = None,
    warm_start: bool | None = None,
) -> BacktestResult:
    """Rolling-origin evaluation of one or several forecasters.

    Args:
        models: a forecaster or a list of them (each is cloned; the originals stay unfitted),
            or registry names ("ets"), built with the run's season length and ``h``.
        data: long frame, path or :class:`SeriesFrame`.
        h: forecast horizon of each fold.
        n_windows: number of folds (cutoffs).
        step: points between consecutive cutoffs (default ``h``: folds do not overlap).
        refit: ``True`` (or ``1``) refits in every fold; ``False`` (or ``0``) fits in the
            first fold only and forecasts later folds from their new history with the same
            parameters; an integer ``k`` refits every ``k`` folds (``ceil(n_windows / k)``
            fits). A model without ``forward`` is refitted in every fold.
        level: prediction-interval levels to collect.
        progress: optional callable ``(model_name, window) -> None`` for progress bars.
        engine: ``"local"`` (default: each model's ``n_jobs``), ``"ray"`` or an engine
            (:mod:`gatecast.engine`): per-series models map their partitions on it; global
            (recurrent) models train and predict in this process.
        season_length: the run's season length for MASE and the diagnostics; ``None``
            infers it from the frequency (monthly 12, hourly 24, ...; see
            :mod:`gatecast.data.season`). A model given its own ``season_length`` keeps
            it; one that leaves it to the data (``None``) fits with the run's.
        warm_start: ``True``: a refit after the first of a model that can (the recurrent
            ones, ``warm_starts``) starts from the weights of its previous fit, trained on
            data up to an earlier cutoff only, and takes a share of the step budget;
            ``False``: every fit starts from scratch; ``None`` (default): warm when 10 or
            more folds are one step apart (``step=1``; see :func:`resolve_warm_start`).
    """
    chosen = resolve_engine(engine)
    if chosen is not None:  # the same backtest with the engine active
        with chosen:
            return backtest(models, data, h, n_windows, step, refit, level, freq, progress,
                            season_length=season_length, warm_start=warm_start)
    h = check_horizon(h)
    n_windows = whole_number(n_windows, "n_windows")
    step = h if step is None else whole_number(step, "step")
    refit_every = check_refit(refit)
    warm_start = resolve_warm_start(warm_start, n_windows, step)
    levels = check_levels(level)
    models = list(models) if isinstance(models, (list, tuple)) else [models]
    if not models:
        raise ConfigError("give at least one model to backtest")
    sf = data if isinstance(data, SeriesFrame) else validate(data, freq=freq)
    season = resolve_season_length(season_length, sf.freq)  # decided once for the run
    # a registry name ("ets") is built with the run's season length and horizon; a model
    # that leaves its season to the data gets the run's, so the two cannot differ
    models = [make_model(m, season_length=season, horizon=h) if isinstance(m, str) else
              m.with_season(season) if hasattr(m, "with_season") else m for m in models]
    names = [_model_name(m) for m in models]
    # recorded on the result as "some model warm-started", for the notes of the outputs
    warm_start = warm_start and any(getattr(m, "warm_starts", False) for m in models)
    if len(set(names)) != len(names):
        raise ConfigError(f"model names must be unique, got {names}; set alias= to tell apart")

    cuts = fold_cuts(sf.lengths, h, n_windows, step)
    need = max(int(getattr(m, "min_length", lambda: 1)()) for m in models)
    check_fold_room(sf, cuts, need, f"{n_windows} backtest window(s) of h={h}, step={step}",
                    need + h + step * (n_windows - 1), "use fewer windows or a smaller h")

    frames, timings = [], []
    fitted: dict[str, Any] = {}
    choices: dict[str, list[str]] = {name: [] for name in names}
    for w in range(n_windows):
        train = slice_frame(sf, np.zeros(sf.n_series, dtype=np.int64), cuts[w])
        test = slice_frame(sf, cuts[w], cuts[w] + h)
        block = test.frame[["unique_id", "ds", "y"]].copy()
        block.insert(2, "cutoff", np.repeat(train.last_ds(), h))
        for model, name in zip(models, names, strict=True):
            previous = fitted.get(name)
            do_fit = fits_in_fold(w, refit_every, previous is None, hasattr(model, "forward"))
            t0 = time.perf_counter()
            if do_fit:
                fresh = model.with_horizon(h)
                # a warm start's weights were fitted up to an earlier cutoff than this one
                warm = (warm_start and previous is not None
                        and getattr(model, "warm_starts", False))
                fitted[name] = (fresh.fit(train, start_from=previous) if warm
                                else fresh.fit(train))
            t1 = time.perf_counter()
            # Known-future covariates of the test window are known at the cutoff by
            # definition; the target of the test window never reaches the model.
            extra = {"future": test.frame.drop(columns="y")} if getattr(
                model, "future_covariates", ()) else {}
            if do_fit:
                fc = fitted[name].predict(h, level=levels or None, **extra)
                chosen = described(fitted[name])
                if chosen is not None:
                    choices[name].append(chosen)
            else:
                fc = fitted[name].forward(train, h, level=levels or None, **extra)
            t2 = time.perf_counter()
            cols = [c for c in fc.columns if c not in ("unique_id", "ds")]
            for c in cols:
                block[c] = fc[c].to_numpy()
            timings.append((name, w, t1 - t0 if do_fit else 0.0, t2 - t1))
            if progress is not None:
                progress(name, w)
        frames.append(block)
    forecasts = pd.concat(frames, ignore_index=True)
    timing = pd.DataFrame(timings, columns=["model", "window", "fit_seconds", "predict_seconds"])
    return BacktestResult(forecasts, timing, names, h, sf, cuts, levels, season, refit_every,
                          warm_start, {k: v for k, v in choices.items() if v})
