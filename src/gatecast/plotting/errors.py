"""Backtest error by horizon step: how fast each model's accuracy decays with lead time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gatecast.errors import ConfigError
from gatecast.metrics import METRICS
from gatecast.plotting.leaderboard import BASELINES
from gatecast.plotting.style import (
    BASELINE_COLOUR,
    COLOURS,
    apply_fonts,
    new_figure,
    save_figure,
    style_axes,
)


def errors_by_step(result: Any, metric: str = "mae") -> pd.DataFrame:
    """``[h, n_models]`` table: ``metric`` at each lead time over all series and folds.

    ``result`` is a :class:`~gatecast.evaluation.backtest.BacktestResult` (or anything with
    ``forecasts``, ``models`` and ``h``). Row ``k`` scores the ``k``-th step ahead of every
    fold's cutoff: ``metric(y[:, k], yhat[:, k])`` over the ``n_folds * n_series`` rows.
    """
    if metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    h = int(result.h)
    fc = result.forecasts
    y = fc["y"].to_numpy(np.float64).reshape(-1, h)  # [n_folds * n_series, h]
    out = {}
    for name in result.models:
        pred = fc[name].to_numpy(np.float64).reshape(-1, h)
        out[name] = np.asarray(METRICS[metric](y, pred, axis=0), dtype=np.float64)
    return pd.DataFrame(out, index=pd.RangeIndex(1, h + 1, name="step"))


def plot_errors_by_step(
    result: Any,
    metric: str = "mae",
    path: str | Path | None = None,
    baselines: tuple[str, ...] = BASELINES,
    title: str | None = None,
) -> Figure:
    """One line per model: ``metric`` against the step ahead (1..h); baselines grey, dashed."""
    table = result if isinstance(result, pd.DataFrame) else errors_by_step(result, metric)
    fig = new_figure(6.4, 3.6)
    ax = fig.subplots()
    k = 0
    for name in table.columns:
        base = str(name) in baselines
        colour = BASELINE_COLOUR if base else COLOURS[k % len(COLOURS)]
        k += 0 if base else 1
        ax.plot(table.index, table[name], color=colour, lw=1.4, ls="--" if base else "-",
                marker="o", ms=3, label=str(name))
    ax.set_xlabel("step ahead", fontsize=9)
    ax.set_ylabel(metric, fontsize=9)
    ax.set_title(title or f"backtest {metric} by horizon step", fontsize=10)
    if len(table.index) <= 24:
        ax.set_xticks(list(table.index))
    style_axes(ax)
    ax.legend(fontsize=7, framealpha=0.85)
    apply_fonts(fig)
    if path is not None:
        save_figure(fig, path)
    return fig
