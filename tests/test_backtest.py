"""Rolling-origin backtest: correct folds, no leakage, baselines always on the board."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gatecast.errors import ConfigError, DataError
from gatecast.evaluation.backtest import backtest
from gatecast.evaluation.compare import compare
from gatecast.metrics import mase, smape
from gatecast.models.baselines import Drift, Naive, Naive2, SeasonalNaive


def test_folds_cut_each_series_at_its_own_end(monthly: pd.DataFrame) -> None:
    res = backtest([Naive()], monthly, h=6, n_windows=3, step=4)
    fc = res.forecasts
    assert len(fc) == 3 * 3 * 6
    for uid, part in monthly.groupby("unique_id"):
        rows = fc[fc.unique_id == uid]
        n = len(part)
        for w, cut in enumerate([n - 6 - 8, n - 6 - 4, n - 6]):
            fold = rows.iloc[w * 6:(w + 1) * 6]
            assert fold["cutoff"].iloc[0] == part["ds"].iloc[cut - 1]
            assert fold["ds"].tolist() == part["ds"].iloc[cut:cut + 6].tolist()
            assert fold["y"].tolist() == part["y"].iloc[cut:cut + 6].tolist()
            assert fold["Naive"].tolist() == [part["y"].iloc[cut - 1]] * 6


@pytest.mark.parametrize("refit", [True, False, 2])
def test_no_leakage_changing_the_future_changes_nothing(monthly, refit) -> None:
    models = [SeasonalNaive(12), Drift(), Naive2(12)]
    base = backtest(models, monthly, h=6, n_windows=3, refit=refit).forecasts
    # Corrupt every value after fold w's cutoff: fold w's forecasts must not move.
    for w in range(3):
        altered = monthly.copy()
        cutoffs = base.iloc[w * 6 * 3:(w + 1) * 6 * 3].groupby("unique_id")["cutoff"].first()
        mask = altered["ds"] > altered["unique_id"].map(cutoffs)
        altered.loc[mask, "y"] = altered.loc[mask, "y"] * 10 + 1000
        again = backtest(models, altered, h=6, n_windows=3, refit=refit).forecasts
        fold = slice(w * 18, (w + 1) * 18)
        for name in ("SeasonalNaive", "Drift", "Naive2"):
            np.testing.assert_array_equal(base[name].iloc[fold], again[name].iloc[fold])
        if w < 2:  # and later folds do see the change (the test can fail)
            later = slice((w + 1) * 18, None)
            assert not np.allclose(base["Drift"].iloc[later], again["Drift"].iloc[later])


def test_compare_adds_baselines_and_scores_like_m4(monthly: pd.DataFrame) -> None:
    board, res = compare([Drift(alias="drift")], monthly, h=6, n_windows=2, season_length=12)
    assert set(board.index) == {"naive", "snaive", "drift"}
    assert {"smape", "mase", "mae", "rmse", "fit_seconds", "predict_seconds"} <= set(board)
    fc = res.forecasts
    # sMAPE/MASE recomputed by hand: mean over (series, fold) of per-fold scores.
    per = []
    for (uid, cutoff), g in fc.groupby(["unique_id", "cutoff"], sort=False):
        hist = monthly[(monthly.unique_id == uid) & (monthly.ds <= cutoff)]["y"].to_numpy()
        per.append((smape(g["y"], g["drift"]), mase(g["y"], g["drift"], hist, 12)))
    assert board.loc["drift", "smape"] == pytest.approx(np.mean([p[0] for p in per]))
    assert board.loc["drift", "mase"] == pytest.approx(np.mean([p[1] for p in per]))
    assert board["smape"].is_monotonic_increasing


def test_interval_metrics(monthly: pd.DataFrame) -> None:
    board, _ = compare([Naive2(12)], monthly, h=6, n_windows=2, season_length=12,
                       level=[80, 95], metrics=("mase", "coverage", "msis"))
    assert 0 <= board.loc["Naive2", "coverage-80"] <= board.loc["Naive2", "coverage-95"] <= 1
    assert board.loc["Naive2", "msis-95"] > 0


def test_backtest_errors(monthly: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"too short for 20 backtest window"):
        backtest([SeasonalNaive(12)], monthly, h=6, n_windows=20)
    with pytest.raises(ConfigError, match="unique"):
        backtest([Naive(), Naive()], monthly, h=3)
    with pytest.raises(ConfigError, match="n_windows"):
        backtest([Naive()], monthly, h=3, n_windows=0)
    with pytest.raises(ConfigError, match="horizon"):
        backtest([Naive()], monthly, h=-1)
