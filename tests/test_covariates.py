"""Past-only, known-future and static covariates in the recurrent forecasters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gatecast.errors import ConfigError, DataError
from gatecast.evaluation.backtest import backtest
from gatecast.io.serialize import load
from gatecast.models.recurrent import LSTM, RecurrentForecaster
from gatecast.training.config import TrainerConfig

TINY = {"hidden_size": 16, "num_layers": 1, "head_hidden": 32, "head_layers": 1,
        "trainer": TrainerConfig(lr=1e-2, batch_size=64, seed=0)}


def promo_frame(n_series: int = 6, n: int = 150, seed: int = 0) -> pd.DataFrame:
    """y jumps by 10 on promotion days, which are random but planned (known in advance)."""
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(n_series):
        promo = (rng.random(n) < 0.3).astype(float)
        y = 20 + 10 * promo + rng.normal(0, 0.5, n)
        parts.append(pd.DataFrame({"unique_id": f"p{i}", "ds": np.arange(n), "y": y,
                                   "promo": promo}))
    return pd.concat(parts, ignore_index=True)


def split(df: pd.DataFrame, h: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    last = df.groupby("unique_id")["ds"].transform("max")
    return df[df["ds"] <= last - h], df[df["ds"] > last - h]


def mae(fc: pd.DataFrame, test: pd.DataFrame, col: str) -> float:
    merged = fc.merge(test, on=["unique_id", "ds"])
    return float(np.mean(np.abs(merged[col] - merged["y"])))


def test_known_future_covariate_is_used() -> None:
    df = promo_frame()
    train, test = split(df, 6)
    with_cov = LSTM(horizon=6, look_back=12, future_covariates=("promo",), max_steps=300,
                    **TINY).fit(train)
    without = LSTM(horizon=6, look_back=12, max_steps=300, **TINY).fit(train[["unique_id",
                                                                               "ds", "y"]])
    future = test.drop(columns="y")
    err_cov = mae(with_cov.predict(6, future=future), test, "lstm")
    err_plain = mae(without.predict(6), test, "lstm")
    # Without the plan the best guess is the mean (MAE ~4.2); with it, ~the noise (0.4).
    assert err_cov < 0.5 * err_plain, (err_cov, err_plain)
    # The forecast follows the plan: flipping the promotions moves it by about 10.
    flipped = future.assign(promo=1 - future["promo"])
    delta = (with_cov.predict(6, future=flipped)["lstm"]
             - with_cov.predict(6, future=future)["lstm"]).to_numpy()
    sign = np.where(future["promo"].to_numpy() == 1, -1, 1)
    assert np.mean(delta * sign) > 5


def test_past_covariate_leading_indicator() -> None:
    rng = np.random.default_rng(1)
    parts = []
    for i in range(6):
        x = rng.normal(0, 1, 200)
        y = np.r_[0.0, 3 * x[:-1]] + rng.normal(0, 0.1, 200)  # y_t = 3 x_{t-1}
        parts.append(pd.DataFrame({"unique_id": i, "ds": np.arange(200), "y": y, "x": x}))
    df = pd.concat(parts, ignore_index=True)
    train, test = split(df, 1)
    with_cov = LSTM(horizon=1, look_back=4, past_covariates=("x",), max_steps=300,
                    normalize="none", **TINY).fit(train)
    plain = LSTM(horizon=1, look_back=4, max_steps=300, normalize="none", **TINY).fit(
        train[["unique_id", "ds", "y"]])
    assert mae(with_cov.predict(1), test, "lstm") < 0.4 * mae(plain.predict(1), test, "lstm")
    with pytest.raises(ConfigError, match="at most 1 step"):
        with_cov.predict(2)


def test_static_feature_sets_the_level() -> None:
    rng = np.random.default_rng(2)
    levels = rng.uniform(-3, 3, 40)
    parts = [pd.DataFrame({"unique_id": i, "ds": np.arange(60),
                           "y": a + rng.normal(0, 1, 60)}) for i, a in enumerate(levels)]
    df = pd.concat(parts, ignore_index=True)
    static = pd.DataFrame({"unique_id": np.arange(40), "level": levels})
    train, _ = split(df, 1)
    kw = {"horizon": 1, "look_back": 2, "normalize": "none", "max_steps": 400, **TINY}
    with_static = LSTM(static_features=("level",), **kw).fit(train, static=static)
    plain = LSTM(**kw).fit(train)
    # Two noisy points cannot pin the level down; the static feature gives it exactly.
    errs = []
    for model in (with_static, plain):
        fc = model.predict(1)
        merged = fc.merge(static, on="unique_id")
        errs.append(float(np.mean((merged["lstm"] - merged["level"]) ** 2)))
    assert errs[0] < 0.5 * errs[1], errs
    # Static features can also be columns of the frame, constant within each series.
    in_frame = train.merge(static, on="unique_id")
    again = LSTM(static_features=("level",), **kw).fit(in_frame)
    np.testing.assert_allclose(again.predict(1)["lstm"], with_static.predict(1)["lstm"],
                               rtol=1e-5)


@pytest.mark.parametrize("look_back", [8, (6, 12)])  # a look-back ensemble slices its tails
def test_save_load_and_forward_with_covariates(tmp_path, look_back: object) -> None:
    df = promo_frame(3, 80).assign(region=lambda d: d["unique_id"].str[1:].astype(float))
    train, test = split(df, 4)
    model = RecurrentForecaster(cell="gru", horizon=4, look_back=look_back, max_steps=30,
                                future_covariates=("promo",), static_features=("region",),
                                **TINY).fit(train)
    future = test.drop(columns="y")
    before = model.predict(4, future=future)
    model.save(tmp_path / "m")
    loaded = load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.predict(4, future=future), before)
    # forward() on the same history reproduces predict().
    pd.testing.assert_frame_equal(model.forward(train, 4, future=future), before)
    # Longer forecasts take the covariates of every pass.
    more = promo_frame(3, 88).assign(region=lambda d: d["unique_id"].str[1:].astype(float))
    assert len(model.predict(7, future=more[more["ds"] >= 76].drop(columns="y"))) == 21


def test_backtest_passes_future_covariates_without_leaking() -> None:
    df = promo_frame(3, 90)
    model = LSTM(look_back=8, future_covariates=("promo",), max_steps=30, **TINY)
    first = backtest(model, df, h=5, n_windows=2).forecasts
    changed = df.copy()
    last = changed.groupby("unique_id")["ds"].transform("max")
    changed.loc[changed["ds"] > last - 5, "y"] += 1000  # the last fold's targets
    second = backtest(model, changed, h=5, n_windows=2).forecasts
    np.testing.assert_allclose(first["lstm"], second["lstm"], rtol=1e-6)


def test_covariate_errors_are_one_line() -> None:
    df = promo_frame(2, 60)
    with pytest.raises(ConfigError, match="more than one kind"):
        LSTM(past_covariates=("promo",), future_covariates=("promo",))
    with pytest.raises(DataError, match=r"\['price'\] not found"):
        LSTM(future_covariates=("price",), max_steps=5, **TINY).fit(df)
    bad = df.assign(promo=df["promo"].astype(object))
    bad.loc[3, "promo"] = "yes"
    with pytest.raises(DataError, match="non-numeric covariate value in column 'promo'"):
        LSTM(past_covariates=("promo",), horizon=1, max_steps=5, **TINY).fit(bad)
    with pytest.raises(DataError, match="change over time in series 'p0'"):
        LSTM(static_features=("promo",), max_steps=5, **TINY).fit(df)
    model = LSTM(horizon=3, future_covariates=("promo",), max_steps=5, **TINY).fit(df)
    with pytest.raises(DataError, match="pass future="):
        model.predict(3)
    short = pd.DataFrame({"unique_id": "p0", "ds": [60, 61], "promo": [1.0, 0.0]})
    with pytest.raises(DataError, match="series 'p0' are missing at 1 of the 3 steps"):
        model.predict(3, future=pd.concat([short, pd.DataFrame(
            {"unique_id": "p1", "ds": [60, 61, 62], "promo": 0.0})]))
    with pytest.raises(DataError, match="no row for series 'p1'"):
        LSTM(static_features=("s",), max_steps=5, **TINY).fit(
            df, static=pd.DataFrame({"unique_id": ["p0"], "s": [1.0]}))


def test_cli_forecast_with_future_covariates(tmp_path, capsys) -> None:
    from gatecast.cli.main import main

    df = promo_frame(2, 60)
    train, test = split(df, 4)
    train.to_csv(tmp_path / "train.csv", index=False)
    test.drop(columns="y").to_csv(tmp_path / "future.csv", index=False)
    args = ["--quiet", "forecast", str(tmp_path / "train.csv"), "--model", "lstm", "--h", "4",
            "--param", "future_covariates=('promo',)", "--param", "max_steps=10",
            "--output", str(tmp_path / "fc.csv")]
    assert main([*args, "--future", str(tmp_path / "future.csv")]) == 0
    out = pd.read_csv(tmp_path / "fc.csv")
    assert len(out) == 8 and np.isfinite(out["lstm"]).all()
    assert main(args) == 2
    assert "give them with --future FILE" in capsys.readouterr().err
