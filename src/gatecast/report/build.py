"""Build the HTML report: backtest, final hold-out fit, diagnostics, figures, one file.

Steps: (1) the rolling-origin backtest and leaderboard (or the ones ``compare`` already
computed); (2) every model, baselines included, refitted on each series less its last
``h`` points and asked for those ``h`` points with intervals; (3) the in-sample one-step
fit on the tail of that training part; (4) the diagnostics hook; (5) the sections.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gatecast.data.season import resolve_season_length
from gatecast.data.slices import slice_frame
from gatecast.data.validate import SeriesFrame, validate
from gatecast.errors import ConfigError, DataError, series_list
from gatecast.evaluation.backtest import BacktestResult
from gatecast.evaluation.compare import DEFAULT_METRICS, compare, with_baselines
from gatecast.evaluation.conformal import (
    ConformalConfig,
    check_intervals,
    check_windows,
    conformal_forecast,
)
from gatecast.io.paths import write_text
from gatecast.models.base import check_horizon
from gatecast.report import hook
from gatecast.report.context import ReportContext
from gatecast.report.html import render_page
from gatecast.report.insample import fitted_table
from gatecast.report.items import DiagnosticItem, Section
from gatecast.report.sections import (
    MAX_PANELS,
    data_section,
    diagnostics_section,
    forecasts_section,
    leaderboard_section,
    training_section,
)

Diagnostics = Callable[[ReportContext], list[DiagnosticItem]] | Sequence[DiagnosticItem] | None
REPORT_SUFFIXES = (".html", ".htm")


@dataclass
class Report:
    """A built report: its context, diagnostic items and rendered sections."""

    context: ReportContext
    items: list[DiagnosticItem]
    sections: list[Section] = field(default_factory=list)
    subtitle: str = ""

    def to_html(self) -> str:
        return render_page(self.context.title, self.sections, self.subtitle)

    def write(self, path: str | Path) -> Path:
        return write_report(self, path)


def check_report_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise ConfigError(f"report file {str(path)!r} must end in .html")
    return path


def write_report(report: Report, path: str | Path) -> Path:
    """Write the self-contained HTML file (UTF-8), creating its folder."""
    path = check_report_path(path)
    return write_text(path, report.to_html())


def split_holdout(data: SeriesFrame, h: int, need: int = 1) -> tuple[SeriesFrame, pd.DataFrame]:
    """(every series less its last ``h`` points, those points as ``unique_id, ds, y``)."""
    short = data.lengths < h + need
    if short.any():
        k = int(np.flatnonzero(short)[0])
        raise DataError(
            f"series {series_list(list(data.ids[short]))} too short for a report with h={h}:"
            f" {int(data.lengths[k])} points, needs at least {h + need}; use a smaller --h"
        )
    zeros = np.zeros(data.n_series, dtype=np.int64)
    train = slice_frame(data, zeros, data.lengths - h)
    test = slice_frame(data, data.lengths - h, data.lengths).frame[["unique_id", "ds", "y"]]
    return train, test.reset_index(drop=True)


def fit_holdout(models: list[Any], train: SeriesFrame, h: int, levels: list[float],
                progress: Callable[[str], None] | None = None,
                conformal: ConformalConfig | None = None,
                ) -> tuple[dict[str, Any], pd.DataFrame]:
    """Fit every model on ``train``; their forecasts of the next ``h`` points, merged.
    With ``conformal``, every model's intervals are conformal, calibrated on ``train``."""
    fitted: dict[str, Any] = {}
    merged: pd.DataFrame | None = None
    for model in models if conformal is not None and levels else ():
        check_windows(model, train, h, conformal.n_windows)  # before any fitting
    for model in models:
        if conformal is not None and levels:
            m, fc = conformal_forecast(model, train, h, levels, conformal)
        else:
            m = model.with_horizon(h).fit(train)
            lv = levels if levels and getattr(m, "supports_intervals", False) else None
            fc = m.predict(h, level=lv)
        fitted[m.name] = m
        merged = fc if merged is None else merged.merge(fc, on=["unique_id", "ds"])
        if progress is not None:
            progress(m.name)
    assert merged is not None
    return fitted, merged


def build_report(
    models: Any,
    data: Any,
    h: int,
    season_length: int | None = None,
    n_windows: int = 1,
    level: Sequence[float] | None = (80, 95),
    metrics: Sequence[str] = DEFAULT_METRICS,
    title: str = "gatecast report",
    description: str = "",
    board: pd.DataFrame | None = None,
    result: BacktestResult | None = None,
    diagnostics: Diagnostics = None,
    fit_points: int | None = None,
    progress: Callable[[str], None] | None = None,
    freq: str | int | None = None,
    intervals: str = "quantile",
    conformal: ConformalConfig | None = None,
) -> Report:
    """Backtest ``models`` beside the naive baselines and build the report.

    Args:
        models: forecasters (naive and seasonal naive are added).
        data: long frame, path or :class:`SeriesFrame`.
        h: forecast horizon.
        season_length: season ``m`` for seasonal baselines and MASE; ``None``: the
            backtest's, else inferred from the frequency (:mod:`gatecast.data.season`).
        n_windows: rolling-origin folds of the backtest.
        level: interval levels drawn for models that have intervals.
        metrics: leaderboard metrics (the first ranks).
        title: report title; description: one line about the data.
        board, result: a leaderboard and backtest already computed by ``compare`` (then
            no backtest is run again).
        diagnostics: extra items, or a function of the context returning items, shown
            after those of :func:`gatecast.report.hook.diagnostic_items`.
        fit_points: in-sample fit over this many final training points (default: the
            plotted window).
        progress: called with a model name after each step (for progress bars).
        freq: the data's frequency when it cannot be inferred.
        intervals: ``"quantile"`` (each model's own) or ``"conformal"``: the hold-out
            forecasts get conformal intervals calibrated on the training part
            (:mod:`gatecast.evaluation.conformal`; ``conformal`` sets the calibration).
    """
    h = check_horizon(h)
    intervals = check_intervals(intervals)
    if intervals == "conformal":
        conformal = conformal or ConformalConfig()
    elif conformal is not None:
        raise ConfigError("conformal= needs intervals='conformal'")
    levels = sorted({float(v) for v in (level or [])})
    model_list = list(models) if isinstance(models, (list, tuple)) else [models]
    sf = data if isinstance(data, SeriesFrame) else validate(data, freq=freq)
    if season_length is None and result is not None:
        season_length = result.season_length
    season_length = resolve_season_length(season_length, sf.freq)
    all_models = with_baselines(model_list, season_length)
    if board is None or result is None:
        with_cov = any(m.startswith("coverage") for m in metrics)
        board, result = compare(
            all_models, sf, h, n_windows=n_windows, season_length=season_length,
            metrics=tuple(metrics), baselines=False, level=levels if with_cov else None,
            progress=(lambda name, w: progress(f"{name} fold {w + 1}")) if progress else None,
        )
    need = max(int(getattr(m, "min_length", lambda: 1)()) for m in all_models)
    train, test = split_holdout(sf, h, need)
    fitted_models, holdout = fit_holdout(
        all_models, train, h, levels,
        progress=(lambda name: progress(f"{name} hold-out fit")) if progress else None,
        conformal=conformal)
    window = fit_points if fit_points is not None else max(4 * h, 3 * season_length, 24)
    shown = list(train.ids[:MAX_PANELS])  # the series the forecast figures draw
    fitted, failed = fitted_table(fitted_models, train, window, ids=shown)
    notes = [f"No in-sample fit for {name}: {why}" for name, why in failed.items()]
    ctx = ReportContext(
        data=sf, season_length=season_length, h=h, board=board, result=result, train=train,
        test=test, models=fitted_models, holdout=holdout, fitted=fitted, levels=levels,
        title=title, description=description, notes=notes,
        intervals=intervals if levels else "quantile",
        conformal_windows=conformal.n_windows if conformal is not None else 0,
    )
    items = list(hook.diagnostic_items(ctx))
    items += list(diagnostics(ctx) if callable(diagnostics) else (diagnostics or []))
    sections = [data_section(ctx), leaderboard_section(ctx), diagnostics_section(items),
                forecasts_section(ctx)]
    training = training_section(ctx)
    if training is not None:
        sections.append(training)
    subtitle = (f"{sf.n_series} series, h={h}, season length {season_length},"
                f" {int(result.cuts.shape[0])} backtest fold(s);"
                f" models: {', '.join(map(str, board.index))}")
    return Report(ctx, items, sections, subtitle)
