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
"""

from __future__ import annotations

import torch
from torch import nn

from gatecast.errors import ConfigError
from gatecast.nn.cells import PeepholeLSTM

__all__ = ["CELLS", "init_forget_bias", "make_rnn"]

CELLS: tuple[str, ...] = ("rnn", "lstm", "gru", "peephole")


def make_rnn(
    cell: str, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0
) -> nn.Module:
    """A batch-first recurrent stack of ``cell`` ("rnn", "lstm", "gru" or "peephole").

    Dropout acts between stacked layers only (never on the top layer's output), as
    ``nn.LSTM`` does; with one layer it is ignored (and not passed on, which would only make
    PyTorch warn). LSTM forget-gate biases start at 1 (see :func:`init_forget_bias`).
    """
    if cell not in CELLS:
        raise ConfigError(f"unknown recurrent cell {cell!r}; choose one of {', '.join(CELLS)}")
    if input_size < 1 or hidden_size < 1 or num_layers < 1:
        raise ConfigError(
            "input_size, hidden_size and num_layers must be >= 1, got "
            f"{input_size}, {hidden_size}, {num_layers}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ConfigError(f"dropout must be in [0, 1), got {dropout}")
    between = dropout if num_layers > 1 else 0.0
    if cell == "peephole":
        # PeepholeLSTMCell already sets its forget-gate bias to 1 itself
        return PeepholeLSTM(input_size, hidden_size, num_layers, dropout=between)
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
