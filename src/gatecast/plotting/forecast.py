"""History, in-sample fit and forecast (+ intervals) per series, as a small-multiples grid.

One panel per series: the history in black, each model's in-sample one-step fit (when
given) as a thin line over the history, the out-of-sample forecast with its widest
interval as a band, the actual future values (when known) dotted, and a dashed vertical
line at the train/test boundary (the forecast origin).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gatecast.data.validate import SeriesFrame
from gatecast.plotting.style import (
    COLOURS,
    HISTORY_COLOUR,
    apply_fonts,
    new_figure,
    save_figure,
    style_axes,
)

_NOT_MODELS = ("unique_id", "ds", "y", "cutoff")


def forecast_columns(forecasts: pd.DataFrame) -> list[str]:
    """Model columns of a long forecast frame (no ids, dates, actuals or interval bounds)."""
    return [c for c in forecasts.columns
            if c not in _NOT_MODELS and "-lo-" not in c and "-hi-" not in c]


def widest_interval(frame: pd.DataFrame, model: str) -> tuple[str, str] | None:
    """The (lo, hi) column names of ``model``'s widest interval, if it has any."""
    lo = [c for c in frame.columns if c.startswith(f"{model}-lo-")]
    if not lo:
        return None
    widest = max(lo, key=lambda c: float(c.rsplit("-", 1)[1]))
    return widest, widest.replace("-lo-", "-hi-")


def _frame(data: SeriesFrame | pd.DataFrame) -> pd.DataFrame:
    return data.frame if isinstance(data, SeriesFrame) else data


def _rows(frame: pd.DataFrame | None, uid: Any) -> pd.DataFrame | None:
    if frame is None:
        return None
    return frame[frame["unique_id"] == uid]


def draw_series(
    ax: Axes,
    history: pd.DataFrame,
    forecasts: pd.DataFrame | None,
    models: list[str],
    fitted: pd.DataFrame | None = None,
    actuals: pd.DataFrame | None = None,
    colours: dict[str, str] | None = None,
    intervals: str | None = None,
) -> None:
    """Draw one series' panel on ``ax`` (all frames already restricted to that series);
    ``intervals`` names the bands' method in the legend (e.g. ``"conformal"``)."""
    colours = colours or {m: COLOURS[k % len(COLOURS)] for k, m in enumerate(models)}
    ax.plot(history["ds"], history["y"], color=HISTORY_COLOUR, lw=1.2, label="history")
    if len(history):
        ax.axvline(history["ds"].iloc[-1], color="grey", lw=0.9, ls="--")
    if actuals is not None and len(actuals):
        # Join the last history point so the actual line continues the history.
        joined = pd.concat([history[["ds", "y"]].iloc[-1:], actuals[["ds", "y"]]])
        ax.plot(joined["ds"], joined["y"], color=HISTORY_COLOUR, lw=1.2, ls=":",
                label="actual (test)")
    for model in models:
        colour = colours[model]
        if fitted is not None and model in fitted and len(fitted):
            ax.plot(fitted["ds"], fitted[model], color=colour, lw=0.9, alpha=0.65,
                    label=f"{model} in-sample")
        if forecasts is None or model not in forecasts:
            continue
        ax.plot(forecasts["ds"], forecasts[model], color=colour, lw=1.6, label=model)
        band = widest_interval(forecasts, model)
        if band is not None:
            level = band[0].rsplit("-", 1)[1]
            method = f" {intervals}" if intervals else ""
            ax.fill_between(forecasts["ds"], forecasts[band[0]], forecasts[band[1]],
                            color=colour, alpha=0.15, lw=0, label=f"{model} {level}%{method}")
    style_axes(ax)


def plot_forecast(
    history: SeriesFrame | pd.DataFrame,
    forecasts: pd.DataFrame | None,
    path: str | Path | None = None,
    max_series: int = 12,
    last: int | None = None,
    actuals: pd.DataFrame | None = None,
    fitted: pd.DataFrame | None = None,
    ids: list[Any] | None = None,
    cols: int = 3,
    title: str | None = None,
    panel_size: tuple[float, float] = (5.4, 3.3),
    intervals: str | None = None,
) -> Figure:
    """Plot each series' history, in-sample fit, every model's forecast and widest interval.

    Args:
        history: the data the models were fitted on (the training part).
        forecasts: long forecasts (``unique_id``, ``ds``, one column per model, optional
            ``<model>-lo-<level>`` / ``-hi-`` columns).
        path: write the figure there (PNG or SVG by suffix) when given.
        max_series: at most this many panels (the first series, or ``ids``).
        last: show only the last ``last`` history points (and fitted values) of each series.
        actuals: the true future values (``unique_id``, ``ds``, ``y``), e.g. a test part.
        fitted: in-sample one-step predictions (``unique_id``, ``ds``, one column per model).
        ids: which series to draw (default: the first ``max_series``).
        cols: panels per row of the grid.
        title: figure title.
        panel_size: width and height of one panel in inches.
        intervals: the bands' method, said in the legend and the title (default: the
            forecasts' ``attrs["intervals"]``, which conformal forecasts set).
    """
    if intervals is None and forecasts is not None:
        intervals = forecasts.attrs.get("intervals")
    hist = _frame(history)
    all_ids = list(pd.unique(hist["unique_id"]))
    chosen = list(ids) if ids is not None else all_ids[:max_series]
    chosen = chosen[:max_series]
    ncols = max(1, min(cols, len(chosen)))
    nrows = max(1, math.ceil(len(chosen) / ncols))
    fig = new_figure(panel_size[0] * ncols, panel_size[1] * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    models = forecast_columns(forecasts) if forecasts is not None else []
    if fitted is not None:
        models += [m for m in forecast_columns(fitted) if m not in models]
    colours = {m: COLOURS[k % len(COLOURS)] for k, m in enumerate(models)}
    for ax, uid in zip(axes, chosen, strict=False):
        h = _rows(hist, uid)
        assert h is not None
        start = h["ds"].iloc[-last] if last is not None and len(h) > last else None
        if start is not None:
            h = h[h["ds"] >= start]
        f = _rows(fitted, uid)
        if f is not None and start is not None:
            f = f[f["ds"] >= start]
        draw_series(ax, h, _rows(forecasts, uid), models, f, _rows(actuals, uid), colours,
                    intervals)
        if len(chosen) > 1 or title is None:
            ax.set_title(str(uid), fontsize=10)
    for ax in axes[len(chosen):]:
        ax.set_visible(False)
    if len(chosen):
        axes[0].legend(fontsize=7, loc="best", framealpha=0.85)
    shown = f" (first {len(chosen)} of {len(all_ids)} series)" if len(all_ids) > len(chosen) else ""
    if intervals:
        shown += f", {intervals} intervals" if title or shown else f"{intervals} intervals"
    if title or shown:
        fig.suptitle(f"{title or ''}{shown}".strip(), fontsize=11)
    apply_fonts(fig)
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_forecast_grid(
    history: SeriesFrame | pd.DataFrame,
    forecasts: pd.DataFrame | None,
    path: str | Path | None = None,
    max_series: int = 24,
    cols: int = 4,
    **kwargs: Any,
) -> Figure:
    """Small multiples for many series: ``plot_forecast`` with more, smaller panels."""
    kwargs.setdefault("panel_size", (4.0, 2.6))
    return plot_forecast(history, forecasts, path, max_series=max_series, cols=cols, **kwargs)
