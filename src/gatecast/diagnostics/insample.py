"""In-sample one-step fitted values from a fitted model's ``forward``.

For a model fitted on the whole of ``data``, the fitted value at point ``t`` is the
one-step forecast made from the history before ``t`` with the parameters learned on all
of ``data``: ``yhat_t = model.forward(y[:t], 1)``. The parameters have seen ``y_t``, so
these are *in-sample* numbers (what the tutorials plot as "train predictions"), never a
substitute for a backtest. Used by the residual diagnostics and the report's plots.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gatecast.data.slices import slice_frame
from gatecast.data.validate import SeriesFrame
from gatecast.engine.local import LocalEngine


def fitted_points(data: SeriesFrame, min_length: int, n_last: int) -> int:
    """How many of the last points of every series can get a fitted value."""
    room = int(data.lengths.min()) - max(int(min_length), 1)
    return max(0, min(int(n_last), room))


def one_step_predictions(model: Any, data: SeriesFrame, n_last: int) -> pd.DataFrame:
    """One-step forecasts of (at most) the last ``n_last`` points of each series of ``data``,
    each made by ``model.forward`` from the history before that point, with the parameters
    the model already learned (nothing is refitted, except by parameter-free models whose
    ``forward`` is a fit).

    Points inside the data the model was fitted on get in-sample fitted values; points after
    its training end get honest one-step out-of-sample forecasts (the tutorials' "test
    predictions").

    Args:
        model: a fitted forecaster with ``forward(data, h)``; ``data`` must hold the same
            series it was fitted on.
        data: the history (the training data, or the training data plus later points).
        n_last: how many final points to predict (each costs one ``forward`` call).

    Returns:
        ``unique_id``, ``ds``, ``<model name>``: one row per series and point, sorted; empty
        when the series are too short for any.
    """
    name = str(model.name)
    need = int(getattr(model, "min_length", lambda: 1)())
    n = fitted_points(data, need, n_last)
    if n == 0:
        return pd.DataFrame({"unique_id": [], "ds": [], name: []})
    starts = np.zeros(data.n_series, dtype=np.int64)
    frames = []
    # One step ahead is cheap: run every call here rather than start a process pool per
    # call (a model with n_jobs > 1 would otherwise spawn workers n times).
    with LocalEngine(1):
        for k in range(n, 0, -1):
            history = slice_frame(data, starts, data.lengths - k)
            fc = model.forward(history, 1)
            frames.append(fc[["unique_id", "ds", name]])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["unique_id", "ds"], kind="stable", ignore_index=True)
