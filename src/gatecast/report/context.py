"""Everything a report (and a diagnostics hook) can look at, computed once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gatecast.data.validate import SeriesFrame
from gatecast.evaluation.backtest import BacktestResult


@dataclass
class ReportContext:
    """The inputs and results behind one report.

    Attributes:
        data: the whole validated data set.
        season_length: the season ``m`` used for seasonal models and MASE.
        h: forecast horizon.
        board: the leaderboard (one row per model, best first).
        result: the rolling-origin backtest behind the leaderboard (every fold's
            forecasts beside the actuals in ``result.forecasts``).
        train: the data before the final hold-out (every series less its last ``h`` points).
        test: the final hold-out: ``unique_id``, ``ds``, ``y`` (last ``h`` points).
        models: each model (baselines included) fitted on ``train``, by name.
        holdout: the fitted models' forecasts of ``test`` (``unique_id``, ``ds``, one column
            per model, interval columns where a model has them).
        fitted: in-sample one-step fitted values on the tail of ``train`` (one column per
            model), or ``None``.
        levels: interval levels shown.
        title: the report title.
        description: one line describing the data (e.g. a bundled dataset's description).
        notes: problems met while building (shown in the report, never hidden).
        intervals: the hold-out intervals' method, ``"quantile"`` (each model's own) or
            ``"conformal"`` (calibrated on ``conformal_windows`` backtest windows of
            ``train``).
    """

    data: SeriesFrame
    season_length: int
    h: int
    board: pd.DataFrame
    result: BacktestResult
    train: SeriesFrame
    test: pd.DataFrame
    models: dict[str, Any]
    holdout: pd.DataFrame
    fitted: pd.DataFrame | None = None
    levels: list[float] = field(default_factory=list)
    title: str = "gatecast report"
    description: str = ""
    notes: list[str] = field(default_factory=list)
    intervals: str = "quantile"
    conformal_windows: int = 0
