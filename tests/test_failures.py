"""A local forecaster's per-series failure names the series by its unique_id, in fit and in
forward, whatever the model (models/failures.py, wrapped once in LocalForecaster)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gatecast as gc
from gatecast.errors import DataError
from gatecast.models.failures import series_call
from helpers import seasonal_frame


class _Fails:
    """Stands in for a StatsForecast model: fails on the series whose first value is 7."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def fit(self, y: np.ndarray) -> object:
        if y[0] == 7.0:
            raise np.linalg.LinAlgError("singular matrix")
        return self.inner.fit(y)


@pytest.fixture
def frame() -> pd.DataFrame:
    df = seasonal_frame(n_series=3, length=40, m=4, freq="QS", seed=2)
    first = df.groupby("unique_id").head(1).index
    df.loc[first[1], "y"] = 7.0
    return df


def test_fit_names_the_failing_series(frame: pd.DataFrame, monkeypatch) -> None:
    bad = str(frame["unique_id"].unique()[1])
    original = gc.ETS._new_model
    monkeypatch.setattr(gc.ETS, "_new_model", lambda self: _Fails(original(self)))
    with pytest.raises(DataError, match=f"ETS fit failed for series '{bad}'.*singular"):
        gc.ETS(season_length=4).fit(frame)


def test_forward_names_the_failing_series(frame: pd.DataFrame, monkeypatch) -> None:
    bad = str(frame["unique_id"].unique()[2])
    model = gc.Naive().fit(frame)

    def kernel(self, state, ga, h, levels):
        for i, y in enumerate(ga):
            if str(y[0]) == str(frame[frame.unique_id == bad]["y"].iloc[0]):
                series_call("Naive forward", "check it", i, y, np.linalg.cholesky,
                            -np.eye(2))
        return original(self, state, ga, h, levels)

    original = type(model)._forward_partition
    monkeypatch.setattr(type(model), "_forward_partition", kernel)
    with pytest.raises(DataError, match=f"Naive forward failed for series '{bad}'"):
        model.forward(frame, 2)
