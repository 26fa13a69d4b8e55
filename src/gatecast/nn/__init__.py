"""Torch-level forecasting networks: tensors in, tensors out (no DataFrames, no training).

* :class:`NetworkConfig` (:mod:`gatecast.nn.config`) / :func:`build_network`
  (:mod:`gatecast.nn.networks`): the forecasting networks, all called as
  ``net(x [B, look_back, input_size], future [B, horizon, F], static [B, S])`` ->
  ``[B, horizon, n_outputs]``; :func:`empty_inputs` makes the zero-width covariates.
* :func:`make_rnn`: Elman RNN / LSTM / GRU (PyTorch's fused kernels) or the peephole LSTM;
  layers of different widths form a :class:`LayerStack`.
* :data:`ACTIVATIONS` (:mod:`gatecast.nn.activations`): the activations a config may name.
* :class:`PeepholeLSTMLayers` / :class:`PeepholeLSTMCell`: the LSTM whose gates see the cell state.
"""

from gatecast.nn.activations import ACTIVATIONS
from gatecast.nn.cells import PeepholeLSTMCell, PeepholeLSTMLayers, jit_status
from gatecast.nn.config import KINDS, NetworkConfig, empty_inputs
from gatecast.nn.networks import (
    CNNLSTMNet,
    DirectRecurrent,
    ForecastHead,
    MLPNet,
    Seq2SeqNet,
    build_mlp,
    build_network,
    patchify,
)
from gatecast.nn.recurrent import CELLS, LayerStack, init_forget_bias, make_rnn

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "KINDS",
    "CNNLSTMNet",
    "DirectRecurrent",
    "ForecastHead",
    "LayerStack",
    "MLPNet",
    "NetworkConfig",
    "PeepholeLSTMCell",
    "PeepholeLSTMLayers",
    "Seq2SeqNet",
    "build_mlp",
    "build_network",
    "empty_inputs",
    "init_forget_bias",
    "jit_status",
    "make_rnn",
    "patchify",
]
