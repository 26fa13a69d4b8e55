"""What a forecasting network is: :class:`NetworkConfig`, everything needed to rebuild one.

A config is plain data (``dataclasses.asdict`` gives JSON, :meth:`NetworkConfig.from_dict`
reads it back), checked at construction; :func:`gatecast.nn.networks.build_network` turns
it into an ``nn.Module``. :func:`empty_inputs` makes the zero-width covariate tensors a
config without covariates calls for.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from gatecast.catalog import KINDS
from gatecast.errors import ConfigError
from gatecast.nn.recurrent import CELLS

__all__ = ["KINDS", "NetworkConfig", "empty_inputs"]


def _bad(name: str, value: object, rule: str) -> ConfigError:
    return ConfigError(f"NetworkConfig.{name} must be {rule}, got {value!r}")


@dataclass
class NetworkConfig:
    """Everything needed to rebuild a network; ``dataclasses.asdict`` gives plain JSON.

    ``kind`` is one of :data:`KINDS`. ``input_size`` counts the features per past time step
    (channel 0 is the target). ``horizon`` is the number of steps each forward pass emits (1
    for recursive use). ``n_outputs`` is the number of outputs per step (quantiles).
    ``future_size`` / ``static_size`` are the widths of the known-future and static
    covariates. With ``patch_size`` P > 1 the window is cut into look_back/P steps of
    P*input_size features before the recurrent encoder: P times fewer sequential steps,
    which is where the time goes (``look_back`` must be divisible by P; the MLP ignores P).
    ``head_layers`` hidden ReLU layers of width ``head_hidden`` form the MLP head (0 = one
    linear layer). ``cell`` is the recurrent cell of "seq2seq" and "cnn-lstm" (the other
    recurrent kinds are their own cell); ``conv_*`` shape the causal convolutions of
    "cnn-lstm". ``dropout`` acts between recurrent layers and after hidden head layers.
    """

    kind: str
    input_size: int
    look_back: int
    horizon: int
    hidden_size: int = 128
    num_layers: int = 2
    dropout: float = 0.0
    n_outputs: int = 1
    future_size: int = 0
    static_size: int = 0
    patch_size: int = 1
    head_hidden: int = 128
    head_layers: int = 2
    cell: str = "lstm"
    conv_channels: int = 32
    conv_layers: int = 2
    conv_kernel: int = 3
    skip_period: int = 0

    # minimum value of every integer field
    _INT_MINIMUM: ClassVar[dict[str, int]] = {
        "input_size": 1, "look_back": 1, "horizon": 1, "hidden_size": 1, "num_layers": 1,
        "n_outputs": 1, "future_size": 0, "static_size": 0, "patch_size": 1,
        "head_hidden": 1, "head_layers": 0, "conv_channels": 1, "conv_layers": 1,
        "conv_kernel": 1, "skip_period": 0,
    }

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise _bad("kind", self.kind, f"one of {', '.join(KINDS)}")
        if self.cell not in CELLS:
            raise _bad("cell", self.cell, f"one of {', '.join(CELLS)}")
        for name, minimum in self._INT_MINIMUM.items():
            value = getattr(self, name)
            # bool is an int subclass but True as a size is always a mistake
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise _bad(name, value, "an integer")
            if value < minimum:
                raise _bad(name, value, f">= {minimum}")
            # numpy integers would survive here but break json.dumps(asdict(config))
            setattr(self, name, int(value))
        dropout = self.dropout
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
            raise _bad("dropout", dropout, "a number in [0, 1)")
        if not (math.isfinite(dropout) and 0.0 <= dropout < 1.0):
            raise _bad("dropout", dropout, "in [0, 1)")
        self.dropout = float(dropout)
        if self.skip_period > self.look_back:
            raise ConfigError(
                f"NetworkConfig.skip_period ({self.skip_period}) must be <= look_back"
                f" ({self.look_back}): the baseline repeats the window's last skip_period"
                " values"
            )
        if self.look_back % self.patch_size:
            raise ConfigError(
                f"NetworkConfig.look_back ({self.look_back}) must be divisible by patch_size "
                f"({self.patch_size}); pick a patch size that divides it or pad the window"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NetworkConfig:
        """Rebuild from ``dataclasses.asdict`` output, with a ConfigError for unknown keys."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown NetworkConfig field(s): {', '.join(unknown)}")
        return cls(**data)


def empty_inputs(
    config: NetworkConfig,
    batch: int,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor]:
    """``(future [batch, horizon, future_size], static [batch, static_size])`` of zeros.

    With no covariates configured these are the zero-width tensors every network expects.
    """
    future = torch.zeros(batch, config.horizon, config.future_size, dtype=dtype, device=device)
    static = torch.zeros(batch, config.static_size, dtype=dtype, device=device)
    return future, static
