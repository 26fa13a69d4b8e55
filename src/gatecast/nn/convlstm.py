"""ConvLSTM (Shi et al. 2015): an LSTM whose matrix products are convolutions.

Every state is a stack of feature maps ``[channels, rows, cols]`` instead of a vector, so
each pixel's gates see a neighbourhood of the input and of the previous hidden state. With
``*`` the 2-D convolution ("same" padding), ``∘`` the element-wise (Hadamard) product, ``σ``
the logistic sigmoid, ``X_t`` the input frame and ``H``, ``C`` the hidden and cell states
(equation 3 of the paper)::

    i_t = σ(W_xi * X_t + W_hi * H_{t-1} + W_ci ∘ C_{t-1} + b_i)      input gate
    f_t = σ(W_xf * X_t + W_hf * H_{t-1} + W_cf ∘ C_{t-1} + b_f)      forget gate
    g_t = tanh(W_xc * X_t + W_hc * H_{t-1} + b_c)                     candidate
    C_t = f_t ∘ C_{t-1} + i_t ∘ g_t
    o_t = σ(W_xo * X_t + W_ho * H_{t-1} + W_co ∘ C_t + b_o)          output gate (new C_t)
    H_t = o_t ∘ tanh(C_t)

The peephole weights ``W_c*`` are optional and, as in the paper, one weight per channel
*per pixel* (``[3, hidden, rows, cols]``), so a cell with peepholes is tied to one frame
size. They start at 0 (the cell then starts as a plain ConvLSTM); the forget bias ``b_f``
starts at ``forget_bias`` (1 by default, see :func:`gatecast.nn.recurrent.init_forget_bias`).

Speed: ``W_x * X_t`` does not depend on the recurrence, so the input-to-state convolution
runs once over all time steps (one ``Conv2d`` call on ``[batch*time, ...]``); only the
state-to-state convolution ``W_h * H_{t-1}`` stays inside the time loop. That is the same
function as one convolution over ``concat[X_t, H_{t-1}]``, split in two.

:class:`ConvLSTMNet` is the paper's encoder-forecaster: an encoder stack reads the input
frames, a forecaster stack (no input: it is driven by its states alone) starts from the
encoder's final states and unrolls ``horizon`` steps, and a 1x1 convolution over all
forecaster layers' hidden states gives each predicted frame (logits for a binary
cross-entropy loss, or values for MSE). With ``patch_size`` P the frames are first cut into
non-overlapping P x P patches stacked as channels (the paper does this with 4 x 4 patches on
64 x 64 Moving MNIST): P² times fewer pixels per convolution, each covering P times more.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from gatecast.errors import ConfigError

__all__ = ["ConvLSTMCell", "ConvLSTMConfig", "ConvLSTMNet"]

State = tuple[Tensor, Tensor]


class ConvLSTMCell(nn.Module):
    """One ConvLSTM layer run over a sequence of frames.

    Args:
        in_channels: channels of the input frames (0: a cell with no input, driven only by
            its state, as in the paper's forecasting network).
        hidden_channels: channels of ``H`` and ``C``.
        kernel_size: odd side of both convolution kernels ("same" padding keeps the size).
        frame_size: ``(rows, cols)`` of the frames; needed for the per-pixel peepholes.
        peephole: add the Hadamard terms ``W_c* ∘ C``.
        forget_bias: initial value of ``b_f``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int,
                 frame_size: tuple[int, int], peephole: bool = False,
                 forget_bias: float = 1.0) -> None:
        super().__init__()
        if in_channels < 0 or hidden_channels < 1:
            raise ConfigError(f"ConvLSTMCell needs in_channels >= 0 and hidden_channels >= 1,"
                              f" got {in_channels}, {hidden_channels}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ConfigError(f"kernel_size must be odd and >= 1 (same padding), got {kernel_size}")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))
        pad = kernel_size // 2
        gates = 4 * hidden_channels  # gate order i, f, g, o
        self.x_conv = (nn.Conv2d(in_channels, gates, kernel_size, padding=pad, bias=False)
                       if in_channels > 0 else None)
        self.h_conv = nn.Conv2d(hidden_channels, gates, kernel_size, padding=pad, bias=False)
        bias = torch.zeros(gates)
        bias[hidden_channels:2 * hidden_channels] = forget_bias
        self.bias = nn.Parameter(bias)
        self.peephole = (nn.Parameter(torch.zeros(3, hidden_channels, *self.frame_size))
                         if peephole else None)

    def zero_state(self, batch: int, like: Tensor) -> State:
        shape = (batch, self.hidden_channels, *self.frame_size)
        zeros = torch.zeros(shape, dtype=like.dtype, device=like.device)
        return zeros, zeros.clone()

    def forward(self, x: Tensor | None, state: State | None = None, steps: int | None = None
                ) -> tuple[Tensor, State]:
        """Run the cell; ``x`` [batch, time, in_channels, rows, cols] (``None``: no input,
        then ``steps`` and ``state`` say how long and from where).

        Returns the hidden states ``[batch, time, hidden, rows, cols]`` and ``(H_T, C_T)``.
        """
        if x is None:
            if state is None or steps is None:
                raise ValueError("a ConvLSTMCell without input needs state and steps")
            batch, time = state[0].shape[0], steps
            xg = None
        else:
            if self.x_conv is None:
                raise ValueError("this ConvLSTMCell has no input channels; call it with x=None")
            batch, time = x.shape[0], x.shape[1]
            xg = self.x_conv(x.flatten(0, 1)).unflatten(0, (batch, time))  # [B, T, 4Ch, H, W]
        h, c = state if state is not None else self.zero_state(batch, self.bias)
        bias = self.bias[None, :, None, None]  # [1, 4Ch, 1, 1]
        outputs = []
        for t in range(time):
            gates = self.h_conv(h) + bias  # [B, 4Ch, H, W]
            if xg is not None:
                gates = gates + xg[:, t]
            gi, gf, gg, go = gates.chunk(4, 1)  # 4 x [B, Ch, H, W]
            if self.peephole is not None:
                gi = gi + self.peephole[0] * c  # peeks at C_{t-1}
                gf = gf + self.peephole[1] * c
            c = torch.sigmoid(gf) * c + torch.sigmoid(gi) * torch.tanh(gg)  # [B, Ch, H, W]
            if self.peephole is not None:
                go = go + self.peephole[2] * c  # peeks at the new C_t
            h = torch.sigmoid(go) * torch.tanh(c)  # [B, Ch, H, W]
            outputs.append(h)
        return torch.stack(outputs, 1), (h, c)  # [B, T, Ch, H, W]


@dataclass
class ConvLSTMConfig:
    """Everything needed to rebuild a :class:`ConvLSTMNet` (``dataclasses.asdict`` is JSON).

    ``channels`` and ``frame_size`` describe the frames; ``horizon`` is the number of frames
    each forward pass emits; ``hidden_channels`` lists the layers of both stacks.
    """

    channels: int
    frame_size: tuple[int, int]
    horizon: int
    hidden_channels: tuple[int, ...] = (32, 32)
    kernel_size: int = 5
    peephole: bool = True
    patch_size: int = 1
    forget_bias: float = 1.0

    def __post_init__(self) -> None:
        self.frame_size = (int(self.frame_size[0]), int(self.frame_size[1]))
        self.hidden_channels = tuple(int(c) for c in self.hidden_channels)
        if self.channels < 1 or self.horizon < 1:
            raise ConfigError(f"channels and horizon must be >= 1, got {self.channels},"
                              f" {self.horizon}")
        if not self.hidden_channels or min(self.hidden_channels) < 1:
            raise ConfigError(f"hidden_channels must list one or more widths >= 1, got"
                              f" {self.hidden_channels!r}")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ConfigError(f"kernel_size must be odd and >= 1, got {self.kernel_size}")
        p = self.patch_size
        if p < 1 or self.frame_size[0] % p or self.frame_size[1] % p:
            raise ConfigError(f"patch_size {p} must be >= 1 and divide the frame size"
                              f" {self.frame_size[0]}x{self.frame_size[1]}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ConvLSTMNet(nn.Module):
    """Encoder-forecaster ConvLSTM: ``net(x [B, look_back, C, H, W]) -> [B, horizon, C, H, W]``.

    Any ``look_back`` works (the encoder just runs longer); the output is linear (logits
    for a sigmoid / binary cross-entropy, or values for MSE).
    """

    def __init__(self, config: ConvLSTMConfig) -> None:
        super().__init__()
        self.config = config
        p = config.patch_size
        grid = (config.frame_size[0] // p, config.frame_size[1] // p)
        k, peep, fb = config.kernel_size, config.peephole, config.forget_bias
        widths = config.hidden_channels
        ins = (config.channels * p * p, *widths[:-1])
        self.encoder = nn.ModuleList(
            ConvLSTMCell(i, w, k, grid, peep, fb) for i, w in zip(ins, widths, strict=True))
        self.forecaster = nn.ModuleList(
            ConvLSTMCell(0 if n == 0 else widths[n - 1], w, k, grid, peep, fb)
            for n, w in enumerate(widths))
        self.head = nn.Conv2d(sum(widths), config.channels * p * p, 1)

    def init_output_bias(self, value: float) -> None:
        """Start every output at ``value`` (e.g. the logit of the mean pixel)."""
        with torch.no_grad():
            self.head.bias.fill_(value)

    def forward(self, x: Tensor) -> Tensor:
        c = self.config
        if x.dim() != 5 or x.shape[2:] != (c.channels, *c.frame_size):
            raise ValueError(f"x must be [batch, time, {c.channels}, {c.frame_size[0]},"
                             f" {c.frame_size[1]}], got {list(x.shape)}")
        batch, look_back = x.shape[:2]
        z = F.pixel_unshuffle(x.flatten(0, 1), c.patch_size)  # [B*L, C*P*P, H/P, W/P]
        z = z.unflatten(0, (batch, look_back))  # [B, L, C*P*P, H/P, W/P]
        states = []
        for cell in self.encoder:
            z, state = cell(z)  # [B, L, Ch_k, H/P, W/P]
            states.append(state)
        y: Tensor | None = None
        outputs = []
        for cell, state in zip(self.forecaster, states, strict=True):
            y, _ = cell(y, state=state, steps=c.horizon)  # [B, horizon, Ch_k, H/P, W/P]
            outputs.append(y)
        hs = torch.cat(outputs, 2).flatten(0, 1)  # [B*horizon, sum Ch, H/P, W/P]
        out = F.pixel_shuffle(self.head(hs), c.patch_size)  # [B*horizon, C, H, W]
        return out.unflatten(0, (batch, c.horizon))  # [B, horizon, C, H, W]
