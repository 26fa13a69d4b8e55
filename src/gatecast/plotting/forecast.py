"""History + forecast (+ intervals) per series, as a small-multiples grid."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gatecast.data.validate import SeriesFrame

_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]


def _forecast_columns(forecasts: pd.DataFrame) -> list[str]:
    return [c for c in forecasts.columns
            if c not in ("unique_id", "ds", "y", "cutoff") and "-lo-" not in c
            and "-hi-" not in c]


def plot_forecast(
    history: SeriesFrame,
    forecasts: pd.DataFrame,
    path: str | Path | None = None,
    max_series: int = 12,
    last: int | None = None,
    actuals: pd.DataFrame | None = None,
) -> Figure:
    """Plot each series' history, every model's forecast and its widest interval.

    Args:
        history: the fitted data.
        forecasts: long forecasts (``unique_id``, ``ds``, one column per model).
        path: write the figure there (PNG/SVG by extension) when given.
        max_series: at most this many panels.
        last: show only the last ``last`` history points (default: all, at most 10 seasons).
        actuals: optional frame with the true future values (``unique_id``, ``ds``, ``y``).
    """
    ids = list(history.ids[:max_series])
    cols = min(3, len(ids))
    rows = math.ceil(len(ids) / cols)
    fig = Figure(figsize=(5.2 * cols, 3.2 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    models = _forecast_columns(forecasts)
    hist = history.frame
    for ax, uid in zip(axes, ids, strict=False):
        h = hist[hist["unique_id"] == uid]
        if last is not None:
            h = h.iloc[-last:]
        ax.plot(h["ds"], h["y"], color="black", lw=1.2, label="history")
        f = forecasts[forecasts["unique_id"] == uid]
        if actuals is not None:
            a = actuals[actuals["unique_id"] == uid]
            ax.plot(a["ds"], a["y"], color="black", lw=1.2, ls=":", label="actual")
        ax.axvline(h["ds"].iloc[-1], color="grey", lw=0.8, ls="--")
        for k, model in enumerate(models):
            colour = _COLOURS[k % len(_COLOURS)]
            ax.plot(f["ds"], f[model], color=colour, lw=1.4, label=model)
            lo = sorted(c for c in f.columns if c.startswith(f"{model}-lo-"))
            if lo:
                widest = max(lo, key=lambda c: float(c.rsplit("-", 1)[1]))
                hi = widest.replace("-lo-", "-hi-")
                ax.fill_between(f["ds"], f[widest], f[hi], color=colour, alpha=0.15, lw=0)
        ax.set_title(str(uid), fontsize=10)
        ax.tick_params(labelsize=8)
    for ax in axes[len(ids):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8, loc="upper left")
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
