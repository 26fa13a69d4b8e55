"""Figures of the forecast diagnostics: cross-correlation by lag, skill bars, ACF panels."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
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

VERDICT_COLOURS = {"persistence": "#d62728", "worse than baseline": "#ff7f0e", "ok": "#2ca02c"}


def _items(diags: Any) -> list[Any]:
    return list(diags.values()) if isinstance(diags, dict) else list(diags)


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    apply_fonts(fig)
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_cross_correlation(shifts: Any, path: str | Path | None = None) -> Figure:
    """``r(k) = corr(Δf_t, Δy_{t-k})`` by lag for every model that has a forecast path.

    A peak at lag 0 is a forecast whose changes happen with the actual's; a peak at lag 1 is
    the right shift (the forecast repeats the last value). The dotted lines mark the
    significance bound of a peak.
    """
    items = [d for d in _items(shifts) if d.ccf is not None]
    fig = new_figure(6.4, 3.6)
    ax = fig.subplots()
    if not items:
        ax.text(0.5, 0.5, "no forecast path: the cross-correlation needs at least 10 folds\n"
                "one step apart (backtest with step=1)", ha="center", va="center",
                fontsize=9, transform=ax.transAxes)
        ax.set_axis_off()
        return _finish(fig, path)
    for k, d in enumerate(items):
        colour = COLOURS[k % len(COLOURS)]
        lags = d.ccf.index.to_numpy()
        style = ("-", "--", ":", "-.")[k % 4]  # identical curves (naive, drift) stay visible
        ax.plot(lags, d.ccf.to_numpy(), marker="o", ms=4, lw=1.3, color=colour, ls=style,
                label=f"{d.model} (peak at {d.ccf_peak_lag})")
    bound = max(float(d.ccf_threshold) for d in items)
    if np.isfinite(bound):
        ax.axhline(bound, color=BASELINE_COLOUR, ls=":", lw=1.0)
        ax.axhline(-bound, color=BASELINE_COLOUR, ls=":", lw=1.0)
    ax.axvline(0, color="black", lw=0.8)
    ax.axvline(1, color=VERDICT_COLOURS["persistence"], lw=0.8, ls="--", alpha=0.6)
    ax.set_xlabel("lag k (positive: the forecast follows the actual k steps later)", fontsize=9)
    ax.set_ylabel(r"corr($\Delta f_t$, $\Delta y_{t-k}$)", fontsize=9)
    ax.set_xticks(np.unique(np.concatenate([d.ccf.index.to_numpy() for d in items])))
    ax.set_title("cross-correlation of the differenced forecast and actual", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    style_axes(ax)
    return _finish(fig, path)


def plot_skill(shifts: Any, path: str | Path | None = None, clip: float = 1.0) -> Figure:
    """Skill against the naive and seasonal-naive forecasts, one pair of bars per model.

    Skill is ``1 - MSE / MSE_reference``: right of 0 beats the reference. Bars are clipped
    to ``[-clip, 1]`` (the true value is written beside each); the verdict is in the label.
    """
    items = _items(shifts)
    fig = new_figure(6.8, 0.9 + 0.5 * max(len(items), 1))
    ax = fig.subplots()
    y = np.arange(len(items))
    refs = [("naive", "skill_naive", COLOURS[0]), ("seasonal naive", "skill_snaive", COLOURS[2])]
    refs = [r for r in refs if any(np.isfinite(getattr(d, r[1])) for d in items)]
    height = 0.8 / max(len(refs), 1)
    for j, (label, attr, colour) in enumerate(refs):
        values = np.array([getattr(d, attr) for d in items], dtype=float)
        pos = y - 0.4 + height * (j + 0.5)
        shown = np.clip(np.nan_to_num(values, nan=0.0), -clip, 1.0)
        ax.barh(pos, shown, height=height * 0.9, color=colour, label=f"vs {label}")
        for p, v, s in zip(pos, values, shown, strict=True):
            if np.isfinite(v):
                ax.text(s + (0.02 if s >= 0 else -0.02), p, f"{v:+.2f}", va="center",
                        ha="left" if s >= 0 else "right", fontsize=7)
    labels = [f"{d.model}\n{d.verdict}" for d in items]
    ax.set_yticks(y, labels, fontsize=8)
    for tick, d in zip(ax.get_yticklabels(), items, strict=True):
        tick.set_color(VERDICT_COLOURS.get(d.verdict, "black"))
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-clip - 0.25, 1.25)
    ax.invert_yaxis()
    ax.set_xlabel("skill = 1 - MSE / MSE of the reference (right of 0: better)", fontsize=9)
    ax.set_title("skill against the naive forecasts on the same points", fontsize=10)
    if refs:
        fig.legend(fontsize=8, loc="outside right upper")
    style_axes(ax)
    ax.grid(False, axis="y")
    return _finish(fig, path)


def plot_acf_panels(
    panels: Sequence[tuple[str, np.ndarray, int]],
    path: str | Path | None = None,
    title: str = "",
) -> Figure:
    """Small multiples of autocorrelations: ``(title, acf[0..K], n)`` per panel, with the
    white-noise band ``±1.96 / sqrt(n)``."""
    count = max(len(panels), 1)
    cols = min(3, count)
    rows = math.ceil(count / cols)
    fig = new_figure(4.2 * cols, 2.6 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax, (name, values, n) in zip(axes, panels, strict=False):
        r = np.asarray(values, dtype=float)[1:]
        lags = np.arange(1, r.size + 1)
        band = 1.96 / np.sqrt(n) if n else np.nan
        outside = np.abs(r) > band
        ax.vlines(lags, 0, r, color=np.where(outside, VERDICT_COLOURS["persistence"],
                                             COLOURS[0]).tolist(), lw=1.6)
        ax.axhline(0, color="black", lw=0.7)
        if np.isfinite(band):
            ax.axhspan(-band, band, color=BASELINE_COLOUR, alpha=0.18, lw=0)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("lag", fontsize=8)
        style_axes(ax)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if not panels:
        axes[0].set_visible(True)
        axes[0].text(0.5, 0.5, "nothing to show", ha="center", va="center",
                     transform=axes[0].transAxes)
        axes[0].set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10)
    return _finish(fig, path)


def plot_residual_acf(residuals: Iterable[Any], path: str | Path | None = None,
                      max_panels: int = 9) -> Figure:
    """ACF of the residuals of each (model, series) with the 95% white-noise band."""
    panels = []
    for r in residuals:
        if r.acf.size < 2:
            continue
        tag = f"{r.model} · {r.series}" + (f" ({r.source})" if r.source else "")
        panels.append((f"{tag}\nLjung-Box p={r.lb_pvalue:.3g}", r.acf, r.n))
        if len(panels) == max_panels:
            break
    return plot_acf_panels(panels, path, title="residual autocorrelation (grey: white-noise"
                           " band; red: outside it)")
