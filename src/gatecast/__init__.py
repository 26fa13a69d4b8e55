"""gatecast: forecast time series with recurrent networks, measured honestly.

Quick start::

    import gatecast as gc
    df = gc.datasets.load("airline")
    board, _ = gc.compare([gc.AutoARIMA(season_length=12)], df, h=12, n_windows=3,
                          season_length=12)
"""

from __future__ import annotations

__version__ = "0.1.0"

from gatecast import datasets
from gatecast.data.frame import as_long, from_array, from_wide, read_m4
from gatecast.data.validate import SeriesFrame, validate
from gatecast.errors import ConfigError, DataError, GatecastError
from gatecast.evaluation.backtest import BacktestResult, backtest
from gatecast.evaluation.compare import compare, evaluate, leaderboard
from gatecast.io.serialize import load
from gatecast.models.baselines import (
    Drift,
    HistoricMean,
    Naive,
    Naive2,
    SeasonalNaive,
)
from gatecast.models.registry import make_model

_LAZY = {
    "ARIMA": "gatecast.models.arima",
    "SARIMA": "gatecast.models.arima",
    "AutoARIMA": "gatecast.models.arima",
    "ETS": "gatecast.models.smoothing",
    "Theta": "gatecast.models.smoothing",
    "ARIMAGARCH": "gatecast.models.garch",
    "RecurrentForecaster": "gatecast.models.recurrent",
    "RNN": "gatecast.models.recurrent",
    "LSTM": "gatecast.models.recurrent",
    "GRU": "gatecast.models.recurrent",
    "PeepholeLSTM": "gatecast.models.recurrent",
    "Seq2Seq": "gatecast.models.recurrent",
    "CNNLSTM": "gatecast.models.recurrent",
    "MLP": "gatecast.models.recurrent",
    "TrainerConfig": "gatecast.training.config",
    "Pretrained": "gatecast.pretrained.forecaster",
}


def __getattr__(name: str) -> object:
    # Classical models import StatsForecast and recurrent ones torch (slow): load on use.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gatecast' has no attribute {name!r}")


__all__ = [
    "ARIMA",
    "ARIMAGARCH",
    "CNNLSTM",
    "ETS",
    "GRU",
    "LSTM",
    "MLP",
    "RNN",
    "SARIMA",
    "AutoARIMA",
    "BacktestResult",
    "ConfigError",
    "DataError",
    "Drift",
    "GatecastError",
    "HistoricMean",
    "Naive",
    "Naive2",
    "PeepholeLSTM",
    "RecurrentForecaster",
    "SeasonalNaive",
    "Seq2Seq",
    "SeriesFrame",
    "Theta",
    "TrainerConfig",
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
