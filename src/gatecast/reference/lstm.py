"""LSTM in plain numpy: forward pass and backpropagation through time by hand.

Layout as ``nn.LSTM``: ``W = weight_ih`` [4H, D], ``U = weight_hh`` [4H, H], biases ``b =
bias_ih``, ``b' = bias_hh`` [4H], the four blocks of H rows in the gate order i, f, g, o
(``W_i = W[0:H]``, ``W_f = W[H:2H]``, ...). ``x`` is [T, B, D], states are [B, H] row vectors,
``σ`` is the sigmoid and ``⊙`` the element-wise product.

Forward, for t = 1..T from (h_0, c_0)::

    (F1)  z_t = W x_t + b + U h_{t-1} + b'          all four pre-activations   [B, 4H]
          split z_t into z_i, z_f, z_g, z_o         [B, H] each
    (F2)  i_t = σ(z_i)    input gate
    (F3)  f_t = σ(z_f)    forget gate
    (F4)  g_t = tanh(z_g) candidate
    (F5)  o_t = σ(z_o)    output gate
    (F6)  c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t          cell state
    (F7)  h_t = o_t ⊙ tanh(c_t)                    hidden state = output

Backward. δv denotes the total gradient dL/dv. The caller gives ``d_out[t] = ∂L/∂h_t``
through the outputs and (``d_hT``, ``d_cT``) through the final state. Two gradients flow
back in time, r^h (into h_{t-1} through step t) and r^c (into c_{t-1}); they start as
r^h_T = d_hT, r^c_T = d_cT. For t = T..1::

    (B1)  δh_t = d_out[t] + r^h_t
    (B2)  δo_t = δh_t ⊙ tanh(c_t)                                   from (F7)
    (B3)  δc_t = r^c_t + δh_t ⊙ o_t ⊙ (1 - tanh²(c_t))             from (F7), plus step t+1
    (B4)  δf_t = δc_t ⊙ c_{t-1},  δi_t = δc_t ⊙ g_t,  δg_t = δc_t ⊙ i_t      from (F6)
    (B5)  δz_i = δi_t ⊙ i_t(1 - i_t),  δz_f = δf_t ⊙ f_t(1 - f_t),
          δz_g = δg_t ⊙ (1 - g_t²),    δz_o = δo_t ⊙ o_t(1 - o_t)           σ' = σ(1-σ)
          δz_t = [δz_i, δz_f, δz_g, δz_o]                          [B, 4H]
    (B6)  dL/dW += δz_t^T x_t,  dL/dU += δz_t^T h_{t-1},  dL/db = dL/db' += Σ_batch δz_t
    (B7)  dL/dx_t = δz_t W
    (B8)  r^h_{t-1} = δz_t U
    (B9)  r^c_{t-1} = δc_t ⊙ f_t                                    the cell path, from (F6)

and (dL/dh_0, dL/dc_0) = (r^h_0, r^c_0). (B9) is why the LSTM keeps its gradient: along the
cell path each step back multiplies it by f_t alone (no weight matrix, no squashing
derivative), so with forget gates near 1 it survives many steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from gatecast.reference.params import (
    LayerParams,
    check_grads,
    check_sequence,
    params_from_torch,
    params_to_torch,
    sigmoid,
)

__all__ = ["LSTMCache", "from_torch", "lstm_backward", "lstm_forward", "to_torch"]


@dataclass(frozen=True)
class LSTMCache:
    """What the backward pass needs from the forward pass."""

    x: np.ndarray  # [T, B, D]
    hs: np.ndarray  # [T+1, B, H] h_0..h_T
    cs: np.ndarray  # [T+1, B, H] c_0..c_T
    gates: np.ndarray  # [T, 4, B, H] activated i, f, g, o of every step


def from_torch(module: nn.Module, layer: int = 0) -> LayerParams:
    """The weights of an ``nn.LSTM`` (or ``nn.LSTMCell``) layer."""
    return params_from_torch(module, "lstm", layer)


def to_torch(params: LayerParams, module: nn.Module, layer: int = 0) -> None:
    """Write ``params`` into layer ``layer`` of an ``nn.LSTM`` (or ``nn.LSTMCell``), in place."""
    params_to_torch(params, module, "lstm", layer)


def lstm_forward(
    p: LayerParams, x: np.ndarray, state: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], LSTMCache]:
    """Run equations (F1)-(F7). ``x`` [T, B, D], ``state`` = (h_0, c_0) [B, H] or None (zeros).

    Returns (outputs [T, B, H], (h_T, c_T), cache for :func:`lstm_backward`).
    """
    h0, c0 = (None, None) if state is None else state
    T, B = check_sequence(x, p.input_size, p.hidden_size, h0, c0)
    H = p.hidden_size
    hs = np.zeros((T + 1, B, H))  # [T+1, B, H]
    cs = np.zeros((T + 1, B, H))  # [T+1, B, H]
    if state is not None:
        hs[0], cs[0] = h0, c0
    gates = np.empty((T, 4, B, H))  # [T, 4, B, H]
    xw = x @ p.weight_ih.T + p.bias_ih  # [T, B, 4H]: W x_t + b for all steps
    for t in range(1, T + 1):
        z = xw[t - 1] + hs[t - 1] @ p.weight_hh.T + p.bias_hh  # (F1) [B, 4H]
        i = sigmoid(z[:, :H])  # (F2)
        f = sigmoid(z[:, H:2 * H])  # (F3)
        g = np.tanh(z[:, 2 * H:3 * H])  # (F4)
        o = sigmoid(z[:, 3 * H:])  # (F5)
        cs[t] = f * cs[t - 1] + i * g  # (F6)
        hs[t] = o * np.tanh(cs[t])  # (F7)
        gates[t - 1] = (i, f, g, o)
    cache = LSTMCache(x=x, hs=hs, cs=cs, gates=gates)
    return hs[1:].copy(), (hs[T].copy(), cs[T].copy()), cache


def lstm_backward(
    p: LayerParams,
    cache: LSTMCache,
    d_out: np.ndarray | None,
    d_state: tuple[np.ndarray | None, np.ndarray | None] | None = None,
) -> tuple[LayerParams, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Backpropagation through time, equations (B1)-(B9).

    ``d_out`` [T, B, H] = ∂L/∂(outputs) or None; ``d_state`` = (∂L/∂h_T, ∂L/∂c_T), each
    [B, H] or None. Returns (parameter gradients, dL/dx [T, B, D], (dL/dh_0, dL/dc_0)).
    """
    x, hs, cs = cache.x, cache.hs, cache.cs
    T = x.shape[0]
    d_hT, d_cT = (None, None) if d_state is None else d_state
    check_grads(d_out, cache.hs[1:].shape, d_hT, d_cT)
    grads = p.zeros_like()
    dx = np.zeros_like(x)  # [T, B, D]
    rh = np.zeros_like(hs[0]) if d_hT is None else d_hT.copy()  # [B, H]
    rc = np.zeros_like(cs[0]) if d_cT is None else d_cT.copy()  # [B, H]
    for t in range(T, 0, -1):
        i, f, g, o = cache.gates[t - 1]  # [B, H] each
        dh = rh if d_out is None else d_out[t - 1] + rh  # (B1)
        tc = np.tanh(cs[t])
        do = dh * tc  # (B2)
        dc = rc + dh * o * (1.0 - tc**2)  # (B3)
        df, di, dg = dc * cs[t - 1], dc * g, dc * i  # (B4)
        dz = np.concatenate(  # (B5) [B, 4H]
            [di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g**2), do * o * (1.0 - o)],
            axis=1,
        )
        grads.weight_ih += dz.T @ x[t - 1]  # (B6)
        grads.weight_hh += dz.T @ hs[t - 1]
        grads.bias_ih += dz.sum(0)
        grads.bias_hh += dz.sum(0)
        dx[t - 1] = dz @ p.weight_ih  # (B7)
        rh = dz @ p.weight_hh  # (B8)
        rc = dc * f  # (B9)
    return grads, dx, (rh, rc)
