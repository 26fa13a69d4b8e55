"""Forecasting networks: a past window (plus optional covariates) in, a horizon of outputs out.

Every network built by :func:`build_network` has the same call::

    y = net(x, future, static)
    # x      [batch, look_back, input_size]   past window; channel 0 is the (scaled) target
    # future [batch, horizon, future_size]    covariates known for the forecast steps
    # static [batch, static_size]             per-series constants
    # y      [batch, horizon, n_outputs]      n_outputs quantiles (or 1 point) per step

The three arguments are always plain tensors, zero-width when a model uses no covariates
(:func:`empty_inputs` makes them): no ``Optional`` or dict arguments, so that tracing,
``torch.onnx.export`` and ``torch.compile`` see one fixed signature.

Kinds:

* ``rnn`` / ``lstm`` / ``gru`` / ``peephole`` -> :class:`DirectRecurrent`: the recurrent
  encoder reads the (optionally patched) window, its top layer's last hidden state plus the
  covariates go through an MLP head that emits the whole horizon at once ("direct"
  multi-step forecasting: no error feedback across steps, one forward pass per forecast).
* ``seq2seq`` -> :class:`Seq2Seq`: encoder's final state starts a decoder that walks the
  horizon, fed with the future covariates, the static covariates and a learned embedding of
  the step number (so it knows which step it is on even without covariates).
* ``cnn-lstm`` -> :class:`CNNLSTM`: causal convolutions extract local patterns before the
  recurrent encoder, then the DirectRecurrent head.
* ``mlp`` -> :class:`MLPNet`: the flattened window into the MLP head; the baseline any
  recurrent model has to beat.

With ``skip_period`` p >= 1 any kind is wrapped in :class:`BaselineSkip`: the network's
output is added to the window's last p target values repeated over the horizon, so it
learns the correction to the seasonal naive (p = season) or naive (p = 1) forecast, and an
untrained network (whose last layer starts near 0) *is* that forecast.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from gatecast.catalog import KINDS
from gatecast.errors import ConfigError
from gatecast.nn.recurrent import CELLS, make_rnn

__all__ = [
    "CNNLSTM",
    "KINDS",
    "BaselineSkip",
    "DirectRecurrent",
    "ForecastHead",
    "MLPNet",
    "NetworkConfig",
    "Seq2Seq",
    "build_mlp",
    "build_network",
    "empty_inputs",
    "patchify",
]


#: Width of Seq2Seq's learned step embedding: enough to tell up to a few hundred steps apart
#: and small next to the hidden size, so it does not dominate the decoder input.
STEP_EMBEDDING_DIM = 16

#: The final linear layer of every head starts with PyTorch's default init scaled down by
#: this factor: targets are normalised, so "predict ~0" is a sensible start, and a large
#: random initial output would only add a first phase of training that undoes it.
FINAL_INIT_SCALE = 0.01


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


def patchify(x: Tensor, patch_size: int) -> Tensor:
    """[batch, time, features] -> [batch, time/patch, patch*features], steps kept in order."""
    if patch_size == 1:
        return x
    # each patch is its patch_size consecutive steps' feature vectors, oldest first
    return x.unflatten(1, (-1, patch_size)).flatten(2)  # [batch, time/patch, patch*features]


def build_mlp(
    in_features: int, out_features: int, hidden: int, layers: int, dropout: float = 0.0
) -> nn.Sequential:
    """``layers`` x (Linear -> ReLU [-> Dropout]) then a final Linear started near zero.

    The single head builder of every network (``layers=0``: one linear layer).
    """
    modules: list[nn.Module] = []
    width = in_features
    for _ in range(layers):
        modules += [nn.Linear(width, hidden), nn.ReLU()]
        if dropout > 0.0:
            modules.append(nn.Dropout(dropout))
        width = hidden
    final = nn.Linear(width, out_features)
    with torch.no_grad():
        final.weight.mul_(FINAL_INIT_SCALE)  # initial output ~0: the targets are normalised
        final.bias.zero_()
    modules.append(final)
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
            width, config.horizon * config.n_outputs, config.head_hidden, config.head_layers,
            config.dropout,
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
            cell, width * config.patch_size, config.hidden_size, config.num_layers,
            config.dropout,
        )
        self.head = ForecastHead(config.hidden_size, config)

    def _make_frontend(self, config: NetworkConfig) -> tuple[nn.Module, int]:
        """(module applied to x before patching, its output features per step)."""
        return nn.Identity(), config.input_size

    def forward(self, x: Tensor, future: Tensor, static: Tensor) -> Tensor:
        self._check(x, future, static)
        z = self.frontend(x)  # [batch, look_back, width]
        z = patchify(z, self.config.patch_size)  # [batch, look_back/P, P*width]
        out, _ = self.encoder(z)  # [batch, look_back/P, hidden]
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


class CNNLSTM(DirectRecurrent):
    """:class:`DirectRecurrent` (cell ``config.cell``) behind a :class:`CausalConv` stack.

    ``z = ReLU(conv(...ReLU(conv(x))))`` [batch, look_back, conv_channels], then exactly the
    DirectRecurrent encoder and head on ``z``.
    """

    def _make_frontend(self, config: NetworkConfig) -> tuple[nn.Module, int]:
        conv = CausalConv(
            config.input_size, config.conv_channels, config.conv_layers, config.conv_kernel
        )
        return conv, config.conv_channels


class Seq2Seq(_Network):
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
            config.cell, config.input_size * config.patch_size, config.hidden_size,
            config.num_layers, config.dropout,
        )
        # N(0, 1) like nn.Embedding: the rows are what tells decoder steps apart
        self.step_embedding = nn.Parameter(torch.randn(config.horizon, STEP_EMBEDDING_DIM))
        decoder_in = config.future_size + config.static_size + STEP_EMBEDDING_DIM
        self.decoder = make_rnn(
            config.cell, decoder_in, config.hidden_size, config.num_layers, config.dropout
        )
        self.head = build_mlp(config.hidden_size, config.n_outputs, config.head_hidden, 0)

    def forward(self, x: Tensor, future: Tensor, static: Tensor) -> Tensor:
        self._check(x, future, static)
        z = patchify(x, self.config.patch_size)  # [batch, look_back/P, P*input_size]
        _, state = self.encoder(z)  # h_n (and c_n) [layers, batch, hidden]
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
    "seq2seq": Seq2Seq,
    "cnn-lstm": CNNLSTM,
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
