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
from gatecast.models.recurrent_pretrained import applies, shipped
from gatecast.models.recurrent_specs import NetworkSpec
from helpers import seasonal_frame

FAST = {"max_steps": 30, "seed": 0}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return seasonal_frame(n_series=2, length=60, m=12, seed=5)


def test_the_default_on_short_data_is_the_average_with_the_pretrained_forecast(
        frame: pd.DataFrame) -> None:
    both = gc.LSTM(season_length=12, horizon=6, trainer=FAST).fit(frame)
    alone = gc.LSTM(season_length=12, horizon=6, pretrained="off", trainer=FAST).fit(frame)
    pre = Pretrained(season_length=12, alias="p").fit(frame)
    assert both.pretrained_ is not None and alone.pretrained_ is None
    fc, own, theirs = both.predict(6), alone.predict(6), pre.predict(6)
    np.testing.assert_allclose(fc["lstm"], (own["lstm"] + theirs["p"]) / 2, rtol=1e-6)


def test_intervals_average_level_by_level(frame: pd.DataFrame) -> None:
    both = gc.LSTM(season_length=12, horizon=6, levels=(80,), trainer=FAST).fit(frame)
    alone = gc.LSTM(season_length=12, horizon=6, levels=(80,), pretrained="off",
                    trainer=FAST).fit(frame)
    theirs = Pretrained(season_length=12, alias="p").fit(frame).predict(6, level=[80])
    fc, own = both.predict(6, level=[80]), alone.predict(6, level=[80])
    for side in ("lo", "hi"):
        np.testing.assert_allclose(fc[f"lstm-{side}-80"],
                                   (own[f"lstm-{side}-80"] + theirs[f"p-{side}-80"]) / 2,
                                   rtol=1e-5)
    assert (fc["lstm-lo-80"] <= fc["lstm"]).all() and (fc["lstm"] <= fc["lstm-hi-80"]).all()


@pytest.mark.parametrize("network, windows, covariates, recursive, levels, expected", [
    (NetworkSpec(), 1_000, False, False, (), True),
    (NetworkSpec(), 20_000, False, False, (), False),  # long data: the network alone
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


def test_on_that_cannot_apply_and_unknown_modes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="covariates"):
        applies("on", NetworkSpec(), 10, True, False, ())
    assert applies("on", NetworkSpec(cell="gru"), 10**6, False, False, ())
    with pytest.raises(ConfigError, match="pretrained must be one of"):
        gc.LSTM(pretrained="maybe")


def test_save_load_and_forward_keep_the_combination(frame: pd.DataFrame,
                                                    tmp_path: Path) -> None:
    model = gc.LSTM(season_length=12, horizon=6, trainer=FAST).fit(frame)
    model.save(tmp_path / "m")
    loaded = gc.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.predict(6), model.predict(6))
    pd.testing.assert_frame_equal(model.forward(frame, 6), model.predict(6))
    shorter = frame.groupby("unique_id").head(50)
    moved = model.forward(shorter, 6)
    assert not np.allclose(moved["lstm"], model.predict(6)["lstm"])
    with pytest.raises(ConfigError, match="pretrained='off'"):
        model.export_onnx(tmp_path / "onnx")


def test_a_model_fitted_with_other_pretrained_weights_is_refused(frame: pd.DataFrame,
                                                                 tmp_path: Path) -> None:
    gc.LSTM(season_length=12, horizon=6, trainer=FAST).fit(frame).save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["fitted"]["pretrained"]["sha256"] == shipped()[1]
    config["fitted"]["pretrained"]["sha256"] = "0" * 64
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="pretrained weights"):
        gc.load(tmp_path / "m")


def test_describe_says_what_the_fit_chose(frame: pd.DataFrame) -> None:
    model = gc.LSTM(season_length=12, horizon=6, trainer=FAST)
    assert model.describe() == "lstm: not fitted"
    text = model.fit(frame).describe()
    assert "seasonal skip 12" in text and "plain" in text and "pretrained" in text
    alone = gc.LSTM(season_length=12, horizon=6, pretrained="off", trainer=FAST).fit(frame)
    assert "pretrained" not in alone.describe()
    assert "3 member(s)" in Pretrained(season_length=12).fit(frame).describe()
    assert gc.Naive().fit(frame).describe() == "Naive: fitted"
