"""Parameters of one recurrent layer, in PyTorch's layout, as plain numpy arrays.

PyTorch stores the weights of every gate of a layer stacked along the first axis: ``G``
gate blocks of ``H`` rows each (``G = 1`` for the Elman RNN, ``4`` for the LSTM in the order
i, f, g, o, ``3`` for the GRU in the order r, z, n). :class:`LayerParams` keeps that layout
exactly, so the same numbers move between the numpy reference and ``nn.RNN`` / ``nn.LSTM`` /
``nn.GRU`` without reshaping (:func:`params_from_torch`, :func:`params_to_torch`).

Gradients are returned in the same container: ``grads.weight_hh`` is dL/d(weight_hh).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gatecast.errors import ConfigError

__all__ = [
    "GATES", "LayerParams", "check_grads", "check_sequence", "params_from_torch",
    "params_to_torch", "sigmoid",
]

#: Gate blocks per cell kind, in PyTorch's storage order.
GATES: dict[str, tuple[str, ...]] = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"),
                                     "gru": ("r", "z", "n")}


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + exp(-a)), written so that it never overflows: σ(a) = (1 + tanh(a/2))/2."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


@dataclass
class LayerParams:
    """Weights of one layer: ``weight_ih`` [G*H, D], ``weight_hh`` [G*H, H], ``bias_ih`` and
    ``bias_hh`` [G*H] (PyTorch keeps two biases; only their sum matters except in the GRU's
    candidate gate, where ``b_hn`` sits inside ``r ⊙ (W_hn h + b_hn)``)."""

    weight_ih: np.ndarray  # [G*H, D]
    weight_hh: np.ndarray  # [G*H, H]
    bias_ih: np.ndarray  # [G*H]
    bias_hh: np.ndarray  # [G*H]

    def __post_init__(self) -> None:
        rows, hidden = self.weight_hh.shape
        if hidden < 1 or rows % hidden:
            raise ConfigError(f"weight_hh must be [G*H, H], got shape {self.weight_hh.shape}")
        if self.weight_ih.ndim != 2 or self.weight_ih.shape[0] != rows:
            raise ConfigError(f"weight_ih must be [{rows}, D], got shape {self.weight_ih.shape}")
        for name in ("bias_ih", "bias_hh"):
            if getattr(self, name).shape != (rows,):
                raise ConfigError(f"{name} must be [{rows}], got {getattr(self, name).shape}")

    @property
    def hidden_size(self) -> int:
        return int(self.weight_hh.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.weight_ih.shape[1])

    @property
    def n_gates(self) -> int:
        return int(self.weight_hh.shape[0] // self.weight_hh.shape[1])

    def zeros_like(self) -> LayerParams:
        """A container of zeros with the same shapes: where backward accumulates gradients."""
        return LayerParams(*(np.zeros_like(a) for a in self.arrays().values()))

    def arrays(self) -> dict[str, np.ndarray]:
        """``{name: array}`` in PyTorch's parameter names (without the ``_l0`` suffix)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def random(cls, cell: str, input_size: int, hidden_size: int,
               rng: np.random.Generator) -> LayerParams:
        """PyTorch's default initialisation: every entry uniform in ±1/sqrt(H), float64."""
        g = len(GATES[cell]) * hidden_size
        k = 1.0 / np.sqrt(hidden_size)
        return cls(rng.uniform(-k, k, (g, input_size)), rng.uniform(-k, k, (g, hidden_size)),
                   rng.uniform(-k, k, g), rng.uniform(-k, k, g))


def _check_module(module: nn.Module, cell: str) -> None:
    kinds = {"rnn": (nn.RNN, nn.RNNCell), "lstm": (nn.LSTM, nn.LSTMCell),
             "gru": (nn.GRU, nn.GRUCell)}[cell]
    if not isinstance(module, kinds):
        raise ConfigError(f"expected a torch {cell.upper()} module, got {type(module).__name__}")
    if getattr(module, "bidirectional", False):
        raise ConfigError("the numpy reference is one direction; pass bidirectional=False")
    if getattr(module, "proj_size", 0):
        raise ConfigError("the numpy reference LSTM has no projection; pass proj_size=0")
    if cell == "rnn" and module.nonlinearity != "tanh":
        raise ConfigError("the numpy reference RNN is the tanh RNN; pass nonlinearity='tanh'")


def _suffix(module: nn.Module, layer: int) -> str:
    if isinstance(module, nn.RNNCellBase):
        if layer != 0:
            raise ConfigError(f"a {type(module).__name__} has one layer, asked for layer {layer}")
        return ""
    if not 0 <= layer < module.num_layers:
        raise ConfigError(f"layer must be in 0..{module.num_layers - 1}, got {layer}")
    return f"_l{layer}"


def params_from_torch(module: nn.Module, cell: str, layer: int = 0) -> LayerParams:
    """Copy layer ``layer`` of a torch ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (or its ``*Cell``)
    into float64 numpy arrays. A module without biases gives zero biases."""
    _check_module(module, cell)
    sfx = _suffix(module, layer)
    out = {}
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        p = getattr(module, name + sfx, None)
        if p is None:  # bias=False
            rows = getattr(module, "weight_hh" + sfx).shape[0]
            out[name] = np.zeros(rows)
        else:
            out[name] = p.detach().cpu().double().numpy().copy()
    return LayerParams(**out)


def params_to_torch(params: LayerParams, module: nn.Module, cell: str, layer: int = 0) -> None:
    """Write ``params`` into layer ``layer`` of a torch module of the same shapes (in place)."""
    _check_module(module, cell)
    sfx = _suffix(module, layer)
    with torch.no_grad():
        for name, value in params.arrays().items():
            p = getattr(module, name + sfx, None)
            if p is None:
                if np.any(value):
                    raise ConfigError(f"the torch module has no {name}; it was built with"
                                      " bias=False")
                continue
            if tuple(p.shape) != value.shape:
                raise ConfigError(f"{name}: torch shape {tuple(p.shape)} != {value.shape}")
            p.copy_(torch.from_numpy(value).to(p.dtype))


def check_sequence(x: np.ndarray, input_size: int, hidden_size: int,
                   *states: np.ndarray | None) -> tuple[int, int]:
    """Validate ``x`` [T, B, D] (T >= 1) and each given state [B, H]; return (T, B)."""
    if x.ndim != 3 or x.shape[2] != input_size or x.shape[0] < 1:
        raise ConfigError(f"expected x as [time >= 1, batch, {input_size}], got {x.shape}")
    for s in states:
        if s is not None and s.shape != (x.shape[1], hidden_size):
            raise ConfigError(f"expected a state [{x.shape[1]}, {hidden_size}], got {s.shape}")
    return int(x.shape[0]), int(x.shape[1])


def check_grads(d_out: np.ndarray | None, out_shape: tuple[int, ...],
                *d_states: np.ndarray | None) -> None:
    """Validate the incoming gradients of a backward pass: ``d_out`` like the outputs
    [T, B, H], each final-state gradient [B, H]."""
    if d_out is not None and d_out.shape != out_shape:
        raise ConfigError(f"d_out must have the outputs' shape {out_shape}, got {d_out.shape}")
    for d in d_states:
        if d is not None and d.shape != out_shape[1:]:
            raise ConfigError(f"a final-state gradient must be {out_shape[1:]}, got {d.shape}")
