"""Figures (matplotlib, object API only: no pyplot, no change to global state)."""

from gatecast.plotting.forecast import plot_forecast

__all__ = ["plot_forecast"]
