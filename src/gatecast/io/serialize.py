"""Saving fitted forecasters as ``config.json`` + ``weights.safetensors`` (never pickle).

``config.json`` holds the class path, the constructor parameters and the fitted metadata
(series ids, frequency, last timestamps); every learned array goes into safetensors.
Loading imports only classes inside the ``gatecast`` package, so a model file cannot
make Python run arbitrary code.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from safetensors.numpy import load_file, save_file

from gatecast import __version__
from gatecast.data.freq import Freq, parse_freq
from gatecast.errors import ConfigError, DataError

CONFIG = "config.json"
WEIGHTS = "weights.safetensors"
FORMAT = 1


def freq_to_json(freq: Freq) -> str | int:
    return freq if isinstance(freq, int) else freq.freqstr


def ds_to_json(ds: np.ndarray) -> list[Any]:
    if np.issubdtype(ds.dtype, np.datetime64):
        return [str(v) for v in pd.DatetimeIndex(ds).strftime("%Y-%m-%dT%H:%M:%S.%f")]
    return np.asarray(ds).tolist()


def ds_from_json(values: list[Any], freq: Freq) -> np.ndarray:
    if isinstance(freq, int):
        return np.asarray(values, dtype=np.int64)
    return pd.DatetimeIndex(pd.to_datetime(values)).to_numpy()


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_model(path: str | Path, obj: Any, fitted: dict[str, Any],
                arrays: dict[str, np.ndarray]) -> Path:
    """Write ``config.json`` and ``weights.safetensors`` into the directory ``path``."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    cls = type(obj)
    config = {
        "format": FORMAT,
        "gatecast_version": __version__,
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "params": {k: _jsonable(v) for k, v in obj.get_params().items()},
        "fitted": fitted,
    }
    (path / CONFIG).write_text(json.dumps(config, indent=2))
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(path / WEIGHTS))
    return path


def read_model(path: str | Path) -> tuple[type, dict[str, Any], dict[str, Any],
                                           dict[str, np.ndarray]]:
    """Read a saved model: ``(class, params, fitted metadata, arrays)``."""
    path = Path(path)
    if not (path / CONFIG).is_file():
        raise DataError(f"no saved gatecast model at {path} (missing {CONFIG})")
    try:
        config = json.loads((path / CONFIG).read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{path / CONFIG} is not valid JSON: {exc.msg}") from exc
    module, _, name = str(config.get("class", "")).partition(":")
    if not module.startswith("gatecast."):
        raise ConfigError(f"{path / CONFIG} names class {config.get('class')!r} outside gatecast")
    cls = getattr(importlib.import_module(module), name)
    params = config["params"]
    for key, value in params.items():
        if isinstance(value, list):
            params[key] = tuple(value)
    arrays = load_file(str(path / WEIGHTS)) if (path / WEIGHTS).is_file() else {}
    return cls, params, config["fitted"], arrays


def save_local(model: Any, path: str | Path) -> Path:
    """Save a fitted :class:`LocalForecaster` whose partition states are dicts of arrays."""
    model._check_fitted()
    arrays: dict[str, np.ndarray] = {}
    for k, state in enumerate(model.states_):
        if not isinstance(state, dict) or not all(
            isinstance(v, np.ndarray) for v in state.values()
        ):
            raise ConfigError(
                f"{model.name} cannot be saved to safetensors yet; refit it from the data"
            )
        for key, value in state.items():
            arrays[f"state.{k}.{key}"] = value
        arrays[f"partition.{k}"] = model.partitions_[k]
    fitted = {
        "series": np.asarray(model.series_, dtype=object).tolist(),
        "freq": freq_to_json(model.freq_),
        "last_ds": ds_to_json(model.last_ds_),
        "lengths": np.asarray(model.lengths_).tolist(),
        "n_partitions": len(model.states_),
    }
    return write_model(path, model, fitted, arrays)


def load_local(path: str | Path) -> Any:
    """Rebuild a forecaster saved by :func:`save_local`."""
    cls, params, fitted, arrays = read_model(path)
    model = cls(**params)
    freq = parse_freq(fitted["freq"])
    model.series_ = np.asarray(fitted["series"], dtype=object)
    model.freq_ = freq
    model.last_ds_ = ds_from_json(fitted["last_ds"], freq)
    model.lengths_ = np.asarray(fitted["lengths"], dtype=np.int64)
    model.partitions_ = [arrays[f"partition.{k}"] for k in range(fitted["n_partitions"])]
    model.states_ = []
    for k in range(fitted["n_partitions"]):
        prefix = f"state.{k}."
        model.states_.append(
            {key[len(prefix):]: v for key, v in arrays.items() if key.startswith(prefix)}
        )
    return model


def load(path: str | Path) -> Any:
    """Load any saved gatecast model (the class named in its ``config.json`` rebuilds it)."""
    cls, _, _, _ = read_model(path)
    return cls.load(path)
