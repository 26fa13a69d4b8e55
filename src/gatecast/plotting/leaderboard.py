"""Leaderboard bars: one bar per model for one metric, the naive baselines in grey."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gatecast.errors import ConfigError
from gatecast.plotting.style import (
    BASELINE_COLOUR,
    COLOURS,
    apply_fonts,
    new_figure,
    save_figure,
    style_axes,
)

BASELINES = ("naive", "snaive", "naive2", "drift", "mean")
_HIGHER_IS_BETTER = ("r2",)


def plot_leaderboard(
    board: pd.DataFrame,
    metric: str | None = None,
    path: str | Path | None = None,
    baselines: tuple[str, ...] = BASELINES,
    title: str | None = None,
) -> Figure:
    """Horizontal bars of ``metric`` (default: the board's first column), best at the top.

    Baseline models are grey and a dotted line marks the naive forecast's score, so a model
    that does not beat it is visible at a glance.
    """
    if metric is None:
        metric = str(board.columns[0])
    if metric not in board.columns:
        raise ConfigError(f"metric {metric!r} is not in the leaderboard; it has"
                          f" {', '.join(map(str, board.columns))}")
    scores = board[metric].astype(float).dropna()
    if scores.empty:
        raise ConfigError(f"the leaderboard has no {metric} scores to plot")
    ascending = metric not in _HIGHER_IS_BETTER
    scores = scores.sort_values(ascending=not ascending, kind="stable")  # best drawn on top
    names = [str(i) for i in scores.index]
    colours = [BASELINE_COLOUR if n in baselines else COLOURS[0] for n in names]
    fig = new_figure(6.4, 0.9 + 0.38 * len(names))
    ax = fig.subplots()
    y = np.arange(len(names))
    ax.barh(y, scores.to_numpy(), color=colours, height=0.65)
    ax.set_yticks(y, names, fontsize=8)
    span = float(np.nanmax(np.abs(scores.to_numpy()))) or 1.0
    for yi, value in zip(y, scores.to_numpy(), strict=True):
        ax.text(value + 0.01 * span, yi, f"{value:.4g}", va="center", fontsize=7)
    if "naive" in scores.index:
        ax.axvline(float(scores["naive"]), color=BASELINE_COLOUR, ls=":", lw=1.0)
    ax.set_xlabel(f"{metric} ({'higher' if metric in _HIGHER_IS_BETTER else 'lower'} is better)",
                  fontsize=9)
    ax.set_title(title or f"leaderboard: {metric}", fontsize=10)
    ax.set_xlim(right=float(np.nanmax(scores.to_numpy())) + 0.12 * span)
    style_axes(ax)
    ax.grid(False, axis="y")
    apply_fonts(fig)
    if path is not None:
        save_figure(fig, path)
    return fig
