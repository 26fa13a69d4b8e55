"""Saving fitted forecasters as ``config.json`` + ``weights.safetensors`` (never pickle).

``config.json`` holds the class path, the constructor parameters and the fitted metadata
(series ids, frequency, last timestamps); every learned array goes into safetensors.
Loading checks the file as untrusted input (:mod:`gatecast.io.model_file`): it resolves
only the classes of gatecast's registry, bounds every size before building, and reads
tensors from safetensors only, so a model file cannot make Python run arbitrary code.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file

from gatecast._version import __version__
from gatecast.checks import MAX_SEASON_LENGTH
from gatecast.data.freq import Freq, parse_freq, stamps_from_text, stamps_to_text
from gatecast.errors import ConfigError
from gatecast.io.model_file import (
    CONFIG,
    FORMAT,
    WEIGHTS,
    bounded,
    expect_type,
    fail,
    read_arrays,
    read_config,
    reading,
    resolve_class,
)
from gatecast.io.paths import atomic_write, write_text


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
    weights = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    # weights first: a folder whose config.json is new always has the matching weights
    atomic_write(path / WEIGHTS, lambda tmp: save_file(weights, str(tmp)))
    write_text(path / CONFIG, json.dumps(config, indent=2))
    return path


def read_model(path: str | Path) -> tuple[type, dict[str, Any], dict[str, Any],
                                           dict[str, np.ndarray]]:
    """Read a saved model: ``(class, params, fitted metadata, arrays)``, every part checked
    (see :mod:`gatecast.io.model_file`) before the caller builds anything."""
    path = Path(path)
    config = read_config(path)
    cls = resolve_class(config, path)
    params = config["params"]
    for key, value in params.items():
        if isinstance(value, list):
            params[key] = tuple(value)
    if isinstance(params.get("trainer"), dict):
        # a file does not decide where a later fit writes checkpoints
        params["trainer"] = {**params["trainer"], "checkpoint_dir": None, "resume": False}
    return cls, params, config["fitted"], read_arrays(path)


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


def unflatten(skeleton: Any, arrays: dict[str, np.ndarray],
              used: set[str] | None = None) -> Any:
    """Inverse of :func:`flatten`; the names of the arrays it takes are added to ``used``."""
    if isinstance(skeleton, dict):
        if len(skeleton) != 1:
            raise ValueError(f"state node with keys {sorted(skeleton)[:4]}")
        (tag, value), = skeleton.items()
        if tag == "__array__":
            if not isinstance(value, str) or value not in arrays:
                raise KeyError(f"state refers to tensor {str(value)[:80]!r}, not in the weights")
            if used is not None:
                used.add(value)
            return arrays[value]
        if tag == "__dict__" and isinstance(value, dict):
            return {k: unflatten(v, arrays, used) for k, v in value.items()}
        if tag in ("__list__", "__tuple__") and isinstance(value, list):
            items = [unflatten(v, arrays, used) for v in value]
            return tuple(items) if tag == "__tuple__" else items
        if tag == "__float__" and value in ("nan", "inf", "-inf"):
            return float(value)
        raise ValueError(f"unknown state node {tag[:40]!r}")
    if isinstance(skeleton, list):
        raise ValueError("state holds an untagged list")
    return skeleton


def series_meta(model: Any) -> dict[str, Any]:
    """The fitted series' ids, frequency and last timestamps (and the season length the fit
    used, for a model that takes one), as JSON."""
    meta = {
        "series": np.asarray(model.series_, dtype=object).tolist(),
        "freq": freq_to_json(model.freq_),
        "last_ds": ds_to_json(model.last_ds_),
    }
    if getattr(model, "season_length_", None) is not None:
        meta["season_length"] = int(model.season_length_)
    return meta


def restore_series_meta(model: Any, fitted: dict[str, Any], file: Path | None = None) -> None:
    """Inverse of :func:`series_meta`: set ``series_``, ``freq_``, ``last_ds_`` and, for a
    model that takes a season length, ``season_length_`` (files written before it was
    stored hold it in the parameters)."""
    where = file or Path(CONFIG)
    season = fitted.get("season_length", getattr(model, "season_length", None))
    if season is not None:
        model.season_length_ = bounded(season, "season_length", where, MAX_SEASON_LENGTH,
                                       minimum=1)
    series = expect_type(fitted["series"], list, "series", where)
    last = expect_type(fitted["last_ds"], list, "last_ds", where)
    if len(series) != len(last) or not all(isinstance(s, (str, int, float)) for s in series):
        raise fail(where, f"{len(series)} series ids for {len(last)} last timestamps")
    freq = parse_freq(expect_type(fitted["freq"], (str, int), "freq", where))
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
    with reading(path):
        cls, params, fitted, arrays = read_model(path)
        file = Path(path) / CONFIG
        if set(fitted) - {"season_length"} != {"series", "freq", "last_ds", "lengths",
                                                "states"}:
            raise fail(file, f"holds a {cls.__name__}, whose fitted keys differ from"
                       f" {sorted(fitted)[:6]}")
        model = cls(**params)
        restore_series_meta(model, fitted, file)
        model.lengths_ = np.asarray(expect_type(fitted["lengths"], list, "lengths", file),
                                    dtype=np.int64)
        states = expect_type(fitted["states"], list, "states", file)
        used = {f"partition.{k}" for k in range(len(states))}
        model.partitions_ = [arrays[f"partition.{k}"] for k in range(len(states))]
        model.states_ = [model._state_from_tree(unflatten(sk, arrays, used)) for sk in states]
        check_all_used(arrays, used, Path(path))
    return model


def check_all_used(arrays: dict[str, np.ndarray], used: set[str], path: Path) -> None:
    extra = sorted(set(arrays) - used)
    if extra:
        raise fail(path / WEIGHTS, f"holds tensors the model does not use: {extra[:3]}")


def load(path: str | Path) -> Any:
    """Load any saved gatecast model (the class named in its ``config.json`` rebuilds it).

    The file is checked before anything is built; every problem is one
    :class:`~gatecast.errors.ModelFileError` naming the file.
    """
    with reading(path):
        cls = resolve_class(read_config(Path(path)), Path(path))
        if not callable(getattr(cls, "load", None)):
            raise fail(Path(path) / CONFIG, f"class {cls.__name__} cannot be loaded")
        return cls.load(path)
