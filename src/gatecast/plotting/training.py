"""Training and validation loss curves of neural forecasters (``model.history_``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gatecast.errors import ConfigError
from gatecast.plotting.style import COLOURS, apply_fonts, new_figure, save_figure, style_axes


def loss_histories(models: Any) -> dict[str, pd.DataFrame]:
    """``{model name: history}`` for the models that kept a training history."""
    items = models.items() if isinstance(models, Mapping) else (
        (getattr(m, "name", type(m).__name__), m) for m in models)
    out: dict[str, pd.DataFrame] = {}
    for name, model in items:
        history = model if isinstance(model, pd.DataFrame) else getattr(model, "history_", None)
        if isinstance(history, pd.DataFrame) and len(history) and "train_loss" in history:
            out[str(name)] = history
    return out


def plot_loss_curves(
    histories: Mapping[str, pd.DataFrame] | pd.DataFrame | Any,
    path: str | Path | None = None,
    log_scale: bool | None = None,
    title: str = "training loss",
) -> Figure:
    """Train (solid) and validation (dashed) loss per epoch, one colour per model.

    Args:
        histories: ``{name: history}``, one history frame (columns ``epoch``, ``train_loss``,
            optional ``val_loss`` and ``member`` for ensembles), or a list of fitted models.
        path: write the figure there (PNG or SVG by suffix) when given.
        log_scale: log y axis; by default when the loss spans more than a factor of 30.
        title: axes title.
    """
    if isinstance(histories, pd.DataFrame):
        histories = {"model": histories}
    curves = loss_histories(histories)
    if not curves:
        raise ConfigError("no training history to plot: only neural models keep one")
    fig = new_figure(6.4, 3.6)
    ax = fig.subplots()
    values: list[float] = []
    for k, (name, hist) in enumerate(curves.items()):
        colour = COLOURS[k % len(COLOURS)]
        members = hist.groupby("member") if "member" in hist else [(0, hist)]
        for j, (_, part) in enumerate(members):
            first = j == 0  # label each model once, not each ensemble member
            ax.plot(part["epoch"], part["train_loss"], color=colour, lw=1.4,
                    label=f"{name} train" if first else None)
            values += part["train_loss"].tolist()
            if "val_loss" in part and part["val_loss"].notna().any():
                ax.plot(part["epoch"], part["val_loss"], color=colour, lw=1.4, ls="--",
                        label=f"{name} validation" if first else None)
                values += part["val_loss"].dropna().tolist()
    finite = np.asarray([v for v in values if np.isfinite(v) and v > 0])
    if log_scale is None:
        log_scale = finite.size > 1 and finite.max() / finite.min() > 30
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch", fontsize=9)
    ax.set_ylabel("loss", fontsize=9)
    ax.set_title(title, fontsize=10)
    style_axes(ax)
    ax.legend(fontsize=7, framealpha=0.85)
    apply_fonts(fig)
    if path is not None:
        save_figure(fig, path)
    return fig
