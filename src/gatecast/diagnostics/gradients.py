"""Gradient flow through time: does the learning signal reach the start of the window?

For one recurrent layer of each cell kind (``rnn``, ``lstm``, ``gru``, ``peephole``) run an
input sequence x_1..x_T (noise, or a real series), put a loss on the LAST output only,
``L = v · h_T`` with a fixed random unit vector v (so ``‖∂L/∂h_T‖ = 1``), and measure by
backpropagation through time

* ``grad_h[t] = ‖∂L/∂h_t‖`` for every step t: how much of the learning signal from step T
  is left k = T - t steps back. For the LSTM and the peephole LSTM also
  ``grad_c[t] = ‖∂L/∂c_t‖``, the part travelling along the cell path, and the gradient of
  the whole state ``grad_state[t] = sqrt(grad_h[t]² + grad_c[t]²)`` (= ``grad_h`` for the
  RNN and the GRU, whose state is h alone). The summary uses ``grad_state``: an LSTM's
  ``∂L/∂h_t`` alone can dip at a step whose gates are shut while the cell path still
  carries the signal past it.
* ``jacobian[t] = ‖∂s_t/∂s_{t-1}‖₂``, the spectral norm of the one-step Jacobian of the
  recurrent state (s = h, or s = (h, c) for the LSTMs), taken at the states the sequence
  actually visits. Backpropagation multiplies by these Jacobians' transposes, so
  ``grad(t-k) <= grad(t) · Π ‖J‖``: norms persistently below 1 force the gradient to
  vanish; above 1 they allow (but do not force) it to explode.

The summary per cell: ``ratio = grad_state[1] / grad_state[T]``, the per-step factor
``ratio^(1/(T-1))``, ``reach``, the number of steps back after which ``grad_state`` first
falls below ``vanish_below`` (1e-3) of its value at T, and a verdict in words. Everything is
computed in float64 so that gradients far below float32's range (1e-38) are still measured.

Initialisations (``init``), applied to the recurrent weights U (every gate block):

* ``default``: PyTorch's uniform ±1/sqrt(H) (with the LSTM's forget-gate bias below).
* ``orthogonal``: each H×H gate block an orthogonal matrix (spectral norm exactly 1).
* ``small``: orthogonal blocks scaled to spectral norm 0.5, the textbook vanishing case: a
  tanh RNN's Jacobian ``diag(1 - h_t²) U`` then has norm <= 0.5 at every step.

``scale`` multiplies U after any of them; ``forget_bias`` sets the LSTM and peephole
forget-gate bias (1 by default, gatecast's training default; PyTorch's own is about 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from gatecast.errors import ConfigError
from gatecast.nn.cells import PeepholeLSTMLayers
from gatecast.nn.recurrent import CELLS, init_forget_bias, make_rnn

__all__ = ["INITS", "CellGradientFlow", "GradientFlowConfig", "GradientFlowResult",
           "build_layer", "gradient_flow"]

INITS: tuple[str, ...] = ("default", "orthogonal", "small")
SMALL_NORM = 0.5  # spectral norm of every recurrent gate block under init="small"
EXPLODE_ABOVE = 1e3  # ratio first/last above which the verdict is "exploding"
_GATES = {"rnn": 1, "lstm": 4, "gru": 3, "peephole": 4}
_HAS_CELL = {"lstm", "peephole"}
_JACOBIAN_BATCH = 1 << 21  # numbers per batched Jacobian pass (x ~10 in memory for the LSTM)


@dataclass(frozen=True)
class GradientFlowConfig:
    """What to measure. Validated at construction (ConfigError, one line)."""

    cells: tuple[str, ...] = ("rnn", "lstm", "gru")
    length: int = 200
    hidden_size: int = 32
    input_size: int = 1
    init: str = "default"
    scale: float = 1.0
    forget_bias: float = 1.0
    seed: int = 0
    vanish_below: float = 1e-3

    def __post_init__(self) -> None:
        cells = tuple(self.cells)
        object.__setattr__(self, "cells", cells)
        if not cells:
            raise ConfigError(f"give at least one cell ({', '.join(CELLS)})")
        bad = [c for c in cells if c not in CELLS]
        if bad:
            raise ConfigError(f"unknown cell {bad[0]!r}; choose from {', '.join(CELLS)}")
        if len(set(cells)) != len(cells):
            raise ConfigError(f"cells are listed twice in {','.join(cells)}; name each once")
        if self.length < 2:
            raise ConfigError(f"length must be >= 2 steps to see gradients flow, got"
                              f" {self.length}")
        if self.hidden_size < 1 or self.input_size < 1:
            raise ConfigError(f"hidden_size and input_size must be >= 1, got"
                              f" {self.hidden_size} and {self.input_size}")
        if self.init not in INITS:
            raise ConfigError(f"unknown init {self.init!r}; choose from {', '.join(INITS)}")
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ConfigError(f"scale must be a positive number, got {self.scale}")
        if not math.isfinite(self.forget_bias):
            raise ConfigError(f"forget_bias must be a finite number, got {self.forget_bias}")
        if not 0 < self.vanish_below < 1:
            raise ConfigError(f"vanish_below must be in (0, 1), got {self.vanish_below}")


@dataclass(frozen=True)
class CellGradientFlow:
    """The measurements for one cell; arrays are indexed by step t = 1..T (position t-1)."""

    cell: str
    grad_h: np.ndarray  # [T] ‖∂L/∂h_t‖
    grad_c: np.ndarray | None  # [T] ‖∂L/∂c_t‖ (lstm, peephole), else None
    grad_state: np.ndarray  # [T] ‖∂L/∂s_t‖, s = h or (h, c)
    jacobian: np.ndarray  # [T] ‖∂s_t/∂s_{t-1}‖₂
    ratio: float  # grad_state[first] / grad_state[last]
    per_step: float  # ratio ** (1 / (T - 1)), over the non-underflowed steps
    reach: int | None  # steps back until grad_state < vanish_below * its last; None: never
    verdict: str


@dataclass(frozen=True)
class GradientFlowResult:
    config: GradientFlowConfig
    cells: dict[str, CellGradientFlow] = field(default_factory=dict)
    source: str = "noise"  # where the input sequence came from
    readout: np.ndarray | None = None  # [H] the unit vector v of the loss L = v · h_T

    def summary(self) -> pd.DataFrame:
        """One row per cell (index ``cell``): ratio, per-step factor, reach (NaN: never), the
        median and largest Jacobian norm, the verdict, and for the LSTMs the ``cell share``
        ``‖∂L/∂c_1‖ / ‖∂L/∂s_1‖`` (1: all the gradient reaching step 1 is on the cell path)."""
        rows = []
        for name, r in self.cells.items():
            rows.append({
                "cell": name,
                "ratio": r.ratio,
                "per step": r.per_step,
                "reach": np.nan if r.reach is None else float(r.reach),
                "cell share": np.nan if r.grad_c is None else r.grad_c[0] / r.grad_state[0],
                "median J": float(np.median(r.jacobian)),
                "max J": float(np.max(r.jacobian)),
                "verdict": r.verdict,
            })
        return pd.DataFrame(rows).set_index("cell")

    def to_frame(self) -> pd.DataFrame:
        """Long per-step table: cell, step t, steps_back = T - t, grad_h, grad_c, grad_state,
        jacobian."""
        T = self.config.length
        parts = []
        for name, r in self.cells.items():
            steps = np.arange(1, T + 1)
            parts.append(pd.DataFrame({
                "cell": name, "step": steps, "steps_back": T - steps, "grad_h": r.grad_h,
                "grad_c": np.nan if r.grad_c is None else r.grad_c,
                "grad_state": r.grad_state, "jacobian": r.jacobian}))
        return pd.concat(parts, ignore_index=True)

    @property
    def verdicts(self) -> list[str]:
        return [r.verdict for r in self.cells.values()]


def gradient_flow(
    config: GradientFlowConfig, inputs: np.ndarray | None = None, source: str | None = None
) -> GradientFlowResult:
    """Measure the gradient flow of every cell in ``config`` on one sequence.

    ``inputs`` [length, input_size] is the sequence (e.g. a standardised series); None draws
    standard normal noise from ``config.seed``. Every cell is built and initialised from the
    same seed, so its result does not depend on which other cells are measured.
    """
    T, D = config.length, config.input_size
    rng = np.random.default_rng(config.seed)
    if inputs is None:
        seq = rng.standard_normal((T, D))
        source = source or "standard normal noise"
    else:
        seq = np.asarray(inputs, dtype=np.float64)
        if seq.ndim == 1:
            seq = seq[:, None]
        if seq.shape != (T, D):
            raise ConfigError(f"inputs must be [length={T}, input_size={D}], got {seq.shape}")
        if not np.all(np.isfinite(seq)):
            raise ConfigError("inputs contain NaN or infinite values; fill or drop them first")
        source = source or "given inputs"
    readout = rng.standard_normal(config.hidden_size)
    readout /= np.linalg.norm(readout)
    x = torch.tensor(seq).view(1, T, D)  # [batch=1, T, D]
    v = torch.tensor(readout)  # [H]
    cells = {c: _measure(c, config, x, v) for c in config.cells}
    return GradientFlowResult(config=config, cells=cells, source=source, readout=readout)


def build_layer(cell: str, config: GradientFlowConfig) -> nn.Module:
    """The float64 one-layer ``cell`` that :func:`gradient_flow` measures, initialised as
    ``config`` says from ``config.seed`` (the global torch RNG is left untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        net = make_rnn(cell, config.input_size, config.hidden_size).double()
        _init_recurrent(net, cell, config)
    return net


def _init_recurrent(net: nn.Module, cell: str, config: GradientFlowConfig) -> None:
    H = config.hidden_size
    if isinstance(net, PeepholeLSTMLayers):
        u, bias = net.layers[0].weight_hh, net.layers[0].bias
    else:
        u, bias = net.weight_hh_l0, None
    with torch.no_grad():
        if config.init != "default":
            norm = SMALL_NORM if config.init == "small" else 1.0
            for k in range(_GATES[cell]):
                nn.init.orthogonal_(u[k * H:(k + 1) * H], gain=norm)
        u.mul_(config.scale)
        if isinstance(net, nn.LSTM):
            init_forget_bias(net, config.forget_bias)
        elif bias is not None:
            bias[H:2 * H].fill_(config.forget_bias)


def _measure(cell: str, config: GradientFlowConfig, x: Tensor, v: Tensor) -> CellGradientFlow:
    net = build_layer(cell, config)
    T, H = config.length, config.hidden_size
    has_cell = cell in _HAS_CELL
    # step by step, so that every state h_t (and c_t) is a tensor whose gradient we can keep
    state = None
    hs: list[Tensor] = []
    cs: list[Tensor] = []
    for t in range(T):
        _, state = net(x[:, t:t + 1], state)  # state [1, 1, H] (or a pair of them)
        h = state[0] if has_cell else state
        h.retain_grad()
        hs.append(h)
        if has_cell:
            state[1].retain_grad()
            cs.append(state[1])
    loss = (hs[-1].view(H) * v).sum()  # L = v · h_T
    loss.backward()
    grad_h = np.array([_norm(h.grad) for h in hs])  # [T]
    grad_c = np.array([_norm(c.grad) for c in cs]) if has_cell else None
    h_prev = torch.cat([torch.zeros(1, 1, H, dtype=x.dtype), *(h.detach() for h in hs[:-1])])
    c_prev = (torch.cat([torch.zeros(1, 1, H, dtype=x.dtype), *(c.detach() for c in cs[:-1])])
              if has_cell else None)
    jac = _jacobian_norms(net, x[0], h_prev.view(T, H),
                          None if c_prev is None else c_prev.view(T, H))
    grad_s = grad_h if grad_c is None else np.hypot(grad_h, grad_c)  # [T]
    ratio = grad_s[0] / grad_s[-1]
    # per-step factor over the steps whose gradient did not underflow to 0 (all, usually)
    far = int(np.argmax(grad_s > 0))  # the farthest step back with a non-zero gradient
    per_step = (grad_s[far] / grad_s[-1]) ** (1.0 / (T - 1 - far)) if far < T - 1 else 0.0
    below = np.nonzero(grad_s[::-1] < config.vanish_below * grad_s[-1])[0]  # by steps back
    reach = int(below[0]) if below.size else None
    verdict = _verdict(cell, T, ratio, per_step, reach, grad_h, grad_c, config.vanish_below)
    return CellGradientFlow(cell, grad_h, grad_c, grad_s, jac, float(ratio), float(per_step),
                            reach, verdict)


def _norm(grad: Tensor | None) -> float:
    # no gradient = the loss does not depend on the tensor while h_T is held fixed (c_T: the
    # loss sees the cell state only through h_T)
    return 0.0 if grad is None else float(grad.norm())


def _jacobian_norms(net: nn.Module, x: Tensor, h_prev: Tensor,
                    c_prev: Tensor | None) -> np.ndarray:
    """‖∂s_t/∂s_{t-1}‖₂ for every t. ``x`` [T, D], ``h_prev``/``c_prev`` [T, H] are the
    inputs and the states entering step t.

    The whole Jacobian of many steps comes out of ONE backward pass: the state entering step
    t is copied S times (S = state size) into a batch of one-step sequences; copy k only
    feeds output k, so the gradient of Σ_k out_k[k] with respect to copy k is row k of J.
    Steps are taken in chunks so that the batch stays near ``_JACOBIAN_BATCH`` numbers.
    """
    s_prev = h_prev if c_prev is None else torch.cat([h_prev, c_prev], dim=1)  # [T, S]
    T, S = s_prev.shape
    chunk = max(1, _JACOBIAN_BATCH // (S * S))
    norms = [_jacobian_chunk(net, x[a:a + chunk], s_prev[a:a + chunk], h_prev.shape[1],
                             c_prev is not None) for a in range(0, T, chunk)]
    return np.concatenate(norms)  # [T]


def _jacobian_chunk(net: nn.Module, x: Tensor, s_prev: Tensor, H: int,
                    has_cell: bool) -> np.ndarray:
    n, S = s_prev.shape  # n steps of this chunk
    D = x.shape[1]
    copies = s_prev.unsqueeze(1).expand(n, S, S).reshape(n * S, S).clone()  # [n*S, S]
    copies.requires_grad_(True)
    xs = x.unsqueeze(1).expand(n, S, D).reshape(n * S, 1, D)  # [n*S, 1, D]
    h0 = copies[:, :H].unsqueeze(0)  # [1, n*S, H]
    if has_cell:
        _, (h1, c1) = net(xs, (h0, copies[:, H:].unsqueeze(0)))
        s_next = torch.cat([h1[0], c1[0]], dim=1)  # [n*S, S]
    else:
        _, h1 = net(xs, h0)  # [1, n*S, H]
        s_next = h1[0]  # [n*S, S]
    diag = s_next.view(n, S, S).diagonal(dim1=1, dim2=2)  # [n, S]: copy k -> output k
    diag.sum().backward()
    jac = copies.grad.view(n, S, S)  # [n, S, S], jac[t, k] = ∂s_t[k]/∂s_{t-1}
    return torch.linalg.matrix_norm(jac, ord=2).numpy()  # [n]


def _verdict(cell: str, T: int, ratio: float, per_step: float, reach: int | None,
             grad_h: np.ndarray, grad_c: np.ndarray | None, vanish_below: float) -> str:
    steps = T - 1
    if ratio == 0.0:
        head = (f"{cell}: gradient underflows to 0 within {steps} steps (x{per_step:.3f} per"
                f" step, below {vanish_below:g} after {reach} steps back) — vanishing")
    elif ratio < vanish_below:
        head = (f"{cell}: gradient shrinks {1 / ratio:.2g}x over {steps} steps"
                f" (x{per_step:.3f} per step, below {vanish_below:g} after {reach} steps"
                " back) — vanishing")
    elif ratio > EXPLODE_ABOVE:
        head = (f"{cell}: gradient grows {ratio:.2g}x over {steps} steps (x{per_step:.3f}"
                " per step) — exploding: clip gradients or lower the recurrent weights")
    else:
        head = (f"{cell}: gradient keeps {ratio:.2g} of its size over {steps} steps"
                f" (x{per_step:.3f} per step) — preserved")
    if grad_c is not None and grad_c[0] > grad_h[0]:
        kept = ratio >= vanish_below
        head += ("; carried by the cell path" if kept
                 else "; what is left travels along the cell path")
    return head
