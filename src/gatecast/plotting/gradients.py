"""Gradient flow through time: ‖∂L/∂s_t‖ against steps back, one line per cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gatecast.plotting.style import (
    BASELINE_COLOUR,
    COLOURS,
    apply_fonts,
    new_figure,
    save_figure,
    style_axes,
)

__all__ = ["plot_gradient_flow"]


def plot_gradient_flow(result: Any, path: str | Path | None = None) -> Figure:
    """A :class:`~gatecast.diagnostics.gradients.GradientFlowResult` (read by its attributes:
    drawing needs no torch) in two panels: left, the gradient norm of the recurrent state
    against the number of steps back from the loss (log scale; solid = the whole state,
    dashed = the LSTMs' hidden state h alone, so the gap between them is what the cell path
    carries; dotted grey = the ``vanish_below`` level); right, the spectral norm of the one-step
    Jacobian ‖∂s_t/∂s_{t-1}‖ at every step, with 1 marked (persistently below 1 forces
    the gradient to vanish). Written as PNG or SVG (by suffix) when ``path`` is given."""
    cfg = result.config
    T = cfg.length
    back = np.arange(T - 1, -1, -1)  # steps back of t = 1..T
    fig = new_figure(11.0, 4.0)
    ax, axj = fig.subplots(1, 2, width_ratios=[3, 2])
    for k, (name, r) in enumerate(result.cells.items()):
        colour = COLOURS[k % len(COLOURS)]
        label = f"{name} (x{r.per_step:.3f}/step)"
        ax.plot(back, r.grad_state, color=colour, lw=1.5, label=label)
        if r.grad_c is not None:
            ax.plot(back, r.grad_h, color=colour, lw=1.0, ls="--", label=f"{name}: h only")
        axj.plot(np.arange(1, T + 1), r.jacobian, color=colour, lw=1.0, label=name)
    ax.axhline(cfg.vanish_below, color=BASELINE_COLOUR, lw=0.8, ls=":")
    ax.set_yscale("log", nonpositive="mask")
    ax.set_xlabel("steps back from the loss (T - t)")
    ax.set_ylabel(r"$\|\partial L/\partial s_t\|$   ($\|\partial L/\partial h_T\| = 1$)")
    ax.set_xlim(0, T - 1)
    ax.set_title(f"gradient of a loss on the last output: T={T}, H={cfg.hidden_size},"
                 f" init={cfg.init}, forget bias {cfg.forget_bias:g}\ninput: {result.source}",
                 fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    axj.axhline(1.0, color=BASELINE_COLOUR, lw=0.8, ls=":")
    axj.set_xlabel("step t")
    axj.set_ylabel(r"$\|\partial s_t/\partial s_{t-1}\|_2$")
    axj.set_title("one-step Jacobian (spectral norm)", fontsize=10)
    axj.set_xlim(1, T)
    for a in (ax, axj):
        style_axes(a)
    apply_fonts(fig)
    if path is not None:
        save_figure(fig, path)
    return fig
