"""gatecast: forecast time series with recurrent networks, measured honestly.

Quick start::

    import gatecast as gc
    df = gc.datasets.load("airline")
    board, _ = gc.compare([gc.AutoARIMA(season_length=12)], df, h=12, n_windows=3,
                          season_length=12)
"""

from __future__ import annotations

import importlib

from gatecast import datasets
from gatecast._version import __version__ as __version__
from gatecast.catalog import exports
from gatecast.data.frame import as_long, from_array, from_wide, read_m4
from gatecast.data.validate import SeriesFrame, validate
from gatecast.errors import ConfigError, DataError, GatecastError
from gatecast.evaluation.backtest import BacktestResult, backtest
from gatecast.evaluation.compare import compare, evaluate, leaderboard
from gatecast.io.serialize import load
from gatecast.models.registry import make_model

# Every model class is loaded on first use (StatsForecast and torch are slow to import);
# the names come from the one registry, gatecast.catalog.
_LAZY = {**exports(), "TrainerConfig": "gatecast.training.config",
         "forecast": "gatecast.evaluation.forecast",
         "ConformalConfig": "gatecast.evaluation.conformal"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gatecast' has no attribute {name!r}")


__all__ = [
    "BacktestResult",
    "ConfigError",
    "DataError",
    "GatecastError",
    "SeriesFrame",
    "as_long",
    "backtest",
    "compare",
    "datasets",
    "evaluate",
    "from_array",
    "from_wide",
    "leaderboard",
    "load",
    "make_model",
    "read_m4",
    "validate",
]
__all__ += sorted(_LAZY)
