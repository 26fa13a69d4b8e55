"""Torch-level forecasting networks: tensors in, tensors out (no DataFrames, no training).

* :func:`build_network` / :class:`NetworkConfig`: the forecasting networks, all called as
  ``net(x [B, look_back, input_size], future [B, horizon, F], static [B, S])`` ->
  ``[B, horizon, n_outputs]``; :func:`empty_inputs` makes the zero-width covariates.
* :func:`make_rnn`: Elman RNN / LSTM / GRU (PyTorch's fused kernels) or the peephole LSTM.
* :class:`PeepholeLSTM` / :class:`PeepholeLSTMCell`: the LSTM whose gates see the cell state.
"""

from gatecast.nn.cells import PeepholeLSTM, PeepholeLSTMCell, jit_status
from gatecast.nn.networks import (
    CNNLSTM,
    KINDS,
    DirectRecurrent,
    ForecastHead,
    MLPNet,
    NetworkConfig,
    Seq2Seq,
    build_mlp,
    build_network,
    empty_inputs,
    patchify,
)
from gatecast.nn.recurrent import CELLS, init_forget_bias, make_rnn

__all__ = [
    "CELLS",
    "CNNLSTM",
    "KINDS",
    "DirectRecurrent",
    "ForecastHead",
    "MLPNet",
    "NetworkConfig",
    "PeepholeLSTM",
    "PeepholeLSTMCell",
    "Seq2Seq",
    "build_mlp",
    "build_network",
    "empty_inputs",
    "init_forget_bias",
    "jit_status",
    "make_rnn",
    "patchify",
]
