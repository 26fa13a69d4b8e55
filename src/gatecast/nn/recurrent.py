"""One factory for the recurrent encoders: Elman RNN, LSTM, GRU and the peephole LSTM.

Every module :func:`make_rnn` returns is batch-first and is called like ``nn.LSTM``:
``output, state = rnn(x)`` with ``x`` [batch, time, input_size] and ``output``
[batch, time, hidden]; ``state`` is ``h_n`` [layers, batch, hidden] for "rnn"/"gru" and
``(h_n, c_n)`` for "lstm"/"peephole". A decoder of the same cell accepts that state as its
initial state unchanged.

Gate equations (σ the sigmoid, ⊙ the element-wise product, x the input, h the previous
hidden state):

* ``rnn`` (Elman):  h_t = tanh(W x_t + U h_{t-1} + b)
* ``lstm``:  i, f, o = σ(W_{i,f,o} x_t + U_{i,f,o} h_{t-1} + b_{i,f,o}),
  g = tanh(W_g x_t + U_g h_{t-1} + b_g), c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t)
* ``gru``:  r, z = σ(W_{r,z} x_t + U_{r,z} h_{t-1} + b_{r,z}),
  n = tanh(W_n x_t + r ⊙ (U_n h_{t-1} + b_hn) + b_in), h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
* ``peephole``: the LSTM with the gates also seeing the cell state, see
  :class:`gatecast.nn.cells.PeepholeLSTMCell`.

The first three are PyTorch's fused kernels (cuDNN / oneDNN), which are much faster than any
Python-level loop; the peephole LSTM has no fused kernel and uses gatecast's own.

A fused module has one width for all its layers; layers of different widths (Keras-style
``LSTM(50) -> LSTM(100)``) are a :class:`LayerStack` of one-layer modules, one fused call per
layer, with the same call and dropout as the fused stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from gatecast.errors import ConfigError
from gatecast.nn.cells import PeepholeLSTMLayers

__all__ = ["CELLS", "LayerStack", "init_forget_bias", "make_rnn"]

CELLS: tuple[str, ...] = ("rnn", "lstm", "gru", "peephole")


def make_rnn(
    cell: str, input_size: int, hidden_size: int | Sequence[int], num_layers: int | None = None,
    dropout: float = 0.0,
) -> nn.Module:
    """A batch-first recurrent stack of ``cell`` ("rnn", "lstm", "gru" or "peephole").

    ``hidden_size``: one width for ``num_layers`` layers (``None``: 1), or per-layer widths
    (``num_layers``: their number); different widths give a :class:`LayerStack`.
    Dropout acts between stacked layers only (never on the top layer's output), as
    ``nn.LSTM`` does; with one layer it is ignored (and not passed on, which would only make
    PyTorch warn). LSTM forget-gate biases start at 1 (see :func:`init_forget_bias`).
    """
    if cell not in CELLS:
        raise ConfigError(f"unknown recurrent cell {cell!r}; choose one of {', '.join(CELLS)}")
    if not 0.0 <= dropout < 1.0:
        raise ConfigError(f"dropout must be in [0, 1), got {dropout}")
    if isinstance(hidden_size, Sequence):
        widths = tuple(hidden_size)
        if not widths or num_layers not in (None, len(widths)):
            raise ConfigError(f"hidden_size={widths} needs one width per layer (num_layers="
                              f"{num_layers})")
        if len(set(widths)) > 1:
            return LayerStack(cell, input_size, widths, dropout)
        hidden_size, num_layers = widths[0], len(widths)
    num_layers = 1 if num_layers is None else num_layers
    if input_size < 1 or hidden_size < 1 or num_layers < 1:
        raise ConfigError(
            "input_size, hidden_size and num_layers must be >= 1, got "
            f"{input_size}, {hidden_size}, {num_layers}"
        )
    between = dropout if num_layers > 1 else 0.0
    if cell == "peephole":
        # PeepholeLSTMCell already sets its forget-gate bias to 1 itself
        return PeepholeLSTMLayers(input_size, hidden_size, num_layers, dropout=between)
    if cell == "rnn":
        return nn.RNN(
            input_size, hidden_size, num_layers, nonlinearity="tanh", batch_first=True,
            dropout=between,
        )
    if cell == "gru":
        return nn.GRU(input_size, hidden_size, num_layers, batch_first=True, dropout=between)
    lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, dropout=between)
    init_forget_bias(lstm)
    return lstm


def init_forget_bias(lstm: nn.LSTM, value: float = 1.0) -> None:
    """Set the forget-gate bias of every layer of ``lstm`` to ``value`` (default 1).

    PyTorch's default is a uniform ±1/sqrt(H) bias, so f_t starts near σ(0) = 0.5: the cell
    state, and the gradient through it, is halved at every step and the look-back window is
    effectively a few steps long until training fixes it. A bias of 1 (f ≈ 0.73) lets memory
    and gradients reach far back from the first update (Gers et al. 2000; Jozefowicz et al.
    2015). nn.LSTM adds two biases, ``bias_ih`` + ``bias_hh``; the forget block (rows H..2H,
    gate order i, f, g, o) of the first gets ``value`` and of the second 0, so their sum is
    exactly ``value``.
    """
    h = lstm.hidden_size
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):
                param[h : 2 * h].fill_(value)
            elif name.startswith("bias_hh"):
                param[h : 2 * h].zero_()


class LayerStack(nn.Module):
    """Recurrent layers of different widths, called like ``nn.LSTM`` (batch first).

    Layer k is a one-layer :func:`make_rnn` of ``cell`` from width ``widths[k-1]``
    (``input_size`` for the first) to ``widths[k]``; dropout (in training mode) acts on every
    layer's output but the last, as in ``nn.LSTM``. ``forward(x, state=None)`` with ``x``
    [batch, time, input_size] returns ``(output [batch, time, widths[-1]], state)``, where
    ``state`` holds one entry per layer, that layer's own final state (``h_n``
    [1, batch, width], or ``(h_n, c_n)`` for the LSTMs): a decoder stack of the same cell and
    widths takes it as its initial state.
    """

    def __init__(self, cell: str, input_size: int, widths: Sequence[int],
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.widths = tuple(widths)
        self.hidden_size = self.widths[-1]
        self.num_layers = len(self.widths)
        self.dropout = float(dropout)
        ins = (input_size, *self.widths[:-1])
        self.layers = nn.ModuleList(make_rnn(cell, i, w, 1) for i, w in zip(ins, self.widths,
                                                                           strict=True))

    def forward(self, x: Tensor, state: tuple[Any, ...] | None = None
                ) -> tuple[Tensor, tuple[Any, ...]]:
        out = x  # [batch, time, input_size]
        states = []
        for k, layer in enumerate(self.layers):
            out, s = layer(out) if state is None else layer(out, state[k])  # [b, t, w_k]
            states.append(s)
            if self.dropout > 0.0 and k < self.num_layers - 1:
                out = F.dropout(out, self.dropout, self.training)  # between layers only
        return out, tuple(states)  # [batch, time, widths[-1]], one state per layer

    def extra_repr(self) -> str:
        return f"widths={self.widths}, dropout={self.dropout}"
