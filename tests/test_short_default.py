"""The short-data default: the default LSTM averages its forecast with the pretrained
network's on short data, and only there (models/recurrent_pretrained.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gatecast as gc
from gatecast.errors import ConfigError, ModelFileError
from gatecast.models.pretrained import Pretrained
from gatecast.models.recurrent_pretrained import SHARE, applies, shipped
from gatecast.models.recurrent_specs import NetworkSpec
from gatecast.pretrained.network import count_members
from helpers import seasonal_frame

FAST = {"max_steps": 30, "seed": 0}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return seasonal_frame(n_series=2, length=60, m=12, seed=5)


# Fitted once for the module: the tests below only read them (predict, save, forward and
# describe leave a fitted model as it is).
@pytest.fixture(scope="module")
def both(frame: pd.DataFrame) -> gc.LSTM:
    return gc.LSTM(season_length=12, horizon=6, trainer=FAST).fit(frame)


@pytest.fixture(scope="module")
def alone(frame: pd.DataFrame) -> gc.LSTM:
    return gc.LSTM(season_length=12, horizon=6, pretrained="off", trainer=FAST).fit(frame)


@pytest.fixture(scope="module")
def pre(frame: pd.DataFrame) -> Pretrained:
    return Pretrained(season_length=12, alias="p").fit(frame)


def test_the_default_on_short_data_is_the_average_with_the_pretrained_forecast(
        both: gc.LSTM, alone: gc.LSTM, pre: Pretrained) -> None:
    assert both.pretrained_ is not None and alone.pretrained_ is None
    fc, own, theirs = both.predict(6), alone.predict(6), pre.predict(6)
    assert both.pretrained_.weight == SHARE == 0.75
    assert "pretrained network's forecast (short data; its weight 0.75)" in both.describe()
    np.testing.assert_allclose(fc["lstm"], 0.25 * own["lstm"] + 0.75 * theirs["p"], rtol=1e-6)


def test_intervals_average_level_by_level(frame: pd.DataFrame) -> None:
    both = gc.LSTM(season_length=12, horizon=6, levels=(80,), trainer=FAST).fit(frame)
    alone = gc.LSTM(season_length=12, horizon=6, levels=(80,), pretrained="off",
                    trainer=FAST).fit(frame)
    theirs = Pretrained(season_length=12, alias="p").fit(frame).predict(6, level=[80])
    fc, own = both.predict(6, level=[80]), alone.predict(6, level=[80])
    for side in ("lo", "hi"):
        np.testing.assert_allclose(fc[f"lstm-{side}-80"],
                                   0.25 * own[f"lstm-{side}-80"]
                                   + 0.75 * theirs[f"p-{side}-80"],
                                   rtol=1e-5)
    assert (fc["lstm-lo-80"] <= fc["lstm"]).all() and (fc["lstm"] <= fc["lstm-hi-80"]).all()


@pytest.mark.parametrize("network, windows, covariates, recursive, levels, expected", [
    (NetworkSpec(), 1_000, False, False, (), True),
    (NetworkSpec(), 20_000, False, False, (), False),  # many windows: the network alone
    (NetworkSpec(hidden_size=32), 1_000, False, False, (), False),  # a shaped network
    (NetworkSpec(cell="gru"), 1_000, False, False, (), False),  # another cell
    (NetworkSpec(), 1_000, True, False, (), False),
    (NetworkSpec(), 1_000, False, True, (), False),
    (NetworkSpec(), 1_000, False, False, (99.5,), False),  # wider than its quantiles
])
def test_auto_applies_only_to_the_default_network_on_short_data(
        network, windows, covariates, recursive, levels, expected) -> None:
    assert applies("auto", network, windows, covariates, recursive, levels) is expected
    assert applies("off", network, windows, covariates, recursive, levels) is False


@pytest.mark.parametrize("windows, typical, expected", [
    (50_000, 100, True),     # thousands of short series: short however many windows
    (50_000, 256, True),     # within the pretrained network's context
    (50_000, 257, False),    # longer series (M4 Hourly's are 700-960 points)
    (1_000, 5_000, True),    # one long series: few windows
])
def test_many_short_series_are_short_data(windows: int, typical: int, expected: bool) -> None:
    assert shipped()[0].cfg.max_context == 256
    assert applies("auto", NetworkSpec(), windows, False, False, (), typical) is expected


def test_fit_passes_the_median_length(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the windows threshold out of the way, the series' median length decides.
    monkeypatch.setattr("gatecast.models.recurrent_pretrained.SMALL_DATA", 0)
    short = seasonal_frame(n_series=3, length=60, m=12, seed=1)
    long = seasonal_frame(n_series=3, length=300, m=12, seed=1)
    assert gc.LSTM(season_length=12, horizon=6, trainer=FAST).fit(short).pretrained_ is not None
    assert gc.LSTM(season_length=12, horizon=6, trainer=FAST).fit(long).pretrained_ is None


def test_on_that_cannot_apply_and_unknown_modes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="covariates"):
        applies("on", NetworkSpec(), 10, True, False, ())
    assert applies("on", NetworkSpec(cell="gru"), 10**6, False, False, ())
    with pytest.raises(ConfigError, match="pretrained must be one of"):
        gc.LSTM(pretrained="maybe")


def test_save_load_and_forward_keep_the_combination(frame: pd.DataFrame, both: gc.LSTM,
                                                    tmp_path: Path) -> None:
    model = both
    model.save(tmp_path / "m")
    loaded = gc.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.predict(6), model.predict(6))
    pd.testing.assert_frame_equal(model.forward(frame, 6), model.predict(6))
    shorter = frame.groupby("unique_id").head(50)
    moved = model.forward(shorter, 6)
    assert not np.allclose(moved["lstm"], model.predict(6)["lstm"])
    with pytest.raises(ConfigError, match="pretrained='off'"):
        model.export_onnx(tmp_path / "onnx")


def test_a_model_fitted_with_other_pretrained_weights_is_refused(both: gc.LSTM,
                                                                 tmp_path: Path) -> None:
    both.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["fitted"]["pretrained"]["sha256"] == shipped()[1]
    config["fitted"]["pretrained"]["sha256"] = "0" * 64
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="pretrained weights"):
        gc.load(tmp_path / "m")


def test_describe_says_what_the_fit_chose(frame: pd.DataFrame, both: gc.LSTM,
                                          alone: gc.LSTM) -> None:
    assert gc.LSTM(season_length=12, horizon=6, trainer=FAST).describe() == "lstm: not fitted"
    text = both.describe()
    assert "seasonal skip 12" in text and "plain" in text and "pretrained" in text
    assert "pretrained" not in alone.describe()
    members = count_members(shipped()[0])
    assert members > 1 and f"{members} member(s)" in Pretrained(season_length=12).fit(
        frame).describe()
    assert gc.Naive().fit(frame).describe() == "Naive: fitted"


def test_too_short_for_a_seasonal_window_the_pretrained_forecast_takes_it_all(
        tmp_path: Path) -> None:
    # 30 monthly points, h = 18: the look-back is cut below a season, so neither member
    # can forecast the season (docs/decisions.md, "The short-data default").
    short = seasonal_frame(n_series=3, length=30, m=12, seed=2)
    with pytest.warns(UserWarning, match=r"look-back of one season \(12 points; it is \d\)"):
        model = gc.LSTM(season_length=12, horizon=18, trainer=FAST).fit(short)
    assert max(c.look_back for c in model._configs()) < 12
    assert {c.skip_period for c in model._configs()} <= {0, 1}   # no seasonal skip
    assert model.pretrained_.weight == 1.0
    assert "pretrained network's forecast alone" in model.describe()
    theirs = Pretrained(season_length=12, alias="p").fit(short).predict(18)
    np.testing.assert_allclose(model.predict(18)["lstm"], theirs["p"], rtol=1e-6)
    model.save(tmp_path / "m")
    pd.testing.assert_frame_equal(gc.load(tmp_path / "m").predict(18), model.predict(18))
    moved = short.groupby("unique_id").head(28)   # forward keeps the weight
    np.testing.assert_allclose(model.forward(moved, 18)["lstm"],
                               Pretrained(season_length=12, alias="p").fit(moved)
                               .predict(18)["p"], rtol=1e-6)


def test_the_weight_in_a_model_file(both: gc.LSTM, alone: gc.LSTM, pre: Pretrained,
                                    tmp_path: Path) -> None:
    model = both
    assert model.pretrained_.weight == SHARE
    model.save(tmp_path / "m")
    pd.testing.assert_frame_equal(gc.load(tmp_path / "m").predict(6), model.predict(6))
    path = tmp_path / "m" / "config.json"
    config = json.loads(path.read_text())
    del config["fitted"]["pretrained"]["weight"]       # a file from before weights: even
    path.write_text(json.dumps(config))
    old = gc.load(tmp_path / "m")
    assert old.pretrained_.weight == 0.5
    np.testing.assert_allclose(old.predict(6)["lstm"],
                               (alone.predict(6)["lstm"] + pre.predict(6)["p"]) / 2, rtol=1e-6)
    config["fitted"]["pretrained"]["weight"] = 1.5
    path.write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match=r"'pretrained\.weight' must be a number from 0 to 1"):
        gc.load(tmp_path / "m")


def test_forward_keeps_the_log_average_setting(frame: pd.DataFrame, both: gc.LSTM,
                                               alone: gc.LSTM, tmp_path: Path) -> None:
    both.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    config = json.loads(path.read_text())
    config["fitted"]["pretrained"]["log_average"] = False     # as files from before it
    path.write_text(json.dumps(config))
    old = gc.load(tmp_path / "m")
    shorter = frame.groupby("unique_id").head(50)
    plain = Pretrained(season_length=12, log_average=False, alias="p").fit(shorter)
    np.testing.assert_allclose(old.forward(shorter, 6)["lstm"],
                               0.25 * alone.forward(shorter, 6)["lstm"]
                               + 0.75 * plain.predict(6)["p"],
                               rtol=1e-6)
