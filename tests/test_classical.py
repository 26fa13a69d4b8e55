"""Classical forecasters on StatsForecast and arch: shapes, maths, forward, intervals, errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from gatecast.errors import ConfigError, DataError
from gatecast.models.arima import ARIMA, SARIMA, AutoARIMA
from gatecast.models.base import LocalForecaster
from gatecast.models.baselines import Naive
from gatecast.models.garch import ARIMAGARCH, arima_psi_weights
from gatecast.models.smoothing import ETS, Theta
from helpers import seasonal_frame

FACTORIES: dict[str, Callable[[], LocalForecaster]] = {
    "arima": lambda: ARIMA(order=(1, 1, 1), seasonal_order=(0, 1, 1), season_length=12),
    "sarima": lambda: SARIMA(season_length=12),
    "autoarima": lambda: AutoARIMA(season_length=12),
    "ets": lambda: ETS(season_length=12),
    "theta": lambda: Theta(season_length=12),
    "arima-garch": lambda: ARIMAGARCH(order=(1, 1, 0)),
}


def frame(series: dict[str, np.ndarray], freq: str = "MS") -> pd.DataFrame:
    parts = [
        pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2000-01-01", periods=len(y),
                                                            freq=freq), "y": y})
        for uid, y in series.items()
    ]
    return pd.concat(parts, ignore_index=True)


def ar1(n: int, phi: float, mu: float, seed: int, sd: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.empty(n)
    y[0] = mu
    for t in range(1, n):
        y[t] = mu + phi * (y[t - 1] - mu) + rng.normal(0, sd)
    return y


def wide(fcst: pd.DataFrame, column: str) -> np.ndarray:
    """``[n_series, h]`` array of one forecast column, series in frame order."""
    ids = pd.unique(fcst["unique_id"])
    return np.stack([fcst.loc[fcst["unique_id"] == uid, column].to_numpy() for uid in ids])


@pytest.fixture(scope="module")
def monthly3() -> pd.DataFrame:
    return seasonal_frame(n_series=3, length=72, m=12, seed=3)


@pytest.fixture(scope="module")
def fitted(monthly3: pd.DataFrame) -> dict[str, LocalForecaster]:
    return {name: make().fit(monthly3) for name, make in FACTORIES.items()}


# -- every model: shape, ids, dates, finiteness, interval ordering -----------------------
@pytest.mark.parametrize("name", list(FACTORIES))
def test_forecast_shape_ids_and_intervals(
    name: str, fitted: dict[str, LocalForecaster], monthly3: pd.DataFrame
) -> None:
    model = fitted[name]
    h = 12
    fcst = model.predict(h, level=[80, 95])
    col = model.name
    assert list(fcst.columns) == [
        "unique_id", "ds", col, f"{col}-lo-80", f"{col}-hi-80", f"{col}-lo-95", f"{col}-hi-95"
    ]
    assert len(fcst) == 3 * h
    assert list(pd.unique(fcst["unique_id"])) == ["s0", "s1", "s2"]
    last = monthly3.groupby("unique_id")["ds"].max()
    for uid, ds in fcst.groupby("unique_id")["ds"]:
        expected = pd.date_range(last[uid], periods=h + 1, freq="MS")[1:]
        assert (ds.to_numpy() == expected.to_numpy()).all()
    values = fcst.drop(columns=["unique_id", "ds"]).to_numpy()
    assert np.isfinite(values).all()
    mean = fcst[col].to_numpy()
    lo80, hi80 = fcst[f"{col}-lo-80"].to_numpy(), fcst[f"{col}-hi-80"].to_numpy()
    lo95, hi95 = fcst[f"{col}-lo-95"].to_numpy(), fcst[f"{col}-hi-95"].to_numpy()
    assert (lo80 < mean).all() and (mean < hi80).all()
    assert (lo95 < lo80).all() and (hi80 < hi95).all()
    # Without levels: the same means, no interval columns.
    plain = model.predict(h)
    assert list(plain.columns) == ["unique_id", "ds", col]
    np.testing.assert_allclose(plain[col].to_numpy(), mean)


def test_autoarima_beats_naive_on_airline_like_series() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(144)
    season = 1 + 0.22 * np.sin(2 * np.pi * t / 12) + 0.08 * np.cos(4 * np.pi * t / 12)
    y = 120 * np.exp(0.01 * t) * season * np.exp(rng.normal(0, 0.03, t.size))
    train, test = y[:-12], y[-12:]
    df = frame({"air": train})
    auto = AutoARIMA(season_length=12).fit(df).predict(12)["AutoARIMA"].to_numpy()
    naive = Naive().fit(df).predict(12)["Naive"].to_numpy()
    mae_auto = np.mean(np.abs(auto - test))
    mae_naive = np.mean(np.abs(naive - test))
    assert mae_auto < 0.5 * mae_naive


def test_ar1_forecast_reverts_to_the_mean_analytically() -> None:
    hi, lo = ar1(200, 0.7, 20.0, seed=1), ar1(200, 0.7, 20.0, seed=2)
    hi[-1], lo[-1] = 28.0, 12.0  # end far above / below the mean
    model = ARIMA(order=(1, 0, 0)).fit(frame({"hi": hi, "lo": lo}))
    mean = wide(model.predict(8), "ARIMA")
    steps = np.arange(1, 9)
    for i, y in enumerate((hi, lo)):
        coef = model.states_[0][i].model_["coef"]
        phi, mu = coef["ar1"], coef["intercept"]
        assert 0.5 < phi < 0.9 and 19 < mu < 21
        np.testing.assert_allclose(mean[i], mu + phi**steps * (y[-1] - mu), rtol=1e-8)
    # Monotone towards the mean from either side, never overshooting it.
    assert (np.diff(mean[0]) < 0).all() and (mean[0] > 20.0 - 1).all()
    assert (np.diff(mean[1]) > 0).all() and (mean[1] < 20.0 + 1).all()


# -- forward: the fitted parameters applied to new history ----------------------------------
def test_arima_forward_keeps_the_fitted_coefficients() -> None:
    a = frame({"x": ar1(150, 0.8, 10.0, seed=3)})
    b = frame({"x": ar1(90, -0.6, 40.0, seed=4)})  # re-estimation would move phi and mu far
    model = ARIMA(order=(1, 0, 0)).fit(a)
    coef = dict(model.states_[0][0].model_["coef"])
    phi, mu = coef["ar1"], coef["intercept"]
    fwd = model.forward(b, 5)["ARIMA"].to_numpy()
    y_end = b["y"].iloc[-1]
    np.testing.assert_allclose(fwd, mu + phi ** np.arange(1, 6) * (y_end - mu), rtol=1e-8)
    refit = ARIMA(order=(1, 0, 0)).fit(b).predict(5)["ARIMA"].to_numpy()
    assert np.max(np.abs(fwd - refit)) > 5.0
    assert model.states_[0][0].model_["coef"] == coef  # forward changed nothing
    # New history moves the forecast (its origin), not the parameters.
    assert np.max(np.abs(fwd - model.predict(5)["ARIMA"].to_numpy())) > 1.0
    fwd_dates = model.forward(b, 5)["ds"]
    assert fwd_dates.iloc[0] == b["ds"].iloc[-1] + pd.offsets.MonthBegin(1)


def test_ets_forward_runs_the_old_smoothing_on_new_history() -> None:
    a = frame({"x": ar1(120, 0.95, 10.0, seed=5, sd=0.5)})
    b = frame({"x": ar1(60, 0.2, 30.0, seed=6, sd=3.0)})
    model = ETS(model="ANN").fit(a)
    par = model.states_[0][0].model_["par"]
    alpha, level = par[0], par[4]
    for y in b["y"].to_numpy():  # l_t = l_{t-1} + alpha (y_t - l_{t-1}) from the old l_0
        level += alpha * (y - level)
    fwd = model.forward(b, 4)["ETS"].to_numpy()
    np.testing.assert_allclose(fwd, np.full(4, level), rtol=1e-8)
    refit = ETS(model="ANN").fit(b)
    assert abs(refit.states_[0][0].model_["par"][0] - alpha) > 0.05
    assert np.max(np.abs(fwd - refit.predict(4)["ETS"].to_numpy())) > 1e-3


@pytest.mark.parametrize("name", list(FACTORIES))
def test_forward_on_fit_data_reproduces_predict_and_differs_from_refit(
    name: str, fitted: dict[str, LocalForecaster], monthly3: pd.DataFrame
) -> None:
    model = fitted[name]
    col = model.name
    pred = model.predict(6, level=[90])
    same = model.forward(monthly3, 6, level=[90])
    for c in (col, f"{col}-lo-90", f"{col}-hi-90"):
        np.testing.assert_allclose(same[c].to_numpy(), pred[c].to_numpy(), rtol=1e-7, atol=1e-9)
    # Other history for the same series: a steeper trend and a stronger season.
    other = monthly3.copy()
    t = other.groupby("unique_id").cumcount().to_numpy()
    other["y"] = other["y"] * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) + 0.8 * t
    moved = model.forward(other, 6)[col].to_numpy()
    refit = FACTORIES[name]().fit(other).predict(6)[col].to_numpy()
    assert np.isfinite(moved).all()
    assert not np.allclose(moved, refit, rtol=1e-4)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_save_load_round_trip_keeps_forecasts_and_forward(
    name: str, fitted: dict[str, LocalForecaster], monthly3: pd.DataFrame, tmp_path
) -> None:
    from gatecast.io.serialize import load

    model = fitted[name]
    model.save(tmp_path / name)
    loaded = load(tmp_path / name)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    pd.testing.assert_frame_equal(loaded.predict(6, level=[80]), model.predict(6, level=[80]))
    shorter = monthly3.groupby("unique_id").head(66)
    pd.testing.assert_frame_equal(
        loaded.forward(shorter, 6, level=[80]), model.forward(shorter, 6, level=[80])
    )


def test_css_ml_failure_is_refitted_with_ml() -> None:
    # A level shift of +600 makes the CSS start non-stationary (phi > 1); CSS-ML then ends
    # in NaN inside StatsForecast, and ML from its default start fits the same model.
    y = seasonal_frame(n_series=2, length=84, m=12, seed=11).query("unique_id == 's1'")
    values = y["y"].to_numpy().copy()[:84]
    values[78:] = values[78:] * 3 + 500
    model = ARIMA(order=(1, 0, 0)).fit(frame({"shift": values}))
    sf_model = model.states_[0][0]
    assert sf_model.method == "ML"
    assert 0.9 < sf_model.model_["coef"]["ar1"] < 1.0
    assert np.isfinite(model.predict(3, level=[95]).drop(columns=["unique_id", "ds"])).all(None)


# -- ETS above 24 seasons ------------------------------------------------------------------
def test_ets_fits_weekly_seasonality_above_24() -> None:
    rng = np.random.default_rng(11)
    t = np.arange(4 * 52)
    season = 6 * np.sin(2 * np.pi * t / 52) + 3 * np.cos(4 * np.pi * t / 52)
    y = 50 + season + rng.normal(0, 0.5, t.size)
    train, test = y[:-52], y[-52:]
    df = frame({"w": train}, freq="W-SUN")
    seasonal = ETS(season_length=52).fit(df)
    assert seasonal.states_[0][0].model_["components"][2] != "N"
    fcst = seasonal.predict(52, level=[95])
    assert np.isfinite(fcst.drop(columns=["unique_id", "ds"]).to_numpy()).all()
    flat = ETS(season_length=52, model="ZZN").fit(df).predict(52)["ETS"].to_numpy()
    mae = np.mean(np.abs(fcst["ETS"].to_numpy() - test))
    assert mae < 0.5 * np.mean(np.abs(flat - test))


# -- ARIMA-GARCH ----------------------------------------------------------------------------
def test_psi_weights_reproduce_arima_interval_widths(monthly3: pd.DataFrame) -> None:
    model = ARIMA(order=(1, 1, 1), seasonal_order=(1, 1, 1), season_length=12).fit(monthly3)
    fcst = model.predict(30, level=[95])
    width = wide(fcst, "ARIMA-hi-95") - wide(fcst, "ARIMA")
    for i, sf_model in enumerate(model.states_[0]):
        psi = arima_psi_weights(sf_model.model_["coef"], sf_model.model_["arma"], 30)
        sd = np.sqrt(sf_model.model_["sigma2"] * np.cumsum(psi**2))
        np.testing.assert_allclose(width[i], norm.ppf(0.975) * sd, rtol=1e-4)


def garch_path(n: int, seed: int, tail: np.ndarray | None = None) -> np.ndarray:
    """AR(1) (phi 0.5, mean 10) with GARCH(1,1) innovations (omega .1, alpha .15, beta .8)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    if tail is not None:
        z[-tail.size:] = tail
    var, eps, y = 2.0, 0.0, np.empty(n)
    prev = 10.0
    for t in range(n):
        var = 0.1 + 0.15 * eps**2 + 0.8 * var
        eps = np.sqrt(var) * z[t]
        prev = y[t] = 10 + 0.5 * (prev - 10) + eps
    return y


def test_garch_intervals_widen_after_a_volatility_burst() -> None:
    burst = garch_path(400, seed=21, tail=np.array([2.5, -2.8, 2.6, -2.4, 2.7]))
    calm = garch_path(400, seed=21, tail=np.array([0.1, -0.1, 0.05, -0.05, 0.1]))
    df = frame({"burst": burst, "calm": calm})
    model = ARIMAGARCH(order=(1, 0, 0)).fit(df)
    fcst = model.predict(10, level=[95])
    width = wide(fcst, "ARIMAGARCH-hi-95") - wide(fcst, "ARIMAGARCH-lo-95")
    assert width[0, 0] > 2.0 * width[1, 0]
    # The burst decays: the gap between the two endings narrows with the horizon.
    assert width[0, -1] / width[1, -1] < width[0, 0] / width[1, 0]
    # A homoskedastic ARIMA cannot tell the two endings apart nearly as well.
    plain = ARIMA(order=(1, 0, 0)).fit(df).predict(1, level=[95])
    plain_w = (plain["ARIMA-hi-95"] - plain["ARIMA-lo-95"]).to_numpy()
    assert plain_w[0] / plain_w[1] < 1.5
    # forward on the calm history with the burst series' parameters gives calm widths.
    fwd = model.forward(frame({"burst": calm, "calm": calm}), 1, level=[95])
    fwd_w = (fwd["ARIMAGARCH-hi-95"] - fwd["ARIMAGARCH-lo-95"]).to_numpy()
    assert fwd_w[0] < 0.5 * width[0, 0]


def test_garch_interval_coverage_is_sane() -> None:
    n, h, k = 300, 5, 40
    # Zero-padded ids: the frame is sorted by id, so s02 must come before s10.
    paths = {f"s{i:02d}": garch_path(n + h, seed=100 + i) for i in range(k)}
    train = frame({uid: y[:n] for uid, y in paths.items()})
    fcst = ARIMAGARCH(order=(1, 0, 0)).fit(train).predict(h, level=[95])
    actual = np.stack([y[n:] for y in paths.values()])
    lo, hi = wide(fcst, "ARIMAGARCH-lo-95"), wide(fcst, "ARIMAGARCH-hi-95")
    coverage = np.mean((actual >= lo) & (actual <= hi))
    assert list(pd.unique(fcst["unique_id"])) == list(paths)
    assert 0.88 <= coverage <= 0.99


def test_garch_t_innovations_give_finite_asymmetric_free_intervals() -> None:
    df = frame({"a": garch_path(300, seed=5), "b": garch_path(320, seed=6)})
    fcst = ARIMAGARCH(order=(1, 0, 0), dist="t").fit(df).predict(4, level=[80, 95])
    mean = fcst["ARIMAGARCH"].to_numpy()
    lo, hi = fcst["ARIMAGARCH-lo-95"].to_numpy(), fcst["ARIMAGARCH-hi-95"].to_numpy()
    assert np.isfinite(lo).all() and np.isfinite(hi).all()
    np.testing.assert_allclose(mean - lo, hi - mean, rtol=1e-8)  # t is symmetric


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: ARIMA(order=(-1, 0, 0)),
        lambda: ARIMA(order=(1, 0)),
        lambda: ARIMA(order=(1.5, 0, 0)),
        lambda: ARIMA(order=(True, 0, 0)),
        lambda: ARIMA(seasonal_order=(1, 0, 0), season_length=1),  # no season for them
        lambda: ARIMA(season_length=0),
        lambda: ARIMA(method="OLS"),
        lambda: ARIMA(include_mean="no"),
        lambda: ARIMA(order=(0, 2, 1), include_drift=True),
        lambda: SARIMA(season_length=1),
        lambda: SARIMA(season_length=12.5),
        lambda: AutoARIMA(season_length=-3),
        lambda: AutoARIMA(D=1, season_length=1),
        lambda: AutoARIMA(max_p=-1),
        lambda: AutoARIMA(approximation="yes"),
        lambda: AutoARIMA(stepwise=None),
        lambda: ETS(model="XYZ"),
        lambda: ETS(model="AA"),
        lambda: ETS(model="AAA", season_length=1),  # seasonal model without a season
        lambda: ETS(model="ANN", damped=True),
        lambda: ETS(model="ANM", season_length=12),
        lambda: ETS(model="MMA", season_length=12),
        lambda: ETS(season_length=2.5),
        lambda: Theta(season_length=0),
        lambda: ARIMAGARCH(p=0),
        lambda: ARIMAGARCH(q=-1),
        lambda: ARIMAGARCH(dist="cauchy"),
        lambda: ARIMAGARCH(order=(1, 0, 0, 0)),
    ],
)
def test_bad_parameters_raise_config_error(make: Callable[[], LocalForecaster]) -> None:
    with pytest.raises(ConfigError):
        make()


def test_sarima_error_says_what_season_length_to_use() -> None:
    with pytest.raises(ConfigError, match="season_length >= 2"):
        SARIMA(season_length=1)


@pytest.mark.parametrize(
    ("make", "short"),
    [
        (lambda: SARIMA(season_length=12), 15),
        (lambda: ARIMA(order=(2, 0, 1)), 6),
        (lambda: AutoARIMA(season_length=12), 24),
        (lambda: ETS(model="AAA", season_length=12), 23),
        (lambda: ETS(season_length=1), 6),
        (lambda: Theta(season_length=1), 4),
        (lambda: ARIMAGARCH(season_length=1), 20),
    ],
)
def test_too_short_series_is_named(make: Callable[[], LocalForecaster], short: int) -> None:
    model = make()
    assert model.min_length() == short + 1
    df = frame({"long": ar1(80, 0.5, 50.0, seed=8), "tiny": ar1(short, 0.5, 50.0, seed=9)})
    with pytest.raises(DataError, match="'tiny'"):
        model.fit(df)
    # At exactly min_length the model fits and forecasts.
    ok = frame({"long": ar1(80, 0.5, 50.0, seed=8), "edge": ar1(short + 1, 0.5, 50.0, seed=9)})
    fcst = make().fit(ok).predict(3)
    assert np.isfinite(fcst[model.name].to_numpy()).all()


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_library_failure_becomes_data_error_naming_the_series(n_jobs: int) -> None:
    pos = ar1(60, 0.5, 50.0, seed=10)
    df = frame({"a": pos, "neg": pos - 60.0, "c": pos + 1.0})
    with pytest.raises(DataError, match=r"series 'neg' .*additive") as info:
        ETS(model="MNN", n_jobs=n_jobs).fit(df)
    assert "\n" not in str(info.value)


def test_unfitted_and_level_checks() -> None:
    from gatecast.errors import NotFittedError

    with pytest.raises(NotFittedError):
        ETS().predict(3)
    model = Theta().fit(frame({"a": ar1(40, 0.5, 50.0, seed=12)}))
    with pytest.raises(ConfigError):
        model.predict(3, level=[120])
