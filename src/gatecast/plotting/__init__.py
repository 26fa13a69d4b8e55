"""Figures (matplotlib, object API only: no pyplot, no change to global state).

Every function returns a :class:`matplotlib.figure.Figure` and writes it as PNG or SVG
(by suffix) when given a ``path``.
"""

from gatecast.plotting.diagnostics import (
    plot_cross_correlation,
    plot_residual_acf,
    plot_skill,
)
from gatecast.plotting.errors import errors_by_step, plot_errors_by_step
from gatecast.plotting.forecast import plot_forecast, plot_forecast_grid
from gatecast.plotting.frames import plot_frames
from gatecast.plotting.gradients import plot_gradient_flow
from gatecast.plotting.leaderboard import plot_leaderboard
from gatecast.plotting.style import save_figure
from gatecast.plotting.training import plot_loss_curves

__all__ = [
    "errors_by_step",
    "plot_cross_correlation",
    "plot_errors_by_step",
    "plot_forecast",
    "plot_forecast_grid",
    "plot_frames",
    "plot_gradient_flow",
    "plot_leaderboard",
    "plot_loss_curves",
    "plot_residual_acf",
    "plot_skill",
    "save_figure",
]
