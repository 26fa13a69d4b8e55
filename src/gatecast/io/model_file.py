"""Reading a saved model as untrusted input: every check happens before anything is built.

A model folder holds ``config.json`` and ``weights.safetensors``. Reading it:

* both must be regular files (no symlinks, devices or folders), ``config.json`` strict
  UTF-8 JSON of bounded size and nesting, with exactly the keys gatecast writes;
* the class it names must be one of :mod:`gatecast.catalog`'s classes (or an installed
  ``gatecast.models`` plugin's): no other module is imported;
* every size (hidden size, layers, look-back, horizon, members, ...) anywhere in the
  parameters or network configs is bounded by :mod:`gatecast.checks` before any network is
  built, and a network's parameter count is estimated on torch's ``meta`` device first;
* tensors come from safetensors only (a folder also holding a pickle is refused), must be
  finite and must match the built network's names, shapes and dtypes exactly.

Every failure is one :class:`~gatecast.errors.ModelFileError` naming the file.
"""

from __future__ import annotations

import contextlib
import json
import numbers
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file

import gatecast.catalog as catalog
from gatecast.checks import SIZE_LIMITS, whole_number
from gatecast.errors import GatecastError, ModelFileError

CONFIG = "config.json"
WEIGHTS = "weights.safetensors"
FORMAT = 1
#: A config.json above this is refused unread (series ids and histories of ~10^6 series fit).
MAX_CONFIG_BYTES = 512 * 2**20
#: Deepest JSON nesting a saved model uses is about 10; deeper is refused before recursion.
MAX_DEPTH = 64
#: Files a gatecast model folder never holds: pickles run code when loaded.
PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth", ".bin", ".joblib", ".ckpt", ".npz")
KEYS = {"format", "gatecast_version", "class", "params", "fitted"}

def fail(file: Path, problem: str) -> ModelFileError:
    return ModelFileError(f"model file {file}: {problem}")


def _regular_file(file: Path) -> None:
    if file.is_symlink():
        raise fail(file, "is a symbolic link; a model file must be a regular file")
    if not file.exists():
        raise fail(file, "is missing")
    if not file.is_file():
        raise fail(file, "is not a regular file")


def check_folder(path: Path) -> None:
    """The folder holds a regular ``config.json`` and no pickle."""
    if not path.is_dir():
        raise ModelFileError(f"no saved gatecast model at {path} (not a folder)")
    _regular_file(path / CONFIG)
    pickles = sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise fail(path, f"holds {pickles[0]!r}; gatecast never writes pickles and refuses"
                   " a folder holding one")


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, iteratively (no recursion on hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def check_sizes(tree: Any, file: Path, where: str = "") -> None:
    """Every size-like key (see :data:`SIZE_LIMITS`) in ``tree`` is a bounded whole number."""
    stack = [(tree, where)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                name = f"{at}.{key}" if at else str(key)
                # a size, or per-layer sizes (hidden_size=[50, 100])
                sizes = value if isinstance(value, list) else [value]
                for size in sizes if key in SIZE_LIMITS else ():
                    if not isinstance(size, numbers.Number):
                        continue
                    try:
                        whole_number(size, name, minimum=0, maximum=SIZE_LIMITS[key])
                    except GatecastError as exc:
                        raise fail(file, str(exc)) from exc
                stack.append((value, name))
        elif isinstance(node, list):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(node))


def read_config(path: Path) -> dict[str, Any]:
    """``config.json`` parsed and checked for shape, nesting and sizes (nothing imported)."""
    file = path / CONFIG
    check_folder(path)
    if file.stat().st_size > MAX_CONFIG_BYTES:
        raise fail(file, f"is {file.stat().st_size:,} bytes, above the limit of"
                   f" {MAX_CONFIG_BYTES:,}")
    try:
        config = json.loads(file.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise fail(file, f"is not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise fail(file, f"is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except (RecursionError, ValueError) as exc:
        raise fail(file, f"cannot be parsed ({type(exc).__name__})") from exc
    if not isinstance(config, dict):
        raise fail(file, f"must hold a JSON object, not {type(config).__name__}")
    if _depth(config) > MAX_DEPTH:
        raise fail(file, f"is nested deeper than {MAX_DEPTH} levels")
    if set(config) != KEYS:
        extra, missing = sorted(set(config) - KEYS), sorted(KEYS - set(config))
        raise fail(file, f"has unexpected keys {extra[:5]}" if extra
                   else f"lacks the keys {missing}")
    if config["format"] != FORMAT or isinstance(config["format"], bool):
        raise fail(file, f"has format {config['format']!r}; this gatecast reads {FORMAT}")
    for key in ("params", "fitted"):
        if not isinstance(config[key], dict):
            raise fail(file, f"'{key}' must be an object, not {type(config[key]).__name__}")
    check_sizes(config["params"], file, "params")
    check_sizes(config["fitted"], file, "fitted")
    return config


def resolve_class(config: dict[str, Any], path: Path) -> type:
    try:
        return catalog.saved_class(config["class"], str(path / CONFIG))
    except ModelFileError:
        raise
    except GatecastError as exc:
        raise ModelFileError(str(exc)) from exc


#: Tensors whose names start so are network weights and must be finite; other arrays (a
#: classical model's state, where StatsForecast marks unused parameters NaN) may not be.
NETWORK_PREFIXES = ("member", "net.", "tails", "cov.")


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The tensors of ``weights.safetensors`` (none when the model has no weights file),
    numeric, network weights finite."""
    file = path / WEIGHTS
    if not file.exists() and not file.is_symlink():
        return {}
    _regular_file(file)
    try:
        arrays = load_file(str(file))
    except Exception as exc:  # safetensors' own errors: a corrupt header or payload
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise fail(file, f"is not a readable safetensors file ({type(exc).__name__}:"
                   f" {first})") from exc
    for name, arr in arrays.items():
        if arr.dtype.kind not in "biuf":
            raise fail(file, f"tensor {name!r} has dtype {arr.dtype}, not a number type")
        if (arr.dtype.kind == "f" and name.startswith(NETWORK_PREFIXES)
                and not np.isfinite(arr).all()):
            raise fail(file, f"tensor {name!r} holds NaN or infinite values")
    return arrays


def bounded(value: Any, name: str, file: Path, maximum: int, minimum: int = 0) -> int:
    if not isinstance(value, numbers.Number):
        raise fail(file, f"{name} must be a number, got {type(value).__name__}")
    try:
        return whole_number(value, name, minimum=minimum, maximum=maximum)
    except GatecastError as exc:
        raise fail(file, str(exc)) from exc


def expect_type(value: Any, kind: type | tuple[type, ...], name: str, file: Path) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise fail(file, f"{name} has type {type(value).__name__}")
    return value


@contextlib.contextmanager
def reading(path: str | Path) -> Iterator[None]:
    """Turn whatever a malformed model file provokes while it is rebuilt into one
    :class:`ModelFileError` naming the folder (a safety net behind the explicit checks)."""
    try:
        yield
    except ModelFileError:
        raise
    except GatecastError as exc:
        raise ModelFileError(f"model file {path}: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError,
            RecursionError, OverflowError, UnicodeError, OSError) as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise ModelFileError(f"model file {path} is malformed ({type(exc).__name__}:"
                             f" {first})") from exc
