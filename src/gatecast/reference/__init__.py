"""From-scratch numpy recurrent cells: forward equations and hand-written backpropagation
through time, documented equation by equation.

Teaching material and the oracle for gatecast's own cells: every function here is checked
against central finite differences and against ``torch.nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``
(and :class:`gatecast.nn.cells.PeepholeLSTMCell`) to 1e-6 in float64.

All sequences are time-major, ``x`` [T, B, D]; states are [B, H]. Parameters use PyTorch's
layout (:class:`LayerParams`), so weights move both ways with ``from_torch``/``to_torch``::

    >>> import numpy as np, torch
    >>> from gatecast.reference import lstm
    >>> net = torch.nn.LSTM(3, 5)
    >>> p = lstm.from_torch(net)
    >>> out, (h, c), cache = lstm.lstm_forward(p, np.zeros((7, 2, 3)))
    >>> grads, dx, (dh0, dc0) = lstm.lstm_backward(p, cache, d_out=np.ones_like(out))

Modules: :mod:`~gatecast.reference.rnn` (Elman, tanh), :mod:`~gatecast.reference.lstm`,
:mod:`~gatecast.reference.gru`, :mod:`~gatecast.reference.peephole`, and
:mod:`~gatecast.reference.gradcheck` (finite differences).
"""

from gatecast.reference import gradcheck, gru, lstm, peephole, rnn
from gatecast.reference.gradcheck import max_relative_error, numerical_gradient
from gatecast.reference.gru import gru_backward, gru_forward
from gatecast.reference.lstm import lstm_backward, lstm_forward
from gatecast.reference.params import GATES, LayerParams
from gatecast.reference.peephole import PeepholeParams, peephole_backward, peephole_forward
from gatecast.reference.rnn import rnn_backward, rnn_forward

__all__ = [
    "GATES",
    "LayerParams",
    "PeepholeParams",
    "gradcheck",
    "gru",
    "gru_backward",
    "gru_forward",
    "lstm",
    "lstm_backward",
    "lstm_forward",
    "max_relative_error",
    "numerical_gradient",
    "peephole",
    "peephole_backward",
    "peephole_forward",
    "rnn",
    "rnn_backward",
    "rnn_forward",
]
