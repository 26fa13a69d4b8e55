"""The recurrent forecaster's specs and flat keywords, its step budget, the recursive
mode's horizon and a re-entrant ``forward``."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

import gatecast as gc
from gatecast.errors import ConfigError
from gatecast.io.serialize import load
from gatecast.models.base import BaseForecaster
from gatecast.models.recurrent import GRU, KINDS, LSTM, RecurrentForecaster
from gatecast.models.recurrent_specs import NetworkSpec, WindowConfig
from gatecast.models.registry import accepts, make_model
from gatecast.training.config import TrainerConfig
from helpers import seasonal_frame

TINY = {"hidden_size": 8, "num_layers": 1, "head_hidden": 8, "head_layers": 1}


def test_flat_keywords_map_onto_the_specs() -> None:
    model = LSTM(look_back=24, hidden_size=64, max_steps=500, seed=3, past_covariates="t")
    assert model.window.look_back == 24 and model.network.hidden_size == 64
    assert model.trainer.max_steps == 500 and model.trainer.seed == 3
    assert model.covariates.past == ("t",) and model.past_covariates == ("t",)
    assert model.network.cell == "lstm" and GRU().network.cell == "gru"
    # a flat keyword overrides the field of a spec given whole; the rest of it stays
    mixed = GRU(window=WindowConfig(look_back=8, horizon=3), horizon=5,
                trainer=TrainerConfig(lr=1e-2), seed=7)
    assert (mixed.look_back, mixed.horizon) == (8, 5)
    assert (mixed.trainer.lr, mixed.trainer.seed) == (1e-2, 7)
    assert LSTM(network=NetworkSpec(cell="gru")).name == "gru"
    # reading and writing a flat name goes through the spec, checked as at construction
    model.hidden_size = 32
    assert model.network.hidden_size == 32
    with pytest.raises(ConfigError, match="hidden_size"):
        model.hidden_size = 0
    with pytest.raises(TypeError, match=r"LSTM\.__init__.*'hiden_size'"):
        LSTM(hiden_size=8)
    # the registry and the CLI see every flat keyword
    assert accepts(LSTM, "hidden_size") and accepts(LSTM, "seed") and accepts(LSTM, "trainer")
    assert not accepts(LSTM, "n_jobs")
    assert make_model("gru", seed=4, max_steps=9).trainer.max_steps == 9
    # get_params is flat (what config.json holds) and clone gives an equal model
    params = model.get_params()
    assert params["look_back"] == 24 and isinstance(params["trainer"], TrainerConfig)
    assert model.clone() == model and type(model.clone()) is LSTM


def test_aliases_are_one_level_below_the_forecaster() -> None:
    for kind in KINDS:
        cls = type(make_model(kind))
        below = cls.__mro__.index(BaseForecaster)
        assert below <= 2 and issubclass(cls, RecurrentForecaster), cls.__mro__
        assert make_model(kind).network.cell == kind
    assert gc.LSTM is LSTM


def test_steps_per_epoch_must_agree_with_max_steps() -> None:
    # On main a steps_per_epoch silently replaced the budget (100 steps became 30).
    with pytest.raises(ConfigError, match="steps_per_epoch=3"):
        LSTM(max_steps=100, trainer=TrainerConfig(steps_per_epoch=3))
    with pytest.raises(ConfigError, match="steps_per_epoch"):
        TrainerConfig(max_steps=100, steps_per_epoch=3)
    with pytest.raises(ConfigError, match="max_steps"):
        TrainerConfig(max_steps=-1)
    # Agreeing values are fine: 100 steps as 10 epochs of 10 batches.
    model = LSTM(horizon=3, skip="none", max_steps=100, **TINY,
                 trainer=TrainerConfig(steps_per_epoch=10, batch_size=16)).fit(
        seasonal_frame(2, 48))
    assert len(model.history_) == 10 and (model.history_["samples"] == 10 * 16).all()
    # max_steps=0 or steps_per_epoch alone: epochs x steps_per_epoch, no automatic budget.
    alone = LSTM(horizon=3, skip="none", **TINY,
                 trainer=TrainerConfig(steps_per_epoch=2, epochs=3, batch_size=16)).fit(
        seasonal_frame(2, 48))
    assert len(alone.history_) == 3 and (alone.history_["samples"] == 2 * 16).all()


def test_recursive_mode_says_that_it_does_not_use_the_horizon() -> None:
    # On main horizon=4 was silently replaced by 1.
    with pytest.warns(UserWarning, match="recursive.*horizon=4"):
        model = GRU(mode="recursive", horizon=4, max_steps=4, **TINY)
    assert model.fit(seasonal_frame(2, 48)).network_config_.horizon == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GRU(mode="recursive", horizon=1)
        plain = GRU(mode="recursive")
        assert plain.with_horizon(12).horizon is None  # a backtest's h: no warning
        assert GRU().with_horizon(12).horizon == 12


def test_forward_leaves_the_fitted_model_alone(monkeypatch) -> None:
    df = seasonal_frame(2, 60)
    shorter = df.groupby("unique_id", group_keys=False)[df.columns].apply(
        lambda g: g.iloc[:-5])
    model = LSTM(horizon=3, look_back=12, max_steps=5, skip="none", **TINY).fit(df)
    before, expected = model.predict(3), model.forward(shorter, 3)
    net = model.nets_[0]
    inner: list[pd.DataFrame] = []
    call = net.forward

    def reenter(*args):
        # A predict while a forward is under way (another thread, a callback) must see
        # the fitted model; on main it saw the forward's windows and last timestamps.
        monkeypatch.setattr(net, "forward", call)  # once
        inner.append(model.predict(3))
        return call(*args)

    monkeypatch.setattr(net, "forward", reenter)
    out = model.forward(shorter, 3)
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(inner[0], before)
    pd.testing.assert_frame_equal(model.predict(3), before)


def test_model_files_with_the_budget_outside_the_trainer_load(tmp_path) -> None:
    df = seasonal_frame(2, 48)
    model = LSTM(horizon=3, max_steps=4, **TINY).fit(df)
    model.save(tmp_path / "m")
    # Files written before the budget moved into the trainer have it as a flat parameter.
    file = tmp_path / "m" / "config.json"
    config = json.loads(file.read_text())
    config["params"]["max_steps"] = config["params"]["trainer"].pop("max_steps")
    file.write_text(json.dumps(config))
    loaded = load(tmp_path / "m")
    assert loaded.trainer.max_steps == 4 and type(loaded) is LSTM
    pd.testing.assert_frame_equal(loaded.predict(3), model.predict(3))
