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
from gatecast.checks import MAX_LAYERS, SIZE_LIMITS, whole_number
from gatecast.errors import ConfigError
from gatecast.nn.activations import check_activation
from gatecast.nn.recurrent import CELLS

__all__ = ["KINDS", "NetworkConfig", "check_stack", "check_widths", "empty_inputs"]


def _bad(name: str, value: object, rule: str) -> ConfigError:
    return ConfigError(f"NetworkConfig.{name} must be {rule}, got {value!r}")


def check_widths(value: Any, name: str, count: Any, count_name: str, prefix: str = ""
                 ) -> tuple[int, ...]:
    """Per-layer widths ``value`` (a list or tuple) as a tuple of bounded whole numbers.

    At most :data:`~gatecast.checks.MAX_LAYERS` widths, each in ``[1, SIZE_LIMITS[name]]``;
    when ``count`` (the layer count, ``count_name``) is given it must equal their number.
    """
    if not value:
        fix = "; use head_layers=0 for a linear head" if name == "head_hidden" else ""
        raise ConfigError(f"{prefix}{name}={value!r} names no layer: give a width or one width"
                          f" per layer{fix}")
    if len(value) > MAX_LAYERS:
        raise ConfigError(f"{prefix}{name} names {len(value)} layers, above gatecast's limit"
                          f" of {MAX_LAYERS}")
    widths = tuple(whole_number(w, f"{prefix}{name}[{k}]", maximum=SIZE_LIMITS[name])
                   for k, w in enumerate(value))
    if count is not None and count != len(widths):
        raise ConfigError(
            f"{prefix}{name}={widths} names {len(widths)} layer(s) but {prefix}{count_name}"
            f"={count!r}; give one width per layer, or leave {count_name} out (it is then"
            f" the number of widths)")
    return widths


def check_stack(kind: str, hidden_size: Any, head_hidden: Any, prefix: str = "") -> None:
    """Refuse per-layer widths a network ``kind`` has no layers for."""
    if kind == "mlp" and isinstance(hidden_size, (list, tuple)):
        raise ConfigError(f"{prefix}hidden_size={tuple(hidden_size)}: the mlp has no recurrent"
                          " layers; give its layer widths as head_hidden")
    if kind == "seq2seq" and isinstance(head_hidden, (list, tuple)):
        raise ConfigError(f"{prefix}head_hidden={tuple(head_hidden)}: seq2seq's head is one"
                          " linear layer per decoder step, it has no hidden head layers")


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
    ``hidden_size`` is one width for all ``num_layers`` recurrent layers, or a tuple of
    per-layer widths (``num_layers``: its length; equal widths are stored as one int, the
    same network). ``head_layers`` hidden layers of width ``head_hidden`` (likewise an int
    or per-layer widths) with ``head_activation`` between them form the MLP head (0 = one
    linear layer); ``output_activation`` (``None``: none) acts on the network's output,
    before a ``skip_period`` baseline is added. Activations are named from
    :data:`gatecast.nn.activations.ACTIVATIONS`. ``cell`` is the recurrent cell of "seq2seq"
    and "cnn-lstm" (the other recurrent kinds are their own cell); ``conv_*`` shape the
    causal convolutions of "cnn-lstm". ``dropout`` acts between recurrent layers and after
    hidden head layers.
    """

    kind: str
    input_size: int
    look_back: int
    horizon: int
    hidden_size: int | tuple[int, ...] = 128
    num_layers: int | None = None  # None: len(hidden_size) for per-layer widths, else 2
    dropout: float = 0.0
    n_outputs: int = 1
    future_size: int = 0
    static_size: int = 0
    patch_size: int = 1
    head_hidden: int | tuple[int, ...] = 128
    head_layers: int | None = None  # None: len(head_hidden) for per-layer widths, else 2
    cell: str = "lstm"
    conv_channels: int = 32
    conv_layers: int = 2
    conv_kernel: int = 3
    skip_period: int = 0
    head_activation: str = "relu"
    output_activation: str | None = None

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
        self._resolve_widths()
        for name, minimum in self._INT_MINIMUM.items():
            value = getattr(self, name)
            if isinstance(value, tuple):  # per-layer widths, checked by _resolve_widths
                continue
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
        check_activation(self.head_activation, "NetworkConfig.head_activation")
        check_activation(self.output_activation, "NetworkConfig.output_activation",
                         optional=True)
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

    def _resolve_widths(self) -> None:
        """Per-layer widths checked, the layer counts they imply filled in (``None``: their
        length, else 2); equal widths become one int, which builds the same network."""
        check_stack(self.kind, self.hidden_size, self.head_hidden, "NetworkConfig.")
        for size, count in (("hidden_size", "num_layers"), ("head_hidden", "head_layers")):
            value, layers = getattr(self, size), getattr(self, count)
            if isinstance(value, (list, tuple)):
                value = check_widths(value, size, layers, count, "NetworkConfig.")
                layers = len(value)
                value = value[0] if len(set(value)) == 1 else value
            setattr(self, size, value)
            setattr(self, count, 2 if layers is None else layers)

    @property
    def layer_widths(self) -> tuple[int, ...]:
        """The recurrent layers' widths, first to last."""
        h = self.hidden_size
        return h if isinstance(h, tuple) else (h,) * self.num_layers  # type: ignore[operator]

    @property
    def head_widths(self) -> tuple[int, ...]:
        """The head's hidden layers' widths (empty: one linear layer)."""
        h = self.head_hidden
        return h if isinstance(h, tuple) else (h,) * self.head_layers  # type: ignore[operator]

    def summary(self) -> str:
        """``lstm 64x1 (head 64x2)``; per-layer widths as ``50-100``, activations other than
        the defaults named (``lstm 50-100 (head 64-32, tanh output)``)."""
        def shape(width: int | tuple[int, ...], layers: int | None) -> str:
            return "-".join(map(str, width)) if isinstance(width, tuple) else f"{width}x{layers}"

        acts = (f", {self.head_activation} between" if self.head_activation != "relu" else ""
                ) + (f", {self.output_activation} output" if self.output_activation else "")
        return (f"{self.kind} {shape(self.hidden_size, self.num_layers)} (head"
                f" {shape(self.head_hidden, self.head_layers)}{acts})")

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
