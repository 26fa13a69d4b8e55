"""Frames side by side: the input frames, the true future and each model's prediction."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from gatecast.errors import DataError
from gatecast.plotting.style import new_figure, save_figure


def _as_batch(frames: np.ndarray, name: str) -> np.ndarray:
    """``[n, time, H, W]`` from ``[time, H, W]``, ``[time, C, H, W]`` or ``[n, time, C, H, W]``
    (channel 0 is shown)."""
    arr = np.asarray(frames, dtype=np.float64)
    if arr.ndim == 3:
        return arr[None]
    if arr.ndim == 4:
        return arr[None, :, 0]
    if arr.ndim == 5:
        return arr[:, :, 0]
    raise DataError(f"{name} must be [time, H, W], [time, C, H, W] or [n, time, C, H, W],"
                    f" got shape {list(arr.shape)}")


def plot_frames(
    context: np.ndarray,
    truth: np.ndarray | None,
    predictions: Mapping[str, np.ndarray],
    path: str | Path | None = None,
    max_frames: int = 10,
    max_sequences: int = 3,
    title: str | None = None,
    value_range: tuple[float, float] | None = None,
) -> Figure:
    """One row per kind of frame, one column per time step, for up to ``max_sequences``.

    Args:
        context: the input frames (the last ``max_frames`` are drawn).
        truth: the true future frames (``None`` for a forecast beyond the data).
        predictions: model name -> predicted future frames (all of one shape, that of
            ``truth`` when given).
        path: write the figure there (PNG or SVG by suffix) when given.
        max_frames: at most this many columns (the first future frames, the last inputs).
        max_sequences: with batched inputs ``[n, ...]``, draw the first this many.
        title: figure title.
        value_range: ``(black, white)`` of the grey scale (default: from ``min(0, lowest)``
            to the highest value of the inputs and the truth, or of the forecasts).

    Every panel shares one grey scale (channel 0 of each frame), so brightness means the
    same thing in every row.
    """
    ctx = _as_batch(context, "context")
    preds = {name: _as_batch(p, f"predictions[{name!r}]") for name, p in predictions.items()}
    tru = _as_batch(truth, "truth") if truth is not None else None
    shapes = {p.shape for p in preds.values()} | ({tru.shape} if tru is not None else set())
    if len(shapes) > 1:
        raise DataError(f"truth and predictions must share one shape, got {sorted(shapes)}")
    n = min(ctx.shape[0], max_sequences)
    ctx = ctx[:n, -max_frames:]
    future = {k: v[:n, :max_frames] for k, v in preds.items()}
    if tru is not None:
        future = {"truth": tru[:n, :max_frames], **future}
    if value_range is None:  # the data's own range: the inputs and the truth (or forecasts)
        shown = [ctx, *future.values()] if tru is None else [ctx, future["truth"]]
        lo, hi = min(float(a.min()) for a in shown), max(float(a.max()) for a in shown)
        value_range = (min(lo, 0.0), hi if hi > min(lo, 0.0) else min(lo, 0.0) + 1.0)
    rows = [("input", ctx, 0)] + [(name, f, ctx.shape[1]) for name, f in future.items()]
    cols = max(ctx.shape[1], *(f.shape[1] for f in future.values()))
    n_rows = n * len(rows)
    fig = new_figure(0.9 * cols + 1.0, 0.95 * n_rows + (0.4 if title else 0))
    axes = np.atleast_2d(fig.subplots(n_rows, cols, squeeze=False))
    for s in range(n):
        for r, (label, frames, t0) in enumerate(rows):
            row = s * len(rows) + r
            for c in range(cols):
                ax = axes[row, c]
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_visible(False)
                if c < frames.shape[1]:
                    ax.imshow(frames[s, c], cmap="gray", vmin=value_range[0],
                              vmax=value_range[1],
                              interpolation="nearest")
                    if row == 0 or (r == 1 and s == 0):
                        step = c - ctx.shape[1] + 1 if t0 == 0 else c + 1
                        ax.set_title(f"t{step:+d}" if t0 == 0 else f"t+{step}", fontsize=7)
            axes[row, 0].set_ylabel(label if n == 1 else f"{label} #{s}", fontsize=8,
                                    rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title, fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig
