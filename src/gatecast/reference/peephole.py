"""Peephole LSTM in plain numpy: the oracle for :class:`gatecast.nn.cells.PeepholeLSTMCell`.

Layout as gatecast's cell: ``W = weight_ih`` [4H, D], ``U = weight_hh`` [4H, H], one bias
``b`` [4H] (gate order i, f, g, o) and the diagonal peepholes ``weight_peep`` [3, H] =
(p_i, p_f, p_o). ``x`` is [T, B, D], states are [B, H] row vectors.

Forward, for t = 1..T from (h_0, c_0)::

    (F1)  z_t = W x_t + b + U h_{t-1}                 split z_i, z_f, z_g, z_o   [B, H]
    (F2)  i_t = σ(z_i + p_i ⊙ c_{t-1})
    (F3)  f_t = σ(z_f + p_f ⊙ c_{t-1})
    (F4)  g_t = tanh(z_g)
    (F5)  c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    (F6)  o_t = σ(z_o + p_o ⊙ c_t)                    the output gate sees the NEW c_t
    (F7)  h_t = o_t ⊙ tanh(c_t)

Backward, as for the plain LSTM (see :mod:`gatecast.reference.lstm`) with the extra paths
through the peepholes; δa_k is the gradient of gate k's full pre-activation (inside σ)::

    (B1)  δh_t = d_out[t] + r^h_t
    (B2)  δa_o = δh_t ⊙ tanh(c_t) ⊙ o_t(1 - o_t)
    (B3)  δc_t = r^c_t + δh_t ⊙ o_t ⊙ (1 - tanh²(c_t)) + δa_o ⊙ p_o     (F7) and (F6)
    (B4)  δa_i = δc_t ⊙ g_t ⊙ i_t(1 - i_t),  δa_f = δc_t ⊙ c_{t-1} ⊙ f_t(1 - f_t),
          δa_g = δc_t ⊙ i_t ⊙ (1 - g_t²)
    (B5)  dL/dp_i += Σ_batch δa_i ⊙ c_{t-1},  dL/dp_f += Σ_batch δa_f ⊙ c_{t-1},
          dL/dp_o += Σ_batch δa_o ⊙ c_t
    (B6)  δz_t = [δa_i, δa_f, δa_g, δa_o];  dL/dW += δz_t^T x_t,  dL/dU += δz_t^T h_{t-1},
          dL/db += Σ_batch δz_t,  dL/dx_t = δz_t W
    (B7)  r^h_{t-1} = δz_t U
    (B8)  r^c_{t-1} = δc_t ⊙ f_t + δa_i ⊙ p_i + δa_f ⊙ p_f           (F5), (F2), (F3)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gatecast.errors import ConfigError
from gatecast.nn.cells import PeepholeLSTMCell, PeepholeLSTMLayers
from gatecast.reference.params import check_grads, check_sequence, sigmoid

__all__ = ["PeepholeCache", "PeepholeParams", "from_torch", "peephole_backward",
           "peephole_forward", "to_torch"]


@dataclass
class PeepholeParams:
    """``weight_ih`` [4H, D], ``weight_hh`` [4H, H], ``bias`` [4H], ``weight_peep`` [3, H]."""

    weight_ih: np.ndarray  # [4H, D]
    weight_hh: np.ndarray  # [4H, H]
    bias: np.ndarray  # [4H]
    weight_peep: np.ndarray  # [3, H]

    def __post_init__(self) -> None:
        rows, hidden = self.weight_hh.shape
        if rows != 4 * hidden or self.weight_ih.ndim != 2 or self.weight_ih.shape[0] != rows \
                or self.bias.shape != (rows,) or self.weight_peep.shape != (3, hidden):
            raise ConfigError(
                "peephole parameters must be weight_ih [4H, D], weight_hh [4H, H], bias [4H],"
                f" weight_peep [3, H]; got {self.weight_ih.shape}, {self.weight_hh.shape},"
                f" {self.bias.shape}, {self.weight_peep.shape}")

    @property
    def hidden_size(self) -> int:
        return int(self.weight_hh.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.weight_ih.shape[1])

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def zeros_like(self) -> PeepholeParams:
        return PeepholeParams(*(np.zeros_like(a) for a in self.arrays().values()))


@dataclass(frozen=True)
class PeepholeCache:
    x: np.ndarray  # [T, B, D]
    hs: np.ndarray  # [T+1, B, H]
    cs: np.ndarray  # [T+1, B, H]
    gates: np.ndarray  # [T, 4, B, H] i, f, g, o


def _cell(module: nn.Module, layer: int) -> PeepholeLSTMCell:
    if isinstance(module, PeepholeLSTMLayers):
        if not 0 <= layer < module.num_layers:
            raise ConfigError(f"layer must be in 0..{module.num_layers - 1}, got {layer}")
        return module.layers[layer]
    if isinstance(module, PeepholeLSTMCell):
        return module
    raise ConfigError(f"expected a gatecast PeepholeLSTMLayers or PeepholeLSTMCell, got"
                      f" {type(module).__name__}")


def from_torch(module: nn.Module, layer: int = 0) -> PeepholeParams:
    """The float64 weights of a :class:`~gatecast.nn.cells.PeepholeLSTMCell` (or of layer
    ``layer`` of a :class:`~gatecast.nn.cells.PeepholeLSTMLayers`); no bias gives a zero bias."""
    cell = _cell(module, layer)

    def arr(t: nn.Parameter | None, rows: int) -> np.ndarray:
        return np.zeros(rows) if t is None else t.detach().cpu().double().numpy().copy()

    return PeepholeParams(arr(cell.weight_ih, 0), arr(cell.weight_hh, 0),
                          arr(cell.bias, 4 * cell.hidden_size), arr(cell.weight_peep, 0))


def to_torch(params: PeepholeParams, module: nn.Module, layer: int = 0) -> None:
    """Write ``params`` into a peephole cell (or layer ``layer`` of a stack), in place."""
    cell = _cell(module, layer)
    with torch.no_grad():
        for name, value in params.arrays().items():
            p = getattr(cell, name)
            if p is None or tuple(p.shape) != value.shape:
                raise ConfigError(f"{name}: the cell's parameter does not match {value.shape}")
            p.copy_(torch.from_numpy(value).to(p.dtype))


def peephole_forward(
    p: PeepholeParams, x: np.ndarray, state: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], PeepholeCache]:
    """Equations (F1)-(F7); ``x`` [T, B, D] -> (outputs [T, B, H], (h_T, c_T), cache)."""
    h0, c0 = (None, None) if state is None else state
    T, B = check_sequence(x, p.input_size, p.hidden_size, h0, c0)
    H = p.hidden_size
    p_i, p_f, p_o = p.weight_peep  # [H] each
    hs = np.zeros((T + 1, B, H))
    cs = np.zeros((T + 1, B, H))
    if state is not None:
        hs[0], cs[0] = h0, c0
    gates = np.empty((T, 4, B, H))
    xw = x @ p.weight_ih.T + p.bias  # [T, B, 4H]
    for t in range(1, T + 1):
        z = xw[t - 1] + hs[t - 1] @ p.weight_hh.T  # (F1) [B, 4H]
        i = sigmoid(z[:, :H] + p_i * cs[t - 1])  # (F2)
        f = sigmoid(z[:, H:2 * H] + p_f * cs[t - 1])  # (F3)
        g = np.tanh(z[:, 2 * H:3 * H])  # (F4)
        cs[t] = f * cs[t - 1] + i * g  # (F5)
        o = sigmoid(z[:, 3 * H:] + p_o * cs[t])  # (F6)
        hs[t] = o * np.tanh(cs[t])  # (F7)
        gates[t - 1] = (i, f, g, o)
    cache = PeepholeCache(x=x, hs=hs, cs=cs, gates=gates)
    return hs[1:].copy(), (hs[T].copy(), cs[T].copy()), cache


def peephole_backward(
    p: PeepholeParams,
    cache: PeepholeCache,
    d_out: np.ndarray | None,
    d_state: tuple[np.ndarray | None, np.ndarray | None] | None = None,
) -> tuple[PeepholeParams, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Equations (B1)-(B8). Returns (parameter gradients, dL/dx, (dL/dh_0, dL/dc_0))."""
    x, hs, cs = cache.x, cache.hs, cache.cs
    T = x.shape[0]
    p_i, p_f, p_o = p.weight_peep
    d_hT, d_cT = (None, None) if d_state is None else d_state
    check_grads(d_out, cache.hs[1:].shape, d_hT, d_cT)
    grads = p.zeros_like()
    dx = np.zeros_like(x)
    rh = np.zeros_like(hs[0]) if d_hT is None else d_hT.copy()
    rc = np.zeros_like(cs[0]) if d_cT is None else d_cT.copy()
    for t in range(T, 0, -1):
        i, f, g, o = cache.gates[t - 1]
        dh = rh if d_out is None else d_out[t - 1] + rh  # (B1)
        tc = np.tanh(cs[t])
        da_o = dh * tc * o * (1.0 - o)  # (B2)
        dc = rc + dh * o * (1.0 - tc**2) + da_o * p_o  # (B3)
        da_i = dc * g * i * (1.0 - i)  # (B4)
        da_f = dc * cs[t - 1] * f * (1.0 - f)
        da_g = dc * i * (1.0 - g**2)
        grads.weight_peep[0] += (da_i * cs[t - 1]).sum(0)  # (B5)
        grads.weight_peep[1] += (da_f * cs[t - 1]).sum(0)
        grads.weight_peep[2] += (da_o * cs[t]).sum(0)
        dz = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (B6) [B, 4H]
        grads.weight_ih += dz.T @ x[t - 1]
        grads.weight_hh += dz.T @ hs[t - 1]
        grads.bias += dz.sum(0)
        dx[t - 1] = dz @ p.weight_ih
        rh = dz @ p.weight_hh  # (B7)
        rc = dc * f + da_i * p_i + da_f * p_f  # (B8)
    return grads, dx, (rh, rc)
