"""Diagnostics that tell the truth about a forecast: persistence (right-shift), skill against
the naive forecasts, residual whiteness, stationarity and differencing advice, and gradient flow
through time.

Each diagnostic returns a small dataclass with values and a verdict, a table (DataFrame) and,
in :mod:`gatecast.plotting`, a figure. Loaded on first use (statsmodels and torch are slow to
import).
"""

from __future__ import annotations

import importlib

_LAZY = {
    "diagnose_backtest": "gatecast.diagnostics.summary",
    "diagnose_shift": "gatecast.diagnostics.shift",
    "shift_diagnostic": "gatecast.diagnostics.shift",
    "shift_table": "gatecast.diagnostics.shift",
    "diagnose_residuals": "gatecast.diagnostics.residuals",
    "residual_diagnostic": "gatecast.diagnostics.residuals",
    "residual_table": "gatecast.diagnostics.residuals",
    "stationarity_report": "gatecast.data.stationarity",
    "stationarity_table": "gatecast.data.stationarity",
    "recommend_transform": "gatecast.data.stationarity",
    "common_transform": "gatecast.data.stationarity",
    "gradient_flow": "gatecast.diagnostics.gradients",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gatecast.diagnostics' has no attribute {name!r}")
