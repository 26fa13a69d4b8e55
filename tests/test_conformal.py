"""Conformal intervals (gatecast.evaluation.conformal): calibrated per horizon step on
rolling-origin backtest errors, around any forecaster; quantile intervals stay the default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gatecast as gc
from gatecast.cli.main import main
from gatecast.data.validate import validate
from gatecast.errors import ConfigError, DataError
from gatecast.evaluation.conformal import (
    Calibration,
    ConformalConfig,
    calibrate,
    conformal_rank,
    margins,
)
from gatecast.evaluation.forecast import forecast
from gatecast.models.baselines import HistoricMean, Naive, SeasonalNaive
from gatecast.models.recurrent import LSTM
from gatecast.plotting import plot_forecast
from gatecast.report import build_report
from helpers import seasonal_frame

TINY = {"hidden_size": 8, "num_layers": 1, "head_hidden": 8, "head_layers": 1,
        "max_steps": 5}


def noise_frame(n_series: int, length: int, seed: int, scale_by_series: bool = True
                ) -> pd.DataFrame:
    """i.i.d. Gaussian noise around a level, each series with its own scale."""
    rng = np.random.default_rng(seed)
    scales = rng.uniform(0.5, 20.0, n_series) if scale_by_series else np.ones(n_series)
    y = 100 + rng.normal(size=(n_series, length)) * scales[:, None]
    return pd.DataFrame({"unique_id": np.repeat([f"s{i:03d}" for i in range(n_series)], length),
                         "ds": np.tile(np.arange(length), n_series), "y": y.reshape(-1)})


def coverage_of(df: pd.DataFrame, h: int, windows: int) -> dict[float, float]:
    """Coverage of the conformal intervals of the historic mean on the last ``h`` points."""
    sf = validate(df, freq=1)
    cut = sf.lengths - h
    train = df[df.groupby("unique_id").cumcount() < cut[0]]
    test = df[df.groupby("unique_id").cumcount() >= cut[0]].reset_index(drop=True)
    fc = forecast(HistoricMean(), train, h, level=[80, 95], intervals="conformal",
                  conformal=ConformalConfig(n_windows=windows), freq=1).forecasts
    assert fc.attrs["intervals"] == "conformal"
    y = test["y"].to_numpy()
    return {lv: float(np.mean((y >= fc[f"HistoricMean-lo-{lv}"].to_numpy())
                              & (y <= fc[f"HistoricMean-hi-{lv}"].to_numpy())))
            for lv in (80, 95)}


def test_coverage_near_nominal_on_iid_noise_pooled() -> None:
    # 5 windows: 80% per series (the 5th of 5 errors: 5/6 expected), 95% pooled over series
    cov = coverage_of(noise_frame(400, 150, seed=1), h=6, windows=5)
    assert 0.93 <= cov[95] <= 0.97, cov
    assert 0.80 <= cov[80] <= 0.87, cov


def test_coverage_near_nominal_on_iid_noise_per_series() -> None:
    # 19 windows: 95% from each series' own errors (the 19th of 19: 19/20 expected)
    cov = coverage_of(noise_frame(200, 130, seed=2), h=4, windows=19)
    assert 0.93 <= cov[95] <= 0.97, cov
    assert 0.77 <= cov[80] <= 0.83, cov


def test_finite_sample_rank() -> None:
    assert conformal_rank(5, 80) == 5
    assert conformal_rank(19, 95) == 19
    assert conformal_rank(18, 95) == 19  # too few: the fallback decides
    assert conformal_rank(9, 80) == 8


def test_margin_at_step_k_uses_errors_at_step_k_only() -> None:
    rng = np.random.default_rng(0)
    errors = rng.uniform(size=(5, 3, 4))
    errors[:, :, 2] *= 1000  # huge errors at step 2 only
    cal = Calibration("m", np.array(["a", "b", "c"]), errors, np.ones(3))
    for short in ("pool", "max"):
        bands = margins(cal, [80, 95], short)
        for lv in (80, 95):
            assert np.all(bands.margins[lv][:, [0, 1, 3]] <= 1.0)
            assert np.all(bands.margins[lv][:, 2] > 1.0)
        changed = errors.copy()
        changed[:, :, 2] = 0.0
        other = margins(Calibration("m", cal.ids, changed, cal.scales), [80, 95], short)
        for lv in (80, 95):
            np.testing.assert_array_equal(other.margins[lv][:, [0, 1, 3]],
                                          bands.margins[lv][:, [0, 1, 3]])
    # 80% with 5 windows: the 5th smallest of each series' 5 errors at that step
    np.testing.assert_array_equal(margins(cal, [80]).margins[80], errors.max(axis=0))


def test_calibration_folds_never_see_their_future() -> None:
    df = noise_frame(4, 60, seed=3)
    sf = validate(df, freq=1)
    h, w = 5, 3
    cal = calibrate(Naive(), sf, h, ConformalConfig(n_windows=w))
    ga = sf.grouped()
    for i in range(sf.n_series):  # naive: each fold forecasts the value before its cutoff
        y = ga[i]
        for k in range(w):
            cut = len(y) - h * (w - k)
            np.testing.assert_allclose(cal.errors[k, i], np.abs(y[cut:cut + h] - y[cut - 1]))
    # the last fold's test window changed wildly: earlier folds' errors are untouched
    spiked = df.copy()
    last = spiked.groupby("unique_id").cumcount() >= 60 - h
    spiked.loc[last, "y"] = 1e6
    other = calibrate(HistoricMean(), validate(spiked, freq=1), h, ConformalConfig(n_windows=w))
    base = calibrate(HistoricMean(), sf, h, ConformalConfig(n_windows=w))
    np.testing.assert_array_equal(other.errors[:-1], base.errors[:-1])


def test_report_calibrates_on_the_training_part_only() -> None:
    df = seasonal_frame(2, 72)
    h = 6
    spiked = df.copy()
    groups = spiked.groupby("unique_id")
    holdout = groups.cumcount() >= groups["y"].transform("size") - h
    spiked.loc[holdout, "y"] *= 50  # the final h points of each series: the hold-out

    def widths(data: pd.DataFrame) -> np.ndarray:
        report = build_report([SeasonalNaive(season_length=12, alias="sn")], data, h,
                              season_length=12, level=[80, 95], intervals="conformal",
                              conformal=ConformalConfig(n_windows=3))
        hold = report.context.holdout
        assert report.context.intervals == "conformal"
        assert "conformal" in report.to_html()
        return (hold["sn-hi-95"] - hold["sn-lo-95"]).to_numpy()

    np.testing.assert_array_equal(widths(df), widths(spiked))


def test_conformal_for_a_classical_and_a_recurrent_model() -> None:
    df = seasonal_frame(3, 72)
    for model in (gc.ETS(season_length=12), LSTM(horizon=6, **TINY)):
        run = gc.forecast(model, df, 6, level=[80, 95], intervals="conformal",
                          conformal=ConformalConfig(n_windows=2))
        fc = run.forecasts
        name = model.name
        assert run.intervals == "conformal"
        assert list(fc.columns) == ["unique_id", "ds", name, f"{name}-lo-80", f"{name}-hi-80",
                                    f"{name}-lo-95", f"{name}-hi-95"]
        assert len(fc) == 18 and np.isfinite(fc.iloc[:, 2:].to_numpy()).all()
        assert (fc[f"{name}-lo-95"] <= fc[f"{name}-lo-80"]).all()
        assert (fc[f"{name}-lo-80"] <= fc[name]).all() and (fc[name] <= fc[f"{name}-hi-80"]).all()
        assert (fc[f"{name}-hi-80"] <= fc[f"{name}-hi-95"]).all()


def test_quantile_default_unchanged() -> None:
    df = seasonal_frame(3, 72)
    model = SeasonalNaive(season_length=12)
    own = model.clone().fit(df).predict(6, level=[80, 95])
    for kwargs in ({}, {"intervals": "quantile"}):
        run = gc.forecast(model, df, 6, level=[80, 95], **kwargs)
        pd.testing.assert_frame_equal(run.forecasts, own)
        assert run.intervals == "quantile" and "intervals" not in run.forecasts.attrs


def test_bad_options_fail_before_any_fitting() -> None:
    df = seasonal_frame(2, 40)
    with pytest.raises(ConfigError, match="'quantile', 'conformal'"):
        gc.forecast(Naive(), df, 4, level=[80], intervals="split")
    for n in (0, 101, 2.5, True):
        with pytest.raises(ConfigError, match="n_windows"):
            ConformalConfig(n_windows=n)
    with pytest.raises(ConfigError, match="short"):
        ConformalConfig(short="widen")
    with pytest.raises(ConfigError, match="needs level"):
        gc.forecast(Naive(), df, 4, intervals="conformal")

    class Exploding(LSTM):
        def fit(self, *args, **kwargs):  # type: ignore[override]
            raise AssertionError("fitted before the too-short check")

    # the first model could be calibrated (it is short enough); the second cannot: both are
    # checked before the first is fitted
    renamed = df.assign(unique_id=np.where(df["unique_id"] == df["unique_id"].iloc[0], "a",
                                           "b"))
    with pytest.raises(DataError, match=r"series 'a'.*fewer windows"):
        gc.forecast([Exploding(horizon=4, **TINY), SeasonalNaive(season_length=12)], renamed,
                    4, level=[80], intervals="conformal", conformal=ConformalConfig(n_windows=9))


def test_plot_says_conformal() -> None:
    df = seasonal_frame(1, 72)
    fc = forecast(Naive(), df, 6, level=[80, 95], intervals="conformal",
                  conformal=ConformalConfig(n_windows=3)).forecasts
    fig = plot_forecast(df, fc)
    _, labels = fig.axes[0].get_legend_handles_labels()
    assert "Naive 95% conformal" in labels
    plain = plot_forecast(df, Naive().fit(df).predict(6, level=[80, 95]))
    assert "Naive 95%" in plain.axes[0].get_legend_handles_labels()[1]


def test_cli_conformal_and_bad_input(capsys, tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    seasonal_frame(2, 72).to_csv(path, index=False)
    out = tmp_path / "fc.csv"
    code = main(["--quiet", "forecast", str(path), "--model", "snaive", "--h", "6",
                 "--season-length", "12", "--level", "80,95", "--intervals", "conformal",
                 "--conformal-windows", "3", "--output", str(out),
                 "--plot", str(tmp_path / "p.png")])
    _, err = capsys.readouterr()
    assert code == 0, err
    fc = pd.read_csv(out)
    assert list(fc.columns)[2:] == ["snaive", "snaive-lo-80", "snaive-hi-80", "snaive-lo-95",
                                    "snaive-hi-95"]
    quantile = tmp_path / "q.csv"
    assert main(["--quiet", "forecast", str(path), "--model", "snaive", "--h", "6",
                 "--season-length", "12", "--level", "80,95", "--output", str(quantile)]) == 0
    capsys.readouterr()
    q = pd.read_csv(quantile)
    assert not np.allclose(q["snaive-hi-95"], fc["snaive-hi-95"])  # a different method
    np.testing.assert_allclose(q["snaive"], fc["snaive"])
    for bad, message in ((["--intervals", "split"], "'quantile', 'conformal'"),
                         (["--intervals", "conformal", "--conformal-windows", "20"],
                          "fewer windows"),
                         (["--intervals", "conformal", "--conformal-windows", "0"], "n_windows"),
                         (["--conformal-windows", "3"], "needs --intervals conformal")):
        code = main(["--quiet", "forecast", str(path), "--model", "snaive", "--h", "6",
                     "--season-length", "12", "--level", "80,95", "--output",
                     str(tmp_path / "x.csv"), *bad])
        _, err = capsys.readouterr()
        assert code == 2, (bad, err)
        assert err.count("\n") == 1 and message in err, err
