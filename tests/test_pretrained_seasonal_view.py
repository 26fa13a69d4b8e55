"""The seasonal view of the pretrained forecast (pretrained/views, inference.forecast):
seasonal series average the network's forecast with that of their seasonally adjusted
points, the season put back; models saved before it or the log average forecast as they
did."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gatecast as gc
from gatecast.errors import ConfigError, ModelFileError
from gatecast.metrics.point import mase
from gatecast.models.pretrained import Pretrained
from gatecast.pretrained.inference import forecast
from gatecast.pretrained.store import cached_weights
from gatecast.pretrained.views import season_of
from helpers import seasonal_frame

FAST = {"max_steps": 30, "seed": 0}
PATTERN = np.array([3.0, -1.0, 4.0, 1.0, -5.0, 9.0, -2.0, 6.0, -5.0, 3.0, -5.0, -8.0])


def test_an_additive_season_on_a_linear_trend_is_recovered_exactly() -> None:
    t = np.arange(50)  # not whole seasons: phases are positions modulo m
    y = -20.0 + 0.7 * t + PATTERN[t % 12]
    season = season_of(y, 12)
    assert season is not None and not season.multiplicative  # a value below 0: additive
    np.testing.assert_allclose(season.indices, PATTERN - PATTERN.mean(), atol=1e-10)
    np.testing.assert_allclose(season.remove(y), -20.0 + 0.7 * t + PATTERN.mean(), atol=1e-10)
    # put back: the season continues from the context's end
    future = np.arange(50, 70)
    np.testing.assert_allclose(season.restore(np.zeros(20)), PATTERN[future % 12]
                               - PATTERN.mean(), atol=1e-10)


def test_a_multiplicative_season_is_recovered_exactly_and_restores_quantiles() -> None:
    s = 1.0 + PATTERN / 20.0
    s = s / s.mean()
    t = np.arange(40)
    y = 80.0 * s[t % 12]
    season = season_of(y, 12)
    assert season is not None and season.multiplicative
    np.testing.assert_allclose(season.indices, s, rtol=1e-12)
    np.testing.assert_allclose(season.remove(y), 80.0, rtol=1e-12)
    q = np.tile([70.0, 80.0, 90.0], (5, 1))  # [h, quantiles]
    back = season.restore(q)
    np.testing.assert_allclose(back, q * s[np.arange(40, 45) % 12][:, None], rtol=1e-12)
    assert np.all(np.diff(back, axis=-1) > 0)  # positive indices keep quantiles ordered


@pytest.mark.parametrize(("y", "m"), [(np.arange(1.0, 60.0), 1),        # no season
                                      (np.arange(1.0, 36.0), 12),       # < 3 seasons
                                      (np.r_[np.nan, np.ones(40)], 12)])  # not finite
def test_no_season_is_taken_out_where_there_is_none_to_take(y: np.ndarray, m: int) -> None:
    assert season_of(y, m) is None


def test_forecast_averages_the_adjusted_view_with_the_season_put_back() -> None:
    net = cached_weights()
    t = np.arange(60)
    seasonal = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12)
    short = seasonal[:30]  # under three seasons: no seasonal view
    ys, seasons = [seasonal, short, seasonal], np.array([12, 12, 1])
    plain = forecast(net, ys, seasons, 15, seasonal_view=False)
    both = forecast(net, ys, seasons, 15)
    season = season_of(seasonal, 12)
    adjusted = forecast(net, [season.remove(seasonal)], np.array([1]), 15, seasonal_view=False)
    np.testing.assert_allclose(both[0], (plain[0] + season.restore(adjusted[0])) / 2,
                               rtol=1e-12)
    np.testing.assert_array_equal(both[1:], plain[1:])  # too short, and m = 1: unchanged
    assert np.all(np.diff(both[0], axis=-1) >= 0)


def test_the_seasonal_view_forecasts_a_noisy_stable_season_better() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(144)
    y = 200 + 20 * np.sin(2 * np.pi * t / 12) + 8 * np.cos(4 * np.pi * t / 12) \
        + rng.normal(0, 6, t.size)
    train, test = y[:120], y[120:]
    frame = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01", periods=120,
                                                                freq="MS"), "y": train})
    on = Pretrained().fit(frame).predict(24)["Pretrained"].to_numpy()
    off = Pretrained(seasonal_view=False).fit(frame).predict(24)["Pretrained"].to_numpy()
    assert mase(test, on, train, 12) < mase(test, off, train, 12)


#: An option, and what a file from before it lacks (it and the newer ones), as such files
#: load.
OPTIONS = {"log_average": {"log_average": False, "seasonal_view": False,
                           "season_window": None},
           "seasonal_view": {"seasonal_view": False, "season_window": None},
           "season_window": {"season_window": None}}
LONG = 100  # more seasons than the window reads, so every option changes the forecast


@pytest.mark.parametrize("option", OPTIONS)
def test_a_pretrained_model_saved_before_the_option_forecasts_as_it_did(
        option: str, tmp_path: Path) -> None:
    frame = seasonal_frame(n_series=2, length=LONG, m=12)
    model = Pretrained(alias="pt").fit(frame)
    assert model.choices()["log average" if option == "log_average" else "seasonal view"
                           ].startswith("on")
    model.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["params"][option] == getattr(Pretrained(), option)
    old_values = OPTIONS[option]
    for name in old_values:
        del config["params"][name]
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    old = gc.load(tmp_path / "m")
    assert all(getattr(old, name) is value for name, value in old_values.items())
    pd.testing.assert_frame_equal(old.predict(6),
                                  Pretrained(alias="pt", **old_values).fit(frame).predict(6))
    assert not np.allclose(old.predict(6)["pt"], model.predict(6)["pt"])


@pytest.mark.parametrize("option", OPTIONS)
def test_an_lstm_saved_before_the_option_combines_without_it(option: str, tmp_path: Path
                                                             ) -> None:
    frame = seasonal_frame(n_series=2, length=LONG, m=12, seed=5)
    model = gc.LSTM(season_length=12, horizon=6, trainer=FAST).fit(frame)
    assert getattr(model.pretrained_, option) == getattr(Pretrained(), option)
    model.save(tmp_path / "m")
    pd.testing.assert_frame_equal(gc.load(tmp_path / "m").predict(6), model.predict(6))
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    old_values = OPTIONS[option]
    for name in old_values:
        del config["fitted"]["pretrained"][name]
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    old = gc.load(tmp_path / "m")
    assert all(getattr(old.pretrained_, name) is value for name, value in old_values.items())
    assert not np.allclose(old.predict(6)["lstm"], model.predict(6)["lstm"])
    # forward keeps the loaded setting too
    own = gc.LSTM(season_length=12, horizon=6, pretrained="off", trainer=FAST).fit(frame)
    theirs = Pretrained(season_length=12, alias="p", **old_values).fit(frame)
    w = old.pretrained_.weight
    np.testing.assert_allclose(old.forward(frame, 6)["lstm"],
                               (1 - w) * own.forward(frame, 6)["lstm"]
                               + w * theirs.predict(6)["p"], rtol=1e-6)


def test_the_indices_read_the_last_window_seasons() -> None:
    """A season that changed: the window's indices are the new season exactly (the moving
    average of a zero-mean season is 0; values below 0: additive), every season's mix them."""
    window, m = 3, 12
    new = np.roll(PATTERN, 5)
    t = np.arange(10 * m)
    change = len(t) - (window + 2) * m  # every ratio in the window sees the new season only
    y = np.where(t < change, PATTERN[t % m], new[t % m])
    recent = season_of(y, m, window)
    assert recent is not None
    np.testing.assert_allclose(recent.indices, new - new.mean(), atol=1e-10)
    every = season_of(y, m)
    assert every is not None and not np.allclose(every.indices, recent.indices, atol=0.5)
    # a window longer than the context reads every season
    np.testing.assert_array_equal(season_of(y, m, 1000).indices, every.indices)
    net = cached_weights()
    assert not np.allclose(forecast(net, [y], np.array([m]), 12, season_window=window),
                           forecast(net, [y], np.array([m]), 12, season_window=None))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "5"])
def test_season_window_must_be_a_whole_number_or_none(bad: object) -> None:
    with pytest.raises(ConfigError, match="season_window"):
        Pretrained(season_window=bad)


def test_whole_floats_are_stored_as_ints_and_forecast_as_ints() -> None:
    """``--param season_window=5.0`` (and context, finetune, seed) is the whole number 5:
    validated and stored as an int, so the slices and step counts it feeds work."""
    frame = seasonal_frame(n_series=1, length=LONG, m=12)
    floats = Pretrained(season_window=5.0, context=60.0, finetune=1.0, seed=0.0, alias="p")
    ints = Pretrained(season_window=5, context=60, finetune=1, seed=0, alias="p")
    assert all(type(getattr(floats, k)) is int
               for k in ("season_window", "context", "finetune", "seed"))
    pd.testing.assert_frame_equal(floats.fit(frame).predict(6), ints.fit(frame).predict(6))


@pytest.mark.parametrize("bad", ["5", 0, 2.5, True])
def test_a_bad_season_window_in_a_model_file_is_named(bad: object, tmp_path: Path) -> None:
    model = gc.LSTM(season_length=12, horizon=6, trainer=FAST).fit(seasonal_frame(2, 60))
    model.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["fitted"]["pretrained"]["season_window"] = bad
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match=r"'pretrained\.season_window' must be a (number,"
                       r" got str|whole number >= 1, got)"):
        gc.load(tmp_path / "m")


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_seasonal_view_must_be_a_bool(bad: object) -> None:
    with pytest.raises(ConfigError, match="seasonal_view"):
        Pretrained(seasonal_view=bad)


def test_a_bad_seasonal_view_in_a_model_file_is_named(tmp_path: Path) -> None:
    model = gc.LSTM(season_length=12, horizon=6, trainer=FAST).fit(seasonal_frame(2, 60))
    model.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["fitted"]["pretrained"]["seasonal_view"] = "yes"
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match=r"'pretrained\.seasonal_view' must be true or false"):
        gc.load(tmp_path / "m")
