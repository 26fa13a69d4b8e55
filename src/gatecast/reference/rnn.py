"""Elman RNN (tanh) in plain numpy: forward pass and backpropagation through time by hand.

Notation, for one layer over a sequence ``x`` [T, B, D] (time-major, like ``nn.RNN`` without
``batch_first``): ``W = weight_ih`` [H, D], ``U = weight_hh`` [H, H], ``b = bias_ih``,
``b' = bias_hh`` [H]. Row vectors: one row per batch element, so ``W x_t`` is ``x_t @ W.T``.

Forward, for t = 1..T from the initial state h_0::

    (F1)  a_t = W x_t + b + U h_{t-1} + b'        pre-activation         [B, H]
    (F2)  h_t = tanh(a_t)                         hidden state = output  [B, H]

Backward. The loss L depends on every output h_t directly (through ``d_out[t] = ∂L/∂h_t``
as given by the caller) and, for t < T, through h_{t+1}. Write δh_t for the total gradient
dL/dh_t and δa_t for dL/da_t. Going from t = T down to 1, with δh_{T+1}-contribution
``d_hT`` (the gradient of a loss on the final state, 0 if none)::

    (B1)  δh_t = d_out[t] + r_t             r_T = d_hT;  r_t = U^T δa_{t+1}, see (B5)
    (B2)  δa_t = δh_t ⊙ (1 - h_t²)          because tanh'(a) = 1 - tanh(a)²
    (B3)  dL/dW += δa_t^T x_t,   dL/dU += δa_t^T h_{t-1},   dL/db = dL/db' += Σ_batch δa_t
    (B4)  dL/dx_t = δa_t W
    (B5)  r_{t-1} = δa_t U                  the recurrent path: dL/dh_{t-1} through step t

and finally dL/dh_0 = r_0. (B2)+(B5) show the vanishing gradient: each step back multiplies
the gradient by the Jacobian ``∂h_t/∂h_{t-1} = diag(1 - h_t²) U``, whose norm is at most
‖U‖₂; with ‖U‖₂ < 1 the gradient from k steps ahead shrinks at least like ‖U‖₂^k.
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
)

__all__ = ["RNNCache", "from_torch", "rnn_backward", "rnn_forward", "to_torch"]


@dataclass(frozen=True)
class RNNCache:
    """What the backward pass needs from the forward pass."""

    x: np.ndarray  # [T, B, D] inputs
    hs: np.ndarray  # [T+1, B, H] h_0, h_1, ..., h_T


def from_torch(module: nn.Module, layer: int = 0) -> LayerParams:
    """The weights of an ``nn.RNN(nonlinearity='tanh')`` (or ``nn.RNNCell``) layer."""
    return params_from_torch(module, "rnn", layer)


def to_torch(params: LayerParams, module: nn.Module, layer: int = 0) -> None:
    """Write ``params`` into layer ``layer`` of an ``nn.RNN`` (or ``nn.RNNCell``), in place."""
    params_to_torch(params, module, "rnn", layer)


def rnn_forward(
    p: LayerParams, x: np.ndarray, h0: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, RNNCache]:
    """Run equations (F1)-(F2). ``x`` [T, B, D], ``h0`` [B, H] (zeros if None).

    Returns (outputs [T, B, H] = h_1..h_T, h_T [B, H], cache for :func:`rnn_backward`).
    """
    T, B = check_sequence(x, p.input_size, p.hidden_size, h0)
    H = p.hidden_size
    hs = np.empty((T + 1, B, H))  # [T+1, B, H]
    hs[0] = 0.0 if h0 is None else h0
    xw = x @ p.weight_ih.T + p.bias_ih  # [T, B, H]: the W x_t + b part of (F1), all steps
    for t in range(1, T + 1):
        a = xw[t - 1] + hs[t - 1] @ p.weight_hh.T + p.bias_hh  # (F1) [B, H]
        hs[t] = np.tanh(a)  # (F2)
    return hs[1:].copy(), hs[T].copy(), RNNCache(x=x, hs=hs)


def rnn_backward(
    p: LayerParams, cache: RNNCache, d_out: np.ndarray | None, d_hT: np.ndarray | None = None
) -> tuple[LayerParams, np.ndarray, np.ndarray]:
    """Backpropagation through time, equations (B1)-(B5).

    ``d_out`` [T, B, H] = ∂L/∂(outputs) (None: the loss does not see the outputs), ``d_hT``
    [B, H] = ∂L/∂h_T through the final state (None: zero). Returns (gradients of every
    parameter, dL/dx [T, B, D], dL/dh_0 [B, H]).
    """
    x, hs = cache.x, cache.hs
    T = x.shape[0]
    check_grads(d_out, cache.hs[1:].shape, d_hT)
    grads = p.zeros_like()
    dx = np.zeros_like(x)  # [T, B, D]
    r = np.zeros_like(hs[0]) if d_hT is None else d_hT.copy()  # [B, H] recurrent gradient
    for t in range(T, 0, -1):
        dh = r if d_out is None else d_out[t - 1] + r  # (B1) [B, H]
        da = dh * (1.0 - hs[t] ** 2)  # (B2) [B, H]
        grads.weight_ih += da.T @ x[t - 1]  # (B3)
        grads.weight_hh += da.T @ hs[t - 1]
        grads.bias_ih += da.sum(0)
        grads.bias_hh += da.sum(0)
        dx[t - 1] = da @ p.weight_ih  # (B4) [B, D]
        r = da @ p.weight_hh  # (B5) [B, H]
    return grads, dx, r
