"""From a validated frame to what the recurrent forecaster's members train on.

Everything fitted here (the per-series transform, the covariates' scalers) is fitted on the
data given to ``fit`` only, so backtests cannot leak. The shapes each ``None`` leaves open
(horizon, look-back, patch, hold-out) are chosen by
:func:`~gatecast.models.recurrent_defaults.resolve_shapes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gatecast.data.grouped import GroupedArray
from gatecast.data.stationarity import common_transform
from gatecast.data.transforms import make_pipeline
from gatecast.data.validate import SeriesFrame
from gatecast.errors import ConfigError
from gatecast.models.recurrent_covariates import CovariateSpec, FittedCovariates, fit_covariates
from gatecast.models.recurrent_data import split_tail
from gatecast.models.recurrent_defaults import resolve_shapes
from gatecast.models.recurrent_specs import AUTO

#: Series the ``transform="auto"`` vote looks at (picked evenly): seconds, not minutes.
VOTERS = 64


@dataclass
class TrainingData:
    """The transformed series and everything the members' batches are cut from.

    ``shapes``: one ``(horizon, look_back, patch, val_size)`` per look-back asked for;
    ``train_part`` / ``val_y``: the series without / their last ``val`` points (``val_y``
    ``None`` when nothing is held out); ``history``: the scaled covariate rows aligned with
    ``series`` (``None`` without covariates).
    """

    series: GroupedArray
    pipeline: Any  # the fitted transform pipeline, or None
    transform: str  # its spec ("" for none)
    shapes: list[tuple[int, int, int, int]]
    train_part: GroupedArray
    val_y: np.ndarray | None
    covariates: FittedCovariates | None
    history: np.ndarray | None
    spec: CovariateSpec

    @property
    def horizon(self) -> int:
        return self.shapes[0][0]

    @property
    def val(self) -> int:
        return self.shapes[0][3]

    @property
    def longest(self) -> int:
        return max(shape[1] for shape in self.shapes)


def choose_transform(transform: str | None, season_length: int, ga: GroupedArray) -> str:
    """The transform spec to fit: ``transform`` itself, or the advice for ``"auto"``."""
    if transform != AUTO:
        return transform or ""
    picks = np.unique(np.linspace(0, ga.n_series - 1, min(ga.n_series, VOTERS)).astype(int))
    return common_transform([ga[int(i)] for i in picks], season_length)


def check_look_back(lengths: np.ndarray, lb: int, h_out: int, val: int) -> None:
    """An explicit look-back must fit in the longest series: one whose every window is
    mostly padding would train on copies of the first value."""
    room = int(lengths.max()) - h_out - val
    if lb > room:
        held = f" and the {val} held out for validation" if val else ""
        raise ConfigError(
            f"look_back={lb} is longer than the data allows: the longest series has"
            f" {int(lengths.max())} points (after the transform), {max(room, 0)} before"
            f" the horizon of {h_out}{held}; use look_back <= {max(room, 1)} or None"
            " (chosen from the data)"
        )


def prepare(model: Any, sf: SeriesFrame, static: Any = None) -> TrainingData:
    """Transform ``sf``'s series, choose the shapes, hold out the validation tail and scale
    the covariates, for the recurrent forecaster ``model``."""
    window, spec = model.window, model.covariates
    ga = sf.grouped()
    transform = choose_transform(window.transform, window.season_length, ga)
    pipeline = make_pipeline(transform) if transform else None
    series = pipeline.fit_transform(ga) if pipeline else ga
    shapes = [resolve_shapes(model, series.lengths, want) for want in window.look_backs()]
    h_out, _, _, val = shapes[0]
    if window.look_back is not None:
        for _, lb, _, _ in shapes:
            check_look_back(series.lengths, lb, h_out, val)
    train_part, val_y = split_tail(series, val) if val else (series, None)
    covs = hist = None
    if spec:
        head = pipeline.n_dropped if pipeline else 0
        longest = max(shape[1] for shape in shapes)
        covs, hist = fit_covariates(sf, spec, head, series.indptr, val, longest, static)
    return TrainingData(series, pipeline, transform, shapes, train_part, val_y, covs, hist,
                        spec)
