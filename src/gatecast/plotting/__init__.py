"""Figures (matplotlib, object API only: no pyplot, no change to global state).

Every function returns a :class:`matplotlib.figure.Figure` and writes it as PNG or SVG
(by suffix) when given a ``path``.
"""

from gatecast.plotting.errors import errors_by_step, plot_errors_by_step
from gatecast.plotting.forecast import plot_forecast, plot_forecast_grid
from gatecast.plotting.leaderboard import plot_leaderboard
from gatecast.plotting.style import save_figure
from gatecast.plotting.training import plot_loss_curves

__all__ = [
    "errors_by_step",
    "plot_errors_by_step",
    "plot_forecast",
    "plot_forecast_grid",
    "plot_leaderboard",
    "plot_loss_curves",
    "save_figure",
]
