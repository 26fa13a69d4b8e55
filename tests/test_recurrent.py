"""Recurrent forecasters beyond the shared conformance test: learning, modes, intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gatecast.data.frame import from_array
from gatecast.errors import ConfigError, DataError
from gatecast.io.serialize import load
from gatecast.metrics import rmse
from gatecast.models.recurrent import GRU, LSTM, RecurrentForecaster
from gatecast.models.recurrent_defaults import (
    SMALL_DATA,
    auto_steps,
    capacity,
    resolve_shapes,
)
from gatecast.models.recurrent_ensemble import member_trainer
from gatecast.training.config import TrainerConfig
from gatecast.training.trainer import with_budget
from helpers import seasonal_frame

TINY = {"hidden_size": 16, "num_layers": 1, "head_hidden": 16, "head_layers": 1}


def sine(n: int = 400, period: int = 20) -> pd.DataFrame:
    t = np.arange(n)
    return from_array(np.sin(2 * np.pi * t / period), unique_id="sine")


def test_tiny_lstm_learns_a_pure_sine() -> None:
    df = sine(420)
    train, test = df.iloc[:400], df.iloc[400:]
    model = LSTM(horizon=20, look_back=40, max_steps=300, **TINY,
                 trainer=TrainerConfig(lr=1e-2, batch_size=64, seed=0))
    fc = model.fit(train).predict(20)
    error = rmse(test["y"].to_numpy(), fc["lstm"].to_numpy())
    assert error < 0.1, error  # the naive forecast scores ~0.7 here
    assert model.history_["train_loss"].iloc[-1] < model.history_["train_loss"].iloc[0] / 3


@pytest.mark.parametrize("mode", ["direct", "recursive"])
def test_any_horizon_in_both_modes(mode: str) -> None:
    model = GRU(horizon=4, mode=mode, max_steps=20, **TINY).fit(seasonal_frame(2, 60))
    for h in (1, 4, 9):
        fc = model.predict(h)
        assert len(fc) == 2 * h and np.isfinite(fc["gru"]).all()
    # The first steps of a longer forecast are the shorter forecast.
    np.testing.assert_allclose(model.predict(9)["gru"].to_numpy().reshape(2, 9)[:, :4],
                               model.predict(4)["gru"].to_numpy().reshape(2, 4), rtol=1e-6)


def test_quantile_levels_give_intervals() -> None:
    model = LSTM(horizon=6, levels=(80, 95), max_steps=60, **TINY).fit(seasonal_frame(3, 72))
    fc = model.predict(6, level=[80, 95])
    assert (fc["lstm-lo-95"] <= fc["lstm-lo-80"]).all()
    assert (fc["lstm-lo-80"] <= fc["lstm"]).all() and (fc["lstm"] <= fc["lstm-hi-80"]).all()
    assert (fc["lstm-hi-95"] - fc["lstm-lo-95"] > 0).all()
    with pytest.raises(ConfigError, match="levels="):
        model.predict(6, level=[50])


def test_difference_transform_forecasts_on_original_scale() -> None:
    t = np.arange(200, dtype=float)
    df = from_array(1000 + 5 * t + np.sin(t), unique_id="trend")
    model = LSTM(horizon=5, transform="diff", max_steps=100, **TINY).fit(df)
    fc = model.predict(5)["lstm"].to_numpy()
    assert np.all(np.abs(fc - (1000 + 5 * np.arange(200, 205))) < 15)


def test_ensemble_is_median_of_members(tmp_path) -> None:
    df = seasonal_frame(2, 60)
    kw = {"horizon": 3, "max_steps": 10, "skip": "none", **TINY}  # one network per seed
    members = [LSTM(**kw, trainer=TrainerConfig(seed=s)).fit(df)
               .predict(3)["lstm"].to_numpy() for s in (0, 1, 2)]
    ens = LSTM(**kw, ensemble=3).fit(df)
    np.testing.assert_allclose(ens.predict(3)["lstm"], np.median(members, axis=0), rtol=1e-5)
    ens.save(tmp_path / "m")
    pd.testing.assert_frame_equal(load(tmp_path / "m").predict(3), ens.predict(3))


def test_look_back_ensemble_is_median_of_single_look_back_models(tmp_path) -> None:
    df = seasonal_frame(2, 80)
    # Member i of an ensemble trains with seed + i: (lb 8, seed 0), (lb 16, seed 1), ...
    singles = [LSTM(horizon=4, look_back=lb, max_steps=10, skip="none", **TINY,
                    trainer=TrainerConfig(seed=s)).fit(df).predict(7)["lstm"].to_numpy()
               for s, lb in enumerate((8, 16, 24))]
    ens = LSTM(horizon=4, look_back=(8, 16, 24), max_steps=10, skip="none", **TINY).fit(df)
    assert [c.look_back for c in ens.network_configs_] == [8, 16, 24]
    assert ens.tails_.shape == (2, 24)
    np.testing.assert_allclose(ens.predict(7)["lstm"], np.median(singles, axis=0), rtol=1e-5)
    ens.save(tmp_path / "m")
    again = load(tmp_path / "m")
    assert again.look_back == (8, 16, 24)
    pd.testing.assert_frame_equal(again.predict(7), ens.predict(7))
    # Forecasting from new data (no refit) feeds each member its own look-back.
    pd.testing.assert_frame_equal(ens.forward(df, 7), ens.predict(7))
    with pytest.raises(ConfigError, match="look_back"):
        LSTM(look_back=())
    with pytest.raises(ConfigError, match="look_back"):
        LSTM(look_back=(8, 0))


@pytest.mark.parametrize(("skip", "mode"), [("seasonal", "direct"), ("naive", "direct"),
                                           ("seasonal", "recursive")])
def test_skip_untrained_network_forecasts_the_baseline(skip: str, mode: str,
                                                      tmp_path) -> None:
    df = seasonal_frame(2, 72)  # monthly, season 12
    model = LSTM(horizon=6, season_length=12, skip=skip, mode=mode, max_steps=5,
                 **TINY).fit(df)
    for net in model.nets_:  # an all-zero inner network outputs exactly 0
        for param in net.net.parameters():
            param.data.zero_()
    fc = model.predict(18)["lstm"].to_numpy().reshape(2, 18)
    last = df.groupby("unique_id")["y"].apply(lambda y: y.to_numpy()[-12:])
    for row, tail in zip(fc, last, strict=True):
        # windows are normalised and the forecast scaled back: the baseline comes out exact
        want = np.resize(tail, 18) if skip == "seasonal" else np.full(18, tail[-1])
        np.testing.assert_allclose(row, want, rtol=1e-5)
    model.save(tmp_path / "m")
    pd.testing.assert_frame_equal(load(tmp_path / "m").predict(18), model.predict(18))
    with pytest.raises(ConfigError, match="skip"):
        LSTM(skip="drift")
    with pytest.raises(ConfigError, match="skip"):
        LSTM(skip=())


def test_members_with_and_without_the_seasonal_skip(tmp_path) -> None:
    df = seasonal_frame(2, 72)
    kw = {"horizon": 6, "season_length": 12, "max_steps": 10, **TINY}
    plain = LSTM(**kw, skip="none", trainer=TrainerConfig(seed=0)).fit(df).predict(6)
    plain = plain["lstm"].to_numpy()
    skipped = LSTM(**kw, skip="seasonal", trainer=TrainerConfig(seed=1)).fit(df).predict(6)
    mixed = LSTM(**kw, skip=("none", "seasonal")).fit(df)
    assert [c.skip_period for c in mixed.network_configs_] == [0, 12]
    np.testing.assert_allclose(mixed.predict(6)["lstm"],
                               np.median([plain, skipped["lstm"].to_numpy()], axis=0), rtol=1e-5)
    mixed.save(tmp_path / "m")
    again = load(tmp_path / "m")
    assert again.skip == ("none", "seasonal")
    pd.testing.assert_frame_equal(again.predict(6), mixed.predict(6))


def test_default_is_a_plain_and_a_seasonal_skip_pair_sharing_the_steps() -> None:
    df = seasonal_frame(2, 72)
    kw = {"horizon": 6, "season_length": 12, **TINY}
    model = LSTM(**kw).fit(df)
    assert [c.skip_period for c in model.network_configs_] == [0, 12]
    assert set(model.history_["member"]) == {0, 1}
    # The pair shares the automatic budget, each keeping the 300-step floor...
    assert auto_steps(100, 256) == 300 and auto_steps(100, 256, share=2) == 300
    assert auto_steps(10**6, 256) == 6000 and auto_steps(10**6, 256, share=2) == 3000
    half = member_trainer(model.trainer, 10**6, share=2)
    assert half.max_steps == 3000
    assert with_budget(half).epochs * with_budget(half).steps_per_epoch == 3000
    # the batch follows the data unless the trainer config sets it
    assert member_trainer(model.trainer, 100).batch_size == 256 and half.batch_size == 128
    fixed = LSTM(**kw, trainer=TrainerConfig(batch_size=64))
    assert member_trainer(fixed.trainer, 10**6).batch_size == 64
    # ...and a budget set by hand is each member's.
    both = LSTM(**kw, max_steps=20).fit(df)
    assert both.history_.groupby("member").size().tolist() == [10, 10]


def test_network_size_follows_the_data_unless_set() -> None:
    # (hidden, layers, head width, head hidden layers): small data a small network with a
    # two-layer head, large data a larger one with a one-layer head; set values are kept.
    assert capacity(LSTM(), SMALL_DATA - 1) == (64, 1, 64, 2)
    assert capacity(LSTM(), SMALL_DATA) == (128, 2, 128, 1)
    assert capacity(LSTM(head_layers=0, hidden_size=32), SMALL_DATA) == (32, 2, 128, 0)
    model = LSTM(horizon=6, season_length=12, max_steps=2).fit(seasonal_frame(1, 72))
    assert model.network_config_.head_layers == 2 and model.network_config_.hidden_size == 64
    with pytest.raises(ConfigError, match="head_layers"):
        LSTM(head_layers=-1)


def test_seasonal_skip_never_ends_worse_than_seasonal_naive_on_validation() -> None:
    # Noise to train on, then a validation season that repeats the one before exactly:
    # seasonal naive is perfect there, so the kept weights are the untrained ones (the
    # trainer's keep_initial), whose output starts near 0: the forecast is seasonal naive
    # up to that start. Without keep_initial the trained correction moves it much further.
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.normal(10, 3, 96), np.tile(rng.normal(10, 3, 12), 2)])
    df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01-01", periods=120,
                                                             freq="MS"), "y": y})

    def gap(keep: bool) -> float:
        model = LSTM(horizon=12, season_length=12, skip="seasonal", **TINY,
                     trainer=TrainerConfig(keep_initial=keep)).fit(df)
        return float(np.abs(model.predict(12)["lstm"].to_numpy() - y[-12:]).max())

    kept, trained = gap(True), gap(False)
    assert kept < 0.01 and trained > 10 * kept


def test_short_series_keep_one_window_per_phase_of_the_season() -> None:
    model = LSTM(horizon=12, season_length=12)
    # 36 monthly points: the wanted 84 (7 seasons) is cut to leave 12 windows, not 1.
    h, lb, patch, val = resolve_shapes(model, np.array([36]))
    assert (h, val, patch) == (12, 0, 1) and 36 - h - lb + 1 == 12
    # 108 points (val 12): 73 -> whole patches of 12 rounded down, 13 windows.
    h, lb, patch, val = resolve_shapes(model, np.array([108]))
    assert (lb, patch, val) == (72, 12, 12) and 108 - h - val - lb + 1 == 13
    # long enough: the wanted look-back; asked for: as asked (rounded up to patches)
    assert resolve_shapes(model, np.array([1000]))[1] == 84
    assert resolve_shapes(model, np.array([1000]), look_back=50)[1] == 60


def test_checkpointed_fit_resumes(tmp_path) -> None:
    df = seasonal_frame(2, 60)
    cfg = TrainerConfig(epochs=4, checkpoint_dir=str(tmp_path), seed=4)
    first = LSTM(horizon=3, max_steps=40, **TINY, trainer=cfg).fit(df).predict(3)
    again = LSTM(horizon=3, max_steps=40, **TINY,
                 trainer=TrainerConfig(**{**cfg.to_dict(), "resume": True})).fit(df)
    # Nothing is left to train: the resumed run restores the finished state.
    pd.testing.assert_frame_equal(first, again.predict(3))
    # both networks of the default pair resumed from their own checkpoints
    assert again.history_.groupby("member").size().tolist() == [4, 4]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["member0", "member1"]


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="cell"):
        RecurrentForecaster(cell="transformer")
    with pytest.raises(ConfigError, match="mode"):
        LSTM(mode="teacher")
    with pytest.raises(ConfigError, match="look_back"):
        LSTM(look_back=0)
    with pytest.raises(ConfigError):
        LSTM(transform="sqrt")


def test_short_series_beside_long_ones() -> None:
    long = seasonal_frame(2, 80)
    short = from_array(np.arange(9.0) + 50, unique_id="tiny", start="2015-01-01", freq="MS")
    model = LSTM(horizon=6, max_steps=10, **TINY).fit(pd.concat([long, short]))
    fc = model.predict(6)
    assert set(fc["unique_id"]) == {"s0", "s1", "tiny"} and np.isfinite(fc["lstm"]).all()
    with pytest.raises(DataError, match="val_size"):
        LSTM(horizon=6, val_size=6, max_steps=10, **TINY).fit(pd.concat([long, short]))


def test_window_normalisers() -> None:
    from gatecast.models.recurrent_data import window_stats

    x = np.array([[1.0, 2.0, 3.0, 4.0, 100.0], [5.0, 5.0, 5.0, 5.0, 6.0]])
    loc, scale = window_stats(x, "robust")
    np.testing.assert_allclose(loc[:, 0], [3.0, 5.0])
    # Row 0: MAD = median(|[-2,-1,0,1,97]|) = 1, untouched by the spike; row 1: MAD = 0,
    # so the standard deviation (0.4) is used instead.
    np.testing.assert_allclose(scale[:, 0], [1.0, 0.4])
    loc, scale = window_stats(x, "standard")
    np.testing.assert_allclose(loc[:, 0], x.mean(axis=1))
    np.testing.assert_allclose(scale[:, 0], x.std(axis=1))
    flat = window_stats(np.full((1, 4), 7.0), "standard")
    assert flat[1][0, 0] == 7.0  # a flat window is scaled by its level, never by 0
    fc = LSTM(horizon=3, normalize="robust", max_steps=10, **TINY).fit(seasonal_frame(2, 50))
    assert np.isfinite(fc.predict(3)["lstm"]).all()


def test_auto_transform_follows_the_stationarity_advice(tmp_path) -> None:
    from gatecast.data.stationarity import common_transform

    t = np.arange(144)
    # Multiplicative season on a growing level: the airline pattern (log, seasonal diff).
    y = np.exp(0.01 * t) * 100 * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    df = from_array(y + np.random.default_rng(0).normal(0, 1, 144), unique_id="air", freq="MS")
    model = LSTM(season_length=12, horizon=12, transform="auto", max_steps=20, **TINY).fit(df)
    assert model.transform_ == common_transform([df["y"].to_numpy()], 12)
    assert "diff" in model.transform_
    fc = model.predict(12)
    assert np.isfinite(fc["lstm"]).all() and (fc["lstm"] > 0).all()
    model.save(tmp_path / "m")
    loaded = load(tmp_path / "m")
    assert loaded.transform_ == model.transform_
    pd.testing.assert_frame_equal(loaded.forward(df, 12), model.predict(12))
    with pytest.raises(ConfigError):
        LSTM(transform="auto,diff")


def test_forecasts_in_blocks_of_series_match_one_pass(monkeypatch) -> None:
    model = LSTM(horizon=4, max_steps=10, **TINY).fit(seasonal_frame(5, 60))
    whole = model.predict(6)
    monkeypatch.setattr(LSTM, "predict_block", 2)  # 5 series -> blocks of 2, 2, 1
    blocked = model.predict(6)
    np.testing.assert_allclose(blocked["lstm"], whole["lstm"], rtol=1e-5)
    pd.testing.assert_frame_equal(blocked[["unique_id", "ds"]], whole[["unique_id", "ds"]])
