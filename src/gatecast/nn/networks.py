"""Forecasting networks: a past window (plus optional covariates) in, a horizon of outputs out.

Every network built by :func:`build_network` has the same call::

    y = net(x, future, static)
    # x      [batch, look_back, input_size]   past window; channel 0 is the (scaled) target
    # future [batch, horizon, future_size]    covariates known for the forecast steps
    # static [batch, static_size]             per-series constants
    # y      [batch, horizon, n_outputs]      n_outputs quantiles (or 1 point) per step

The three arguments are always plain tensors, zero-width when a model uses no covariates
(:func:`~gatecast.nn.config.empty_inputs` makes them): no ``Optional`` or dict arguments,
so that tracing, ``torch.onnx.export`` and ``torch.compile`` see one fixed signature. What
to build is a :class:`~gatecast.nn.config.NetworkConfig`.

Kinds:

* ``rnn`` / ``lstm`` / ``gru`` / ``peephole`` -> :class:`DirectRecurrent`: the recurrent
  encoder reads the (optionally patched) window, its top layer's last hidden state plus the
  covariates go through an MLP head that emits the whole horizon at once ("direct"
  multi-step forecasting: no error feedback across steps, one forward pass per forecast).
* ``seq2seq`` -> :class:`Seq2SeqNet`: encoder's final state starts a decoder that walks the
  horizon, fed with the future covariates, the static covariates and a learned embedding of
  the step number (so it knows which step it is on even without covariates).
* ``cnn-lstm`` -> :class:`CNNLSTMNet`: causal convolutions extract local patterns before the
  recurrent encoder, then the DirectRecurrent head.
* ``mlp`` -> :class:`MLPNet`: the flattened window into the MLP head; the baseline any
  recurrent model has to beat.

Recurrent layers may differ in width (``hidden_size=(50, 100)``: a
:class:`~gatecast.nn.recurrent.LayerStack`), and so may the head's hidden layers
(``head_hidden=(64, 32)``); ``output_activation`` acts on the network's output, before any
baseline below is added.

With ``skip_period`` p >= 1 any kind is wrapped in :class:`BaselineSkip`: the network's
output is added to the window's last p target values repeated over the horizon, so it
learns the correction to the seasonal naive (p = season) or naive (p = 1) forecast, and an
untrained network (whose last layer starts near 0) *is* that forecast.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from gatecast.errors import ConfigError
from gatecast.nn.activations import make_activation
from gatecast.nn.config import NetworkConfig
from gatecast.nn.recurrent import CELLS, make_rnn

__all__ = [
    "BaselineSkip",
    "CNNLSTMNet",
    "DirectRecurrent",
    "ForecastHead",
    "MLPNet",
    "Seq2SeqNet",
    "build_mlp",
    "build_network",
    "patchify",
]


#: Width of Seq2SeqNet's learned step embedding: enough to tell up to a few hundred steps apart
#: and small next to the hidden size, so it does not dominate the decoder input.
STEP_EMBEDDING_DIM = 16

#: The final linear layer of every head starts with PyTorch's default init scaled down by
#: this factor: targets are normalised, so "predict ~0" is a sensible start, and a large
#: random initial output would only add a first phase of training that undoes it.
FINAL_INIT_SCALE = 0.01


def patchify(x: Tensor, patch_size: int) -> Tensor:
    """[batch, time, features] -> [batch, time/patch, patch*features], steps kept in order."""
    if patch_size == 1:
        return x
    # each patch is its patch_size consecutive steps' feature vectors, oldest first
    return x.unflatten(1, (-1, patch_size)).flatten(2)  # [batch, time/patch, patch*features]


def build_mlp(
    in_features: int, out_features: int, hidden: int | Sequence[int], layers: int,
    dropout: float = 0.0, activation: str = "relu", output_activation: str | None = None,
) -> nn.Sequential:
    """``layers`` x (Linear -> activation [-> Dropout]) then a final Linear started near zero
    [-> output_activation].

    ``hidden`` is one width for every hidden layer or a sequence of ``layers`` widths. The
    single head builder of every network (``layers=0``: one linear layer).
    """
    widths = tuple(hidden) if isinstance(hidden, Sequence) else (hidden,) * layers
    if len(widths) != layers:
        raise ConfigError(f"build_mlp: {len(widths)} hidden widths for {layers} layers")
    modules: list[nn.Module] = []
    width = in_features
    for w in widths:
        modules += [nn.Linear(width, w), make_activation(activation)]
        if dropout > 0.0:
            modules.append(nn.Dropout(dropout))
        width = w
    final = nn.Linear(width, out_features)
    with torch.no_grad():
        final.weight.mul_(FINAL_INIT_SCALE)  # initial output ~0: the targets are normalised
        final.bias.zero_()
    modules.append(final)
    if output_activation is not None:
        modules.append(make_activation(output_activation))
    return nn.Sequential(*modules)


class ForecastHead(nn.Module):
    """Encoder features + covariates -> the whole horizon in one shot.

    ``[features, static, flatten(future)]`` [batch, features + S + horizon*F_fut] goes
    through :func:`build_mlp` to ``horizon * n_outputs`` numbers, reshaped per step.
    """

    def __init__(self, features: int, config: NetworkConfig) -> None:
        super().__init__()
        self.horizon = config.horizon
        self.n_outputs = config.n_outputs
        width = features + config.static_size + config.horizon * config.future_size
        self.mlp = build_mlp(
            width, config.horizon * config.n_outputs, config.head_widths, config.head_layers,
            config.dropout, config.head_activation, config.output_activation,
        )

    def forward(self, features: Tensor, future: Tensor, static: Tensor) -> Tensor:
        # features [batch, D], future [batch, horizon, F_fut], static [batch, S]
        z = torch.cat([features, static, future.flatten(1)], dim=1)  # [batch, D+S+horizon*F]
        y = self.mlp(z)  # [batch, horizon*n_outputs]
        return y.unflatten(1, (self.horizon, self.n_outputs))  # [batch, horizon, n_outputs]


class _Network(nn.Module):
    """Shared input checks; subclasses implement ``forward(x, future, static)``."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config

    def _check(self, x: Tensor, future: Tensor, static: Tensor) -> None:
        c = self.config
        # only the configured (constant) sizes are checked, never the batch size, so the
        # checks do not pin the batch dimension when the network is traced or exported
        if x.dim() != 3 or x.shape[1:] != (c.look_back, c.input_size):
            raise ValueError(
                f"x must be [batch, {c.look_back}, {c.input_size}], got {list(x.shape)}"
            )
        if future.dim() != 3 or future.shape[1:] != (c.horizon, c.future_size):
            raise ValueError(
                f"future must be [batch, {c.horizon}, {c.future_size}], got "
                f"{list(future.shape)}; use empty_inputs() when there are no covariates"
            )
        if static.dim() != 2 or static.shape[1] != c.static_size:
            raise ValueError(
                f"static must be [batch, {c.static_size}], got {list(static.shape)}; "
                "use empty_inputs() when there are no covariates"
            )


class DirectRecurrent(_Network):
    """Recurrent encoder over the (patched) window + MLP head for the whole horizon.

    ``h = RNN(patchify(x))[:, -1]`` (the top layer's last hidden state), then
    ``y = MLP([h, static, flatten(future)])`` reshaped to [batch, horizon, n_outputs].
    The cell's gate equations are in :mod:`gatecast.nn.recurrent`.
    """

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__(config)
        cell = config.kind if config.kind in CELLS else config.cell
        self.frontend, width = self._make_frontend(config)
        self.encoder = make_rnn(
            cell, width * config.patch_size, config.layer_widths, config.num_layers,
            config.dropout,
        )
        self.head = ForecastHead(config.layer_widths[-1], config)

    def _make_frontend(self, config: NetworkConfig) -> tuple[nn.Module, int]:
        """(module applied to x before patching, its output features per step)."""
        return nn.Identity(), config.input_size

    def forward(self, x: Tensor, future: Tensor, static: Tensor) -> Tensor:
        self._check(x, future, static)
        z = self.frontend(x)  # [batch, look_back, width]
        z = patchify(z, self.config.patch_size)  # [batch, look_back/P, P*width]
        out, _ = self.encoder(z)  # [batch, look_back/P, hidden of the top layer]
        last = out[:, -1]  # [batch, hidden]; the top layer's final hidden state
        return self.head(last, future, static)  # [batch, horizon, n_outputs]


class CausalConv(nn.Module):
    """``layers`` x ReLU(Conv1d) over time, each padded on the left only.

    Left (causal) padding keeps every output step a function of that step and earlier
    ones; the zero padding then lands at the oldest end of the window, so the newest steps,
    which matter most for the forecast, are computed from real data only.
    """

    def __init__(self, in_features: int, channels: int, layers: int, kernel: int) -> None:
        super().__init__()
        self.pad = kernel - 1
        self.convs = nn.ModuleList(
            nn.Conv1d(in_features if k == 0 else channels, channels, kernel)
            for k in range(layers)
        )

    def forward(self, x: Tensor) -> Tensor:
        z = x.transpose(1, 2)  # [batch, features, time]; Conv1d wants channels first
        for conv in self.convs:
            z = F.relu(conv(F.pad(z, (self.pad, 0))))  # [batch, channels, time]
        return z.transpose(1, 2)  # [batch, time, channels]


class CNNLSTMNet(DirectRecurrent):
    """:class:`DirectRecurrent` (cell ``config.cell``) behind a :class:`CausalConv` stack.

    ``z = ReLU(conv(...ReLU(conv(x))))`` [batch, look_back, conv_channels], then exactly the
    DirectRecurrent encoder and head on ``z``.
    """

    def _make_frontend(self, config: NetworkConfig) -> tuple[nn.Module, int]:
        conv = CausalConv(
            config.input_size, config.conv_channels, config.conv_layers, config.conv_kernel
        )
        return conv, config.conv_channels


class Seq2SeqNet(_Network):
    """Encoder-decoder: the encoder's final state starts a decoder run over the horizon.

    ``state = RNN_enc(patchify(x))``; decoder input at step k is
    ``d_k = [future_k, static, e_k]`` with ``e_k`` a learned embedding of k;
    ``s_k = RNN_dec(d_1..d_k; state)`` and ``y_k = Linear(s_k)``. The decoder never sees its
    own predictions, so all steps run in one fused call and training has no
    teacher-forcing / exposure-bias mismatch.
    """

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__(config)
        self.encoder = make_rnn(
            config.cell, config.input_size * config.patch_size, config.layer_widths,
            config.num_layers, config.dropout,
        )
        # N(0, 1) like nn.Embedding: the rows are what tells decoder steps apart
        self.step_embedding = nn.Parameter(torch.randn(config.horizon, STEP_EMBEDDING_DIM))
        decoder_in = config.future_size + config.static_size + STEP_EMBEDDING_DIM
        self.decoder = make_rnn(
            config.cell, decoder_in, config.layer_widths, config.num_layers, config.dropout
        )
        # same widths as the encoder: it takes the encoder's final state layer by layer
        self.head = build_mlp(config.layer_widths[-1], config.n_outputs, (), 0,
                              output_activation=config.output_activation)

    def forward(self, x: Tensor, future: Tensor, static: Tensor) -> Tensor:
        self._check(x, future, static)
        z = patchify(x, self.config.patch_size)  # [batch, look_back/P, P*input_size]
        # h_n (and c_n) [layers, batch, hidden]; a tuple of per-layer states if widths differ
        _, state = self.encoder(z)
        batch, horizon = future.shape[0], self.config.horizon
        steps = self.step_embedding.expand(batch, -1, -1)  # [batch, horizon, E]
        stat = static.unsqueeze(1).expand(-1, horizon, -1)  # [batch, horizon, S]
        d = torch.cat([future, stat, steps], dim=2)  # [batch, horizon, F_fut+S+E]
        out, _ = self.decoder(d, state)  # [batch, horizon, hidden]
        return self.head(out)  # [batch, horizon, n_outputs]; same Linear for every step


class MLPNet(_Network):
    """``y = MLP([flatten(x), static, flatten(future)])``: no recurrence at all."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__(config)
        self.head = ForecastHead(config.look_back * config.input_size, config)

    def forward(self, x: Tensor, future: Tensor, static: Tensor) -> Tensor:
        self._check(x, future, static)
        flat = x.flatten(1)  # [batch, look_back*input_size]
        return self.head(flat, future, static)  # [batch, horizon, n_outputs]


_BUILDERS: dict[str, type[_Network]] = {
    "rnn": DirectRecurrent,
    "lstm": DirectRecurrent,
    "gru": DirectRecurrent,
    "peephole": DirectRecurrent,
    "seq2seq": Seq2SeqNet,
    "cnn-lstm": CNNLSTMNet,
    "mlp": MLPNet,
}


class BaselineSkip(nn.Module):
    """``net(x, future, static) + baseline``: the baseline repeats the window's last
    ``period`` values of channel 0 over the horizon (every output gets it, so quantile
    outputs become baseline + quantiles of the correction)."""

    def __init__(self, net: nn.Module, period: int, horizon: int) -> None:
        super().__init__()
        self.net = net
        self.period = period
        self.horizon = horizon
        self.reps = -(-horizon // period)  # ceil

    def forward(self, x: Tensor, future: Tensor, static: Tensor) -> Tensor:
        y = self.net(x, future, static)  # [batch, horizon, n_outputs]
        last = x[:, x.shape[1] - self.period:, 0]  # [batch, period]
        base = last.repeat(1, self.reps)[:, : self.horizon]  # [batch, horizon]
        return y + base.unsqueeze(-1)


def build_network(config: NetworkConfig) -> nn.Module:
    """The network for ``config.kind``; its ``forward(x, future, static)`` is documented in
    this module's docstring. Parameters are drawn from torch's global RNG (seed it first for
    reproducible weights)."""
    if not isinstance(config, NetworkConfig):
        raise ConfigError(f"build_network needs a NetworkConfig, got {type(config).__name__}")
    net = _BUILDERS[config.kind](config)
    if config.skip_period:
        return BaselineSkip(net, config.skip_period, config.horizon)
    return net
