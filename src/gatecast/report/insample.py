"""The report's in-sample fitted values, several models at once (the one-model core is
:func:`gatecast.diagnostics.insample.one_step_predictions`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from gatecast.data.validate import SeriesFrame, validate
from gatecast.diagnostics.insample import one_step_predictions


def one_step_fitted(model: Any, data: SeriesFrame, n_last: int) -> pd.DataFrame:
    """In-sample fitted values: :func:`one_step_predictions` on the data the model was
    fitted on."""
    return one_step_predictions(model, data, n_last)


def _subset(data: SeriesFrame, ids: list[Any]) -> SeriesFrame:
    frame = data.frame[data.frame["unique_id"].isin(ids)]
    return validate(frame, freq=data.freq)


def fitted_table(models: dict[str, Any], data: SeriesFrame, n_last: int,
                 ids: list[Any] | None = None) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Fitted values of several models merged on ``unique_id``/``ds``, and for each model
    whose ``forward`` failed, the one-line reason (the report shows it instead).

    With ``ids`` (the series that will be plotted), per-series models are refitted on just
    those series (their parameters do not depend on the other series, so the values are
    the same) instead of running ``forward`` over every series ``n_last`` times; global
    models (one network for all series) use the fitted model and are filtered afterwards.
    """
    subset = None
    if ids is not None and len(ids) < data.n_series:
        subset = _subset(data, list(ids))
    merged: pd.DataFrame | None = None
    failed: dict[str, str] = {}
    for name, model in models.items():
        if not hasattr(model, "forward"):
            failed[name] = "the model has no forward() to compute fitted values"
            continue
        try:
            if subset is not None and getattr(model, "per_series", False):
                part = one_step_fitted(model.clone().fit(subset), subset, n_last)
            else:
                part = one_step_fitted(model, data, n_last)
                if subset is not None:
                    part = part[part["unique_id"].isin(subset.ids)]
        except Exception as exc:  # a plot must not sink the report; the reason is shown
            failed[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            continue
        merged = part if merged is None else merged.merge(part, on=["unique_id", "ds"],
                                                          how="outer")
    return merged, failed
