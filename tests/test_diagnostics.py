"""Forecast diagnostics: the right-shift detector (both ways), residual checks, stationarity
advice, the leaderboard's verdict column and the figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from gatecast import datasets
from gatecast.data.stationarity import (
    common_transform,
    guerrero_lambda,
    recommend_transform,
    stationarity_report,
)
from gatecast.data.transforms import make_pipeline
from gatecast.diagnostics.folds import fold_arrays
from gatecast.diagnostics.residuals import (
    backtest_residuals,
    insample_residuals,
    residual_diagnostic,
    residual_table,
)
from gatecast.diagnostics.shift import cross_correlation, diagnose_shift, shift_table
from gatecast.diagnostics.summary import diagnose_backtest
from gatecast.errors import ConfigError, DataError
from gatecast.evaluation.backtest import backtest
from gatecast.evaluation.compare import compare
from gatecast.models.baselines import Drift, Naive, SeasonalNaive
from gatecast.models.registry import make_model
from gatecast.plotting.diagnostics import plot_cross_correlation, plot_residual_acf, plot_skill
from gatecast.training.config import TrainerConfig
from helpers import seasonal_frame


def frame(y: np.ndarray, uid: str = "s") -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": np.arange(len(y)), "y": y})


@pytest.fixture(scope="module")
def walk() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return frame(100 + np.cumsum(rng.normal(0, 1, 300)), "walk")


@pytest.fixture(scope="module")
def seasonal() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    t = np.arange(240)
    return frame(10 + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, t.size), "season")


# -- the right-shift / persistence detector ---------------------------------------------------
def test_cross_correlation_peaks_at_the_shift() -> None:
    rng = np.random.default_rng(2)
    dy = rng.normal(size=200)
    df = np.concatenate([[0.0, 0.0], dy[:-2]])  # the forecast's changes come 2 steps later
    r = cross_correlation(df, dy, 4)
    assert int(np.argmax(r)) - 4 == 2 and r.max() > 0.99
    assert np.all(np.abs(np.delete(r, 6)) < 0.3)


def test_fires_on_the_naive_forecast_one_step_rolling(walk: pd.DataFrame) -> None:
    res = backtest([Naive(alias="naive")], walk, h=1, n_windows=40, step=1, freq=1)
    d = diagnose_shift(res)["naive"]
    assert d.verdict == "persistence"
    assert d.ccf_peak_lag == 1 and d.ccf_peak == pytest.approx(1.0)
    assert d.skill_naive == pytest.approx(0.0) and d.movement_ratio == pytest.approx(0.0)
    assert d.last_value_corr == pytest.approx(1.0)
    assert np.isnan(d.change_corr)  # predicts no change at all


def test_fires_on_the_naive_forecast_multi_step(seasonal: pd.DataFrame) -> None:
    """One multi-step fold: no forecast path, so no cross-correlation; movement says it."""
    res = backtest([Naive(alias="naive")], seasonal, h=12, n_windows=1, freq=1)
    d = diagnose_shift(res, season_length=12)["naive"]
    assert d.ccf is None and d.ccf_peak_lag is None
    assert d.verdict == "persistence" and d.movement_ratio == 0.0
    assert d.skill_snaive < -5  # the seasonal naive is far better here


def test_fires_on_a_network_trained_on_a_random_walk(walk: pd.DataFrame) -> None:
    torch.set_num_threads(1)
    lstm = make_model("lstm", horizon=1, season_length=1, max_steps=150, hidden_size=16,
                      num_layers=1, head_hidden=16, head_layers=1,
                      trainer=TrainerConfig(batch_size=32, seed=0, device="cpu"))
    res = backtest([lstm], walk, h=1, n_windows=60, step=1, refit=False, freq=1)
    report = diagnose_backtest(res)
    d = report.shift["lstm"]
    assert d.verdict == "persistence", d.explanation
    assert d.ccf_peak_lag == 1 and d.ccf_peak > d.ccf_threshold
    assert d.skill_naive < 0.1
    assert "lag 1" in d.explanation and "difference the target" in d.fix
    assert report.warnings()[0][0] == "lstm"


@pytest.mark.parametrize(("h", "windows", "step"), [(1, 36, 1), (12, 3, 12)])
def test_quiet_on_genuine_seasonal_forecasts(h: int, windows: int, step: int) -> None:
    air = datasets.load("airline")
    models = [make_model("sarima", season_length=12), SeasonalNaive(12, alias="snaive")]
    res = backtest(models, air, h=h, n_windows=windows, step=step, refit=False)
    diags = diagnose_shift(res, season_length=12)
    for name in ("sarima", "snaive"):
        d = diags[name]
        assert d.verdict == "ok", d.explanation
        assert d.skill_naive > 0.1 and d.change_corr > 0.8
        if h == 1:
            assert d.ccf_peak_lag == 0
    assert diags["sarima"].skill_snaive > 0.3


def test_quiet_on_seasonal_naive_for_a_seasonal_series(seasonal: pd.DataFrame) -> None:
    res = backtest([SeasonalNaive(12, alias="snaive"), Drift(alias="drift")], seasonal, h=1,
                   n_windows=40, step=1, freq=1)
    diags = diagnose_shift(res, season_length=12)
    snaive = diags["snaive"]
    assert snaive.verdict == "ok" and snaive.skill_naive > 0.5
    # A smooth season makes the cross-correlation broad; what matters is a strong lag 0.
    assert snaive.ccf is not None and snaive.ccf[0] > 0.5
    assert diags["drift"].verdict == "persistence"  # drift ~ naive on a level series
    assert diags["drift"].fix  # a real model that copies gets the fix; naive itself not


def test_worse_than_naive(walk: pd.DataFrame) -> None:
    res = backtest([SeasonalNaive(12, alias="snaive")], walk, h=6, n_windows=4, freq=1)
    d = diagnose_shift(res, season_length=12)["snaive"]
    assert d.verdict == "worse than baseline" and d.skill_naive < 0
    assert "worse than the naive forecast" in d.explanation


def test_skill_is_geometric_mean_of_relative_mse() -> None:
    """Two series of very different scale count equally: 1 - sqrt(r1 * r2)."""
    rng = np.random.default_rng(3)
    a = frame(np.cumsum(rng.normal(size=50)), "a")
    b = frame(1000 * np.cumsum(rng.normal(size=50)), "b")
    data = pd.concat([a, b], ignore_index=True)
    res = backtest([Drift(alias="drift"), Naive(alias="naive")], data, h=5, n_windows=3,
                   freq=1)
    fc = res.forecasts
    ratios = []
    for uid in ("a", "b"):
        part = fc[fc.unique_id == uid]
        ratios.append(np.mean((part.drift - part.y) ** 2) / np.mean((part.naive - part.y) ** 2))
    d = diagnose_shift(res)["drift"]
    assert d.skill_naive == pytest.approx(1 - np.sqrt(ratios[0] * ratios[1]))
    assert d.per_series["skill_naive"].to_numpy() == pytest.approx(1 - np.array(ratios))


def test_fold_arrays_reference_forecasts(seasonal: pd.DataFrame) -> None:
    res = backtest([Naive(alias="naive"), SeasonalNaive(12, alias="snaive")], seasonal, h=5,
                   n_windows=3, freq=1)
    folds = fold_arrays(res, 12)
    np.testing.assert_allclose(folds.snaive.ravel(), res.forecasts["snaive"].to_numpy())
    np.testing.assert_allclose(np.repeat(folds.last.ravel(), 5), res.forecasts["naive"])


def test_diagnostic_serialises(walk: pd.DataFrame) -> None:
    res = backtest([Drift(alias="drift")], walk, h=1, n_windows=12, step=1, freq=1)
    report = diagnose_backtest(res)
    text = json.dumps(report.as_dict(), default=str)
    assert '"verdict"' in text
    table = shift_table(report.shift)
    assert list(table.index) == ["drift"] and "verdict" in table.columns


def test_compare_shows_drift_skill_and_verdict(walk: pd.DataFrame) -> None:
    board, _ = compare([SeasonalNaive(12, alias="snaive")], walk, h=1, n_windows=15, step=1,
                       season_length=12, freq=1)
    assert {"naive", "snaive", "drift"} == set(board.index)
    assert board.loc["naive", "verdict"] == "persistence"
    assert board.loc["snaive", "verdict"] == "worse than baseline"
    assert board.loc["naive", "skill_naive"] == 0.0
    plain, _ = compare([Naive()], walk, h=1, n_windows=2, freq=1, diagnose=False)
    assert "verdict" not in plain.columns


# -- residual checks -----------------------------------------------------------------------------
def test_white_noise_residuals_are_white() -> None:
    e = np.random.default_rng(4).normal(size=300)
    d = residual_diagnostic(e, 1, "m", "s", "backtest")
    assert d.verdict == "white" and d.lb_pvalue > 0.05 and d.normal
    assert d.acf[0] == pytest.approx(1.0) and d.lb_lag == 10
    assert "white noise" in d.message


def test_structure_is_named_by_lag() -> None:
    rng = np.random.default_rng(5)
    n = 360
    e = rng.normal(size=n)
    ar = np.zeros(n)
    for t in range(1, n):
        ar[t] = 0.7 * ar[t - 1] + e[t]
    d = residual_diagnostic(ar, 1, "lstm", "X")
    assert d.verdict == "structure" and d.lb_pvalue < 1e-6 and d.structure_lags[0] == 1
    assert "residuals of 'lstm' on series 'X' still contain structure at lags 1" in d.message
    seasonal = e + 1.5 * np.sin(2 * np.pi * np.arange(n) / 12)
    d12 = residual_diagnostic(seasonal, 12)
    assert d12.verdict == "structure" and 12 in d12.structure_lags and d12.lb_lag == 24


def test_non_normal_and_short_residuals() -> None:
    skewed = np.random.default_rng(6).exponential(size=400)
    d = residual_diagnostic(skewed)
    assert not d.normal and d.jb_pvalue < 1e-6 and "not normal" in d.message
    assert residual_diagnostic(np.arange(5.0)).verdict == "too short"


def test_insample_residuals_of_naive_are_the_differences(walk: pd.DataFrame) -> None:
    e = insample_residuals(Naive(alias="naive"), walk, n_points=30)["walk"]
    y = walk["y"].to_numpy()
    np.testing.assert_allclose(e, np.diff(y)[-30:])


def test_backtest_residuals_follow_the_folds(walk: pd.DataFrame) -> None:
    res = backtest([Naive(alias="naive")], walk, h=3, n_windows=12, step=1, freq=1)
    e = backtest_residuals(res, "naive")["walk"]
    y = walk["y"].to_numpy()
    cut = res.cuts[:, 0]
    np.testing.assert_allclose(e, y[cut] - y[cut - 1])
    table = residual_table([residual_diagnostic(e, 1, "naive", "walk", "backtest")])
    assert table.loc[0, "source"] == "backtest"


# -- stationarity and differencing advice -------------------------------------------------------
def test_airline_gets_log_and_seasonal_difference() -> None:
    y = datasets.load("airline")["y"].to_numpy(float)
    rep = stationarity_report(y, 12, "airline")
    assert rep.log and rep.D == 1 and rep.seasonal_strength > 0.9
    assert rep.transform.startswith("log,diff:12")
    assert -0.6 < rep.boxcox_lambda < 0.0  # Guerrero's lambda is about -0.3
    assert "Use transform='log,diff:12" in rep.advice
    make_pipeline(rep.transform)  # a valid spec


@pytest.mark.parametrize(
    ("kind", "m", "expected"),
    [("noise", 1, ""), ("walk", 1, "diff"), ("sine", 12, "diff:12"), ("negative walk", 1, "diff")],
)
def test_recommend_transform(kind: str, m: int, expected: str) -> None:
    rng = np.random.default_rng(7)
    n = 300
    y = {
        "noise": lambda: 5 + rng.normal(size=n),
        "walk": lambda: 50 + np.cumsum(rng.normal(size=n)),
        "sine": lambda: 10 + 3 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, .5, n),
        "negative walk": lambda: -200 + np.cumsum(rng.normal(size=n)),
    }[kind]()
    assert recommend_transform(y, m) == expected


def test_variance_growing_with_level_asks_for_log() -> None:
    rng = np.random.default_rng(8)
    t = np.arange(240)
    y = np.exp(0.01 * t + 0.2 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.03, t.size))
    lam, ratio = guerrero_lambda(y, 12)
    assert abs(lam) < 0.3 and ratio > 5
    assert recommend_transform(y, 12).startswith("log")
    assert common_transform([y, y * 2], 12).startswith("log")
    assert not common_transform([y, y - 100], 12).startswith("log")  # not all positive


def test_stationarity_bad_input() -> None:
    with pytest.raises(DataError, match="NaN"):
        stationarity_report(np.array([1.0, np.nan] * 10))
    with pytest.raises(ConfigError, match="season_length"):
        stationarity_report(np.ones(30), 0)
    assert stationarity_report(np.arange(5.0)).verdict == "too short"
    assert recommend_transform(np.arange(5.0), 1) == ""


# -- figures -------------------------------------------------------------------------------------
def test_figures(tmp_path: Path, walk: pd.DataFrame) -> None:
    res = backtest([Naive(alias="naive"), Drift(alias="drift")], walk, h=1, n_windows=20,
                   step=1, freq=1)
    report = diagnose_backtest(res)
    fig = plot_cross_correlation(report.shift, tmp_path / "ccf.png")
    assert len(fig.axes[0].get_lines()) >= 2
    assert (tmp_path / "ccf.png").stat().st_size > 1000
    fig = plot_skill(report.shift, tmp_path / "skill.png")
    assert fig.axes[0].get_yticklabels()[0].get_text() == "naive\npersistence"
    fig = plot_residual_acf(report.residuals, tmp_path / "acf.png")
    assert sum(ax.get_visible() for ax in fig.axes) == len(report.residuals)
    one = backtest([Naive(alias="naive")], walk, h=5, n_windows=1, freq=1)
    empty = plot_cross_correlation(diagnose_shift(one), None)
    assert "no forecast path" in empty.axes[0].texts[0].get_text()


def test_diagnostics_take_the_runs_season_length_unless_given() -> None:
    frame = seasonal_frame(n_series=2, length=60, m=12, seed=4)
    res = backtest(["snaive"], frame, h=6, n_windows=2)
    assert res.season_length == 12  # monthly: decided once by the run
    assert diagnose_backtest(res, residuals=False).season_length == 12
    assert diagnose_backtest(res, season_length=1, residuals=False).season_length == 1
    assert set(diagnose_shift(res)) == {"snaive"}
