"""The activations a network config may name: a fixed table, never a lookup on ``torch.nn``.

A config names an activation by string (``head_activation="relu"``,
``output_activation="tanh"``); only the names in :data:`ACTIVATIONS` resolve, each to a
parameter-free module, so a config file cannot reach arbitrary code and an activation adds
no weights (the state dict of a network does not depend on its activations).

:data:`RANGES` gives each activation's image ``[low, high]``: an output activation can only
produce values in it, which :func:`outside_share` measures against the training targets.
"""

from __future__ import annotations

import math

import numpy as np
from torch import nn

from gatecast.errors import ConfigError

__all__ = ["ACTIVATIONS", "RANGES", "check_activation", "make_activation", "outside_share"]

#: Name -> module class. Parameter-free only (no PReLU): see the module docstring.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
    "leaky_relu": nn.LeakyReLU,
}

#: Name -> (lowest, highest) value the activation can produce (closed bounds; tanh and
#: sigmoid only approach theirs). Minima: GELU ~ -0.17, SiLU ~ -0.278, SELU -1.7581.
RANGES: dict[str, tuple[float, float]] = {
    "relu": (0.0, math.inf),
    "tanh": (-1.0, 1.0),
    "sigmoid": (0.0, 1.0),
    "gelu": (-0.17, math.inf),
    "elu": (-1.0, math.inf),
    "selu": (-1.7581, math.inf),
    "silu": (-0.2785, math.inf),
    "softplus": (0.0, math.inf),
    "leaky_relu": (-math.inf, math.inf),
}


def check_activation(value: object, name: str, *, optional: bool = False) -> str | None:
    """``value`` if it names an activation of :data:`ACTIVATIONS` (``None`` too when
    ``optional``), else a ConfigError that lists them."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or value not in ACTIVATIONS:
        allowed = ", ".join(ACTIVATIONS) + (" or None" if optional else "")
        raise ConfigError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def make_activation(name: str) -> nn.Module:
    """A fresh module for the activation ``name`` (one of :data:`ACTIVATIONS`)."""
    return ACTIVATIONS[check_activation(name, "activation")]()  # type: ignore[index]


def outside_share(name: str, targets: np.ndarray) -> float:
    """Share of ``targets`` (finite ones) that the activation ``name`` cannot produce."""
    low, high = RANGES[name]
    t = np.asarray(targets, dtype=np.float64)
    t = t[np.isfinite(t)]
    if t.size == 0:
        return 0.0
    return float(np.mean((t < low) | (t > high)))
