"""Central finite differences: the independent check of a hand-written backward pass.

For a scalar loss L(θ), each partial derivative is estimated as::

    ∂L/∂θ_k ≈ (L(θ + ε e_k) - L(θ - ε e_k)) / (2ε)

whose error is O(ε²) (the first-order terms cancel) plus round-off O(u·|L|/ε) with u ≈ 1e-16
in float64; ε = 1e-6 balances the two near 1e-10 relative error, far below the 1e-6 the tests
ask for. One evaluation pair per entry, so keep the arrays small.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["max_relative_error", "numerical_gradient"]


def numerical_gradient(loss: Callable[[], float], array: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:
    """dL/d(array) by central differences. ``loss()`` must read ``array`` (which is perturbed
    in place, entry by entry, and restored exactly afterwards)."""
    if array.dtype != np.float64:
        raise TypeError(f"finite differences need float64, got {array.dtype}")
    if not array.flags.c_contiguous:  # reshape would copy and the perturbations be lost
        raise ValueError("numerical_gradient needs a C-contiguous array (perturbed in place)")
    grad = np.zeros_like(array)
    flat, gflat = array.reshape(-1), grad.reshape(-1)  # views
    for k in range(flat.size):
        orig = flat[k]
        flat[k] = orig + eps
        up = loss()
        flat[k] = orig - eps
        down = loss()
        flat[k] = orig
        gflat[k] = (up - down) / (2.0 * eps)
    return grad


def max_relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(1, max |b|): relative for large gradients, absolute for small ones."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))
