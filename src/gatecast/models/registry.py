"""Stable, lower-case model names for the CLI and configs, resolved lazily.

Importing a model's module only when it is asked for keeps ``gatecast --help`` fast and
lets optional dependencies fail with a clear message instead of at import time.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from gatecast.errors import ConfigError

MODELS: dict[str, str] = {
    "naive": "gatecast.models.baselines:Naive",
    "snaive": "gatecast.models.baselines:SeasonalNaive",
    "drift": "gatecast.models.baselines:Drift",
    "mean": "gatecast.models.baselines:HistoricMean",
    "naive2": "gatecast.models.baselines:Naive2",
    "arima": "gatecast.models.arima:ARIMA",
    "sarima": "gatecast.models.arima:SARIMA",
    "autoarima": "gatecast.models.arima:AutoARIMA",
    "ets": "gatecast.models.smoothing:ETS",
    "theta": "gatecast.models.smoothing:Theta",
    "arima-garch": "gatecast.models.garch:ARIMAGARCH",
    "rnn": "gatecast.models.recurrent:RNN",
    "lstm": "gatecast.models.recurrent:LSTM",
    "gru": "gatecast.models.recurrent:GRU",
    "peephole": "gatecast.models.recurrent:PeepholeLSTM",
    "seq2seq": "gatecast.models.recurrent:Seq2Seq",
    "cnn-lstm": "gatecast.models.recurrent:CNNLSTM",
    "mlp": "gatecast.models.recurrent:MLP",
    "pretrained": "gatecast.pretrained.forecaster:Pretrained",
}
RECURRENT = ("rnn", "lstm", "gru", "peephole", "seq2seq", "cnn-lstm", "mlp")


def model_class(name: str) -> type:
    """The class behind a CLI name (``"autoarima"``) or a dotted ``module:Class`` path."""
    target = MODELS.get(name.lower(), name if ":" in name else None)
    if target is None:
        raise ConfigError(
            f"unknown model {name!r}; choose from {', '.join(sorted(MODELS))}"
        )
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)


def accepts(cls: type, param: str) -> bool:
    return dataclasses.is_dataclass(cls) and param in {f.name for f in dataclasses.fields(cls)}


SHARED = ("season_length", "horizon", "n_jobs", "trainer")


def make_model(name: str, **params: Any) -> Any:
    """Build a model by name.

    The shared settings ``season_length``, ``horizon``, ``n_jobs`` and ``trainer`` are
    passed only to models that take them (and dropped when ``None``); any other unknown
    parameter is an error.
    """
    cls = model_class(name)
    for key in SHARED:
        if key in params and (params[key] is None or not accepts(cls, key)):
            params.pop(key)
    unknown = [k for k in params if not accepts(cls, k)]
    if unknown:
        raise ConfigError(f"model {name!r} has no parameter(s) {unknown}")
    model = cls(**params)
    if accepts(cls, "alias") and getattr(model, "alias", None) is None:
        model.alias = name.lower() if name.lower() in MODELS else None
    return model
