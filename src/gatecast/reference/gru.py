"""GRU in plain numpy: forward pass and backpropagation through time by hand.

Layout and equations exactly as ``torch.nn.GRU`` documents them: ``W = weight_ih`` [3H, D],
``U = weight_hh`` [3H, H], ``b = bias_ih``, ``b' = bias_hh`` [3H], blocks in the gate order
r, z, n. Note that the candidate n applies the reset gate to ``U_n h + b'_n`` (bias
included), which is why the two biases cannot be merged in the n block. ``x`` is
[T, B, D], states are [B, H] row vectors.

Forward, for t = 1..T from h_0 (write h = h_{t-1})::

    (F1)  u_t = W x_t + b                      input part,      split u_r, u_z, u_n  [B, H]
          v_t = U h + b'                       recurrent part,  split v_r, v_z, v_n  [B, H]
    (F2)  r_t = σ(u_r + v_r)                   reset gate
    (F3)  z_t = σ(u_z + v_z)                   update gate
    (F4)  n_t = tanh(u_n + r_t ⊙ v_n)          candidate
    (F5)  h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h      new state = output

Backward. The caller gives ``d_out[t] = ∂L/∂h_t`` and ``d_hT``; r_t below is the gradient
flowing into h_{t-1} through step t (r_T = d_hT). For t = T..1::

    (B1)  δh_t = d_out[t] + r_t
    (B2)  δn_t = δh_t ⊙ (1 - z_t),   δz_t = δh_t ⊙ (h - n_t)                     from (F5)
    (B3)  δa_n = δn_t ⊙ (1 - n_t²)          a_n = u_n + r_t ⊙ v_n, tanh' = 1 - tanh²
    (B4)  δu_n = δa_n,  δv_n = δa_n ⊙ r_t,  δr_t = δa_n ⊙ v_n                     from (F4)
    (B5)  δa_r = δr_t ⊙ r_t(1 - r_t),  δa_z = δz_t ⊙ z_t(1 - z_t)                  σ' = σ(1-σ)
    (B6)  δu_t = [δa_r, δa_z, δu_n],   δv_t = [δa_r, δa_z, δv_n]                  [B, 3H]
    (B7)  dL/dW += δu_t^T x_t,  dL/db += Σ_batch δu_t,
          dL/dU += δv_t^T h,    dL/db' += Σ_batch δv_t
    (B8)  dL/dx_t = δu_t W
    (B9)  r_{t-1} = δh_t ⊙ z_t + δv_t U     direct path through (F5) + through the gates

The direct term ``δh_t ⊙ z_t`` of (B9) plays the role of the LSTM's cell path: with update
gates z near 1 the gradient passes a step back nearly unchanged.
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

__all__ = ["GRUCache", "from_torch", "gru_backward", "gru_forward", "to_torch"]


@dataclass(frozen=True)
class GRUCache:
    """What the backward pass needs from the forward pass."""

    x: np.ndarray  # [T, B, D]
    hs: np.ndarray  # [T+1, B, H] h_0..h_T
    gates: np.ndarray  # [T, 3, B, H] r, z, n of every step
    vn: np.ndarray  # [T, B, H] U_n h_{t-1} + b'_n (what the reset gate multiplies)


def from_torch(module: nn.Module, layer: int = 0) -> LayerParams:
    """The weights of an ``nn.GRU`` (or ``nn.GRUCell``) layer."""
    return params_from_torch(module, "gru", layer)


def to_torch(params: LayerParams, module: nn.Module, layer: int = 0) -> None:
    """Write ``params`` into layer ``layer`` of an ``nn.GRU`` (or ``nn.GRUCell``), in place."""
    params_to_torch(params, module, "gru", layer)


def gru_forward(
    p: LayerParams, x: np.ndarray, h0: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, GRUCache]:
    """Run equations (F1)-(F5). ``x`` [T, B, D], ``h0`` [B, H] (zeros if None).

    Returns (outputs [T, B, H], h_T [B, H], cache for :func:`gru_backward`).
    """
    T, B = check_sequence(x, p.input_size, p.hidden_size, h0)
    H = p.hidden_size
    hs = np.empty((T + 1, B, H))  # [T+1, B, H]
    hs[0] = 0.0 if h0 is None else h0
    gates = np.empty((T, 3, B, H))  # [T, 3, B, H]
    vns = np.empty((T, B, H))  # [T, B, H]
    u_all = x @ p.weight_ih.T + p.bias_ih  # (F1) input part, all steps [T, B, 3H]
    for t in range(1, T + 1):
        u = u_all[t - 1]  # [B, 3H]
        v = hs[t - 1] @ p.weight_hh.T + p.bias_hh  # (F1) [B, 3H]
        r = sigmoid(u[:, :H] + v[:, :H])  # (F2)
        z = sigmoid(u[:, H:2 * H] + v[:, H:2 * H])  # (F3)
        n = np.tanh(u[:, 2 * H:] + r * v[:, 2 * H:])  # (F4)
        hs[t] = (1.0 - z) * n + z * hs[t - 1]  # (F5)
        gates[t - 1] = (r, z, n)
        vns[t - 1] = v[:, 2 * H:]
    return hs[1:].copy(), hs[T].copy(), GRUCache(x=x, hs=hs, gates=gates, vn=vns)


def gru_backward(
    p: LayerParams, cache: GRUCache, d_out: np.ndarray | None, d_hT: np.ndarray | None = None
) -> tuple[LayerParams, np.ndarray, np.ndarray]:
    """Backpropagation through time, equations (B1)-(B9).

    ``d_out`` [T, B, H] = ∂L/∂(outputs) or None, ``d_hT`` [B, H] = ∂L/∂h_T or None.
    Returns (parameter gradients, dL/dx [T, B, D], dL/dh_0 [B, H]).
    """
    x, hs = cache.x, cache.hs
    T = x.shape[0]
    check_grads(d_out, cache.hs[1:].shape, d_hT)
    grads = p.zeros_like()
    dx = np.zeros_like(x)  # [T, B, D]
    r_in = np.zeros_like(hs[0]) if d_hT is None else d_hT.copy()  # [B, H]
    for t in range(T, 0, -1):
        r, z, n = cache.gates[t - 1]  # [B, H] each
        h_prev = hs[t - 1]
        dh = r_in if d_out is None else d_out[t - 1] + r_in  # (B1)
        dn, dz = dh * (1.0 - z), dh * (h_prev - n)  # (B2)
        da_n = dn * (1.0 - n**2)  # (B3)
        dvn, dr = da_n * r, da_n * cache.vn[t - 1]  # (B4)
        da_r, da_z = dr * r * (1.0 - r), dz * z * (1.0 - z)  # (B5)
        du = np.concatenate([da_r, da_z, da_n], axis=1)  # (B6) [B, 3H]
        dv = np.concatenate([da_r, da_z, dvn], axis=1)  # [B, 3H]
        grads.weight_ih += du.T @ x[t - 1]  # (B7)
        grads.bias_ih += du.sum(0)
        grads.weight_hh += dv.T @ h_prev
        grads.bias_hh += dv.sum(0)
        dx[t - 1] = du @ p.weight_ih  # (B8)
        r_in = dh * z + dv @ p.weight_hh  # (B9)
    return grads, dx, r_in
