"""Build models by name: ``make_model("lstm", hidden_size=64)``.

The names, and the classes behind them, live in :mod:`gatecast.catalog` (the one registry;
third-party models join through the ``gatecast.models`` entry-point group). A model's
module is imported only when it is asked for, which keeps ``gatecast --help`` fast and lets
optional dependencies fail with a clear message instead of at import time.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from gatecast.catalog import KINDS, MODELS, model_class, names
from gatecast.errors import ConfigError

__all__ = ["MODELS", "RECURRENT", "SHARED", "accepts", "make_model", "model_class", "names"]

#: Names of the recurrent forecasters (one per network kind).
RECURRENT: tuple[str, ...] = KINDS


def accepts(cls: type, param: str) -> bool:
    """Whether ``cls(param=...)`` is accepted: a dataclass field, or one of the names a
    class with flat keywords over grouped specs lists in ``parameter_names()``."""
    names = getattr(cls, "parameter_names", None)
    if callable(names):
        return param in names()
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
        model.alias = name.lower()
    return model
