"""Naive family: exact values against hand computation, intervals as in FPP3 §5.5."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from gatecast.data.frame import from_array
from gatecast.errors import ConfigError, DataError, NotFittedError
from gatecast.models.baselines import Drift, HistoricMean, Naive, Naive2, SeasonalNaive
from gatecast.models.kernels.decompose import naive2 as naive2_kernel

Y = np.array([3.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0])


def frame(y: np.ndarray = Y) -> pd.DataFrame:
    return from_array(y, unique_id="a", start="2020-01-01", freq="D")


def test_naive_values_and_interval_width() -> None:
    fc = Naive().fit(frame()).predict(3, level=[95])
    assert fc["Naive"].tolist() == [9.0, 9.0, 9.0]
    sigma = np.sqrt(np.mean(np.diff(Y) ** 2))
    half = (fc["Naive-hi-95"] - fc["Naive"]).to_numpy()
    np.testing.assert_allclose(half, norm.ppf(0.975) * sigma * np.sqrt([1, 2, 3]))
    assert fc["ds"].tolist() == list(pd.date_range("2020-01-08", periods=3, freq="D"))


def test_seasonal_naive_repeats_last_season() -> None:
    fc = SeasonalNaive(season_length=3).fit(frame()).predict(5)
    assert fc["SeasonalNaive"].tolist() == [8.0, 7.0, 9.0, 8.0, 7.0]
    fc2 = SeasonalNaive(3).fit(frame()).predict(7, level=[80])
    width = (fc2["SeasonalNaive-hi-80"] - fc2["SeasonalNaive-lo-80"]).to_numpy()
    assert width[0] == pytest.approx(width[2])  # same season cycle k = 1
    assert width[3] == pytest.approx(width[0] * np.sqrt(2))


def test_drift_mean() -> None:
    slope = (Y[-1] - Y[0]) / (len(Y) - 1)
    assert Drift().fit(frame()).predict(2)["Drift"].tolist() == pytest.approx(
        [9 + slope, 9 + 2 * slope])
    assert HistoricMean().fit(frame()).predict(2)["HistoricMean"].tolist() == pytest.approx(
        [Y.mean()] * 2)


def test_naive2_matches_kernel_and_reseasonalises() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(96)
    y = (100 + t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 1, 96)
    fc = Naive2(season_length=12).fit(frame(y)).predict(24)["Naive2"].to_numpy()
    np.testing.assert_allclose(fc, naive2_kernel(y, 24, 12))
    assert fc[:12] == pytest.approx(fc[12:])  # flat deseasonalised level, one season repeated
    assert np.std(fc[:12]) > 5  # and it really is seasonal


def test_many_series_vectorised_match_single() -> None:
    rng = np.random.default_rng(0)
    df = pd.concat([from_array(rng.normal(size=20 + i), unique_id=f"u{i}") for i in range(5)])
    together = SeasonalNaive(4).fit(df).predict(6, level=[90])
    for uid, part in df.groupby("unique_id"):
        alone = SeasonalNaive(4).fit(part).predict(6, level=[90])
        pd.testing.assert_frame_equal(
            together[together.unique_id == uid].reset_index(drop=True), alone)


def test_predict_subset_and_unknown_id() -> None:
    df = pd.concat([from_array(Y, unique_id="a"), from_array(Y + 1, unique_id="b")])
    model = Naive().fit(df)
    assert model.predict(2, ids=["b"])["Naive"].tolist() == [10.0, 10.0]
    with pytest.raises(DataError, match=r"unknown unique_id 'zz'"):
        model.predict(2, ids=["zz"])


def test_errors() -> None:
    with pytest.raises(NotFittedError):
        Naive().predict(3)
    with pytest.raises(ConfigError, match="horizon"):
        Naive().fit(frame()).predict(0)
    with pytest.raises(ConfigError, match="season_length"):
        SeasonalNaive(season_length=0)
    with pytest.raises(DataError, match="too short"):
        SeasonalNaive(season_length=12).fit(frame())
    with pytest.raises(ConfigError, match="percentage"):
        Naive().fit(frame()).predict(2, level=[150])
