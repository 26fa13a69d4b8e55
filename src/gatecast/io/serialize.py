"""Saving fitted forecasters as ``config.json`` + ``weights.safetensors`` (never pickle).

``config.json`` holds the class path, the constructor parameters and the fitted metadata
(series ids, frequency, last timestamps); every learned array goes into safetensors.
Loading imports only classes inside the ``gatecast`` package, so a model file cannot
make Python run arbitrary code.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from gatecast import __version__
from gatecast.data.freq import Freq, parse_freq, stamps_from_text, stamps_to_text
from gatecast.errors import ConfigError, DataError

CONFIG = "config.json"
WEIGHTS = "weights.safetensors"
FORMAT = 1


def freq_to_json(freq: Freq) -> str | int:
    return freq if isinstance(freq, int) else freq.freqstr


def ds_to_json(ds: np.ndarray) -> list[Any]:
    return stamps_to_text(ds)  # a zone is kept: 2024-03-10T03:00:00-04:00[America/New_York]


def ds_from_json(values: list[Any], freq: Freq) -> np.ndarray:
    return stamps_from_text(values, freq)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
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


def flatten(tree: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:
    """Split a nested state into a JSON skeleton and named arrays (no pickle).

    Dicts with string keys, lists, tuples, numbers, strings, booleans and None go into the
    skeleton; every numpy array is stored in ``arrays`` under a dotted path and replaced by
    ``{"__array__": path}``. Anything else is refused with a clear error.
    """
    if isinstance(tree, np.ndarray):
        if tree.dtype == object:
            return {"__list__": [flatten(v, arrays, f"{prefix}.{i}")
                                 for i, v in enumerate(tree.tolist())]}
        arrays[prefix] = tree
        return {"__array__": prefix}
    if isinstance(tree, dict):
        if not all(isinstance(k, str) for k in tree):
            raise ConfigError(f"cannot save state at {prefix}: dict keys must be strings")
        return {"__dict__": {k: flatten(v, arrays, f"{prefix}.{k}") for k, v in tree.items()}}
    if isinstance(tree, (list, tuple)):
        key = "__tuple__" if isinstance(tree, tuple) else "__list__"
        return {key: [flatten(v, arrays, f"{prefix}.{i}") for i, v in enumerate(tree)]}
    if isinstance(tree, np.generic):
        return tree.item()
    if tree is None or isinstance(tree, (bool, int, float, str)):
        if isinstance(tree, float) and not np.isfinite(tree):
            return {"__float__": str(tree)}
        return tree
    raise ConfigError(f"cannot save state at {prefix}: values of type {type(tree).__name__}")


def unflatten(skeleton: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`flatten`."""
    if isinstance(skeleton, dict):
        if "__array__" in skeleton:
            return arrays[skeleton["__array__"]]
        if "__dict__" in skeleton:
            return {k: unflatten(v, arrays) for k, v in skeleton["__dict__"].items()}
        if "__list__" in skeleton:
            return [unflatten(v, arrays) for v in skeleton["__list__"]]
        if "__tuple__" in skeleton:
            return tuple(unflatten(v, arrays) for v in skeleton["__tuple__"])
        if "__float__" in skeleton:
            return float(skeleton["__float__"])
    return skeleton


def series_meta(model: Any) -> dict[str, Any]:
    """The fitted series' ids, frequency and last timestamps, as JSON."""
    return {
        "series": np.asarray(model.series_, dtype=object).tolist(),
        "freq": freq_to_json(model.freq_),
        "last_ds": ds_to_json(model.last_ds_),
    }


def restore_series_meta(model: Any, fitted: dict[str, Any]) -> None:
    """Inverse of :func:`series_meta`: set ``series_``, ``freq_`` and ``last_ds_``."""
    freq = parse_freq(fitted["freq"])
    model.series_ = np.asarray(fitted["series"], dtype=object)
    model.freq_ = freq
    model.last_ds_ = ds_from_json(fitted["last_ds"], freq)


def save_local(model: Any, path: str | Path) -> Path:
    """Save a fitted :class:`LocalForecaster`: metadata as JSON, learned arrays as safetensors.

    Each partition's state goes through the model's ``_state_to_tree`` hook (identity by
    default) and :func:`flatten`.
    """
    model._check_fitted()
    arrays: dict[str, np.ndarray] = {}
    skeletons = []
    for k, state in enumerate(model.states_):
        skeletons.append(flatten(model._state_to_tree(state), arrays, f"state.{k}"))
        arrays[f"partition.{k}"] = model.partitions_[k]
    fitted = {
        **series_meta(model),
        "lengths": np.asarray(model.lengths_).tolist(),
        "states": skeletons,
    }
    return write_model(path, model, fitted, arrays)


def load_local(path: str | Path) -> Any:
    """Rebuild a forecaster saved by :func:`save_local`."""
    cls, params, fitted, arrays = read_model(path)
    model = cls(**params)
    restore_series_meta(model, fitted)
    model.lengths_ = np.asarray(fitted["lengths"], dtype=np.int64)
    n = len(fitted["states"])
    model.partitions_ = [arrays[f"partition.{k}"] for k in range(n)]
    model.states_ = [model._state_from_tree(unflatten(sk, arrays)) for sk in fitted["states"]]
    return model


def load(path: str | Path) -> Any:
    """Load any saved gatecast model (the class named in its ``config.json`` rebuilds it)."""
    cls, _, _, _ = read_model(path)
    return cls.load(path)
