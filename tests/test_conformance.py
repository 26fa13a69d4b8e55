"""One conformance test that every forecaster passes (see docs: style, 'one shared test').

For each model name in the registry: output shape, ids and timestamps; determinism;
no leakage (changing values after a cutoff leaves that fold's forecasts unchanged);
save/load round trip; intervals ordered; clear errors on each kind of bad input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from gatecast.errors import ConfigError, DataError, GatecastError, NotFittedError
from gatecast.evaluation.backtest import backtest
from gatecast.io.serialize import load
from gatecast.models.registry import MODELS, RECURRENT, make_model
from gatecast.training.config import TrainerConfig
from helpers import seasonal_frame

M = 12
H = 6
# Fast settings where a model's defaults would search widely; everything else is default.
FAST: dict[str, dict[str, Any]] = {
    "autoarima": {"max_p": 2, "max_q": 2, "max_P": 1, "max_Q": 1},
    "arima": {"order": (1, 1, 0)},
    "arima-garch": {"order": (1, 0, 0)},
}
# Recurrent models: tiny networks and few steps; learning is tested in test_recurrent.py.
for _name in RECURRENT:
    FAST[_name] = {"hidden_size": 8, "num_layers": 1, "head_hidden": 8, "head_layers": 1,
                   "max_steps": 6, "trainer": TrainerConfig(batch_size=32)}
NAMES = sorted(MODELS)


def build(name: str) -> Any:
    return make_model(name, season_length=M, **FAST.get(name, {}))


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return seasonal_frame(n_series=3, length=84, m=M, seed=11)


@pytest.mark.parametrize("name", NAMES)
def test_shape_ids_timestamps_and_determinism(name: str, data: pd.DataFrame) -> None:
    model = build(name)
    with pytest.raises(NotFittedError):
        model.predict(H)
    fc = model.fit(data).predict(H)
    assert list(fc.columns[:3]) == ["unique_id", "ds", name]
    assert len(fc) == 3 * H
    assert fc["unique_id"].tolist() == [u for u in ["s0", "s1", "s2"] for _ in range(H)]
    for uid, part in data.groupby("unique_id"):
        expected = pd.date_range(part["ds"].iloc[-1], periods=H + 1, freq="MS")[1:]
        assert fc.loc[fc.unique_id == uid, "ds"].tolist() == list(expected)
    assert np.isfinite(fc[name]).all()
    again = build(name).fit(data).predict(H)
    pd.testing.assert_frame_equal(fc, again)


@pytest.mark.parametrize("name", NAMES)
def test_intervals_are_ordered(name: str, data: pd.DataFrame) -> None:
    model = build(name)
    if not model.supports_intervals:
        with pytest.raises(ConfigError):
            model.fit(data).predict(H, level=[80])
        return
    fc = model.fit(data).predict(H, level=[95, 80])
    lo95, lo80 = fc[f"{name}-lo-95"], fc[f"{name}-lo-80"]
    hi80, hi95 = fc[f"{name}-hi-80"], fc[f"{name}-hi-95"]
    assert (lo95 <= lo80 + 1e-9).all() and (lo80 <= fc[name] + 1e-9).all()
    assert (fc[name] <= hi80 + 1e-9).all() and (hi80 <= hi95 + 1e-9).all()
    assert (hi95 - lo95 > 0).any()


@pytest.mark.parametrize("name", NAMES)
def test_no_leakage(name: str, data: pd.DataFrame) -> None:
    base = backtest([build(name)], data, h=H, n_windows=2).forecasts
    cutoffs = base.iloc[: 3 * H].groupby("unique_id")["cutoff"].first()
    altered = data.copy()
    future = altered["ds"] > altered["unique_id"].map(cutoffs)
    altered.loc[future, "y"] = altered.loc[future, "y"] * 3 + 500
    again = backtest([build(name)], altered, h=H, n_windows=2).forecasts
    np.testing.assert_array_equal(base[name].iloc[: 3 * H], again[name].iloc[: 3 * H])
    # The alteration is real: the second fold's actuals moved.
    assert not np.allclose(base["y"].iloc[3 * H:], again["y"].iloc[3 * H:])


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip(name: str, data: pd.DataFrame, tmp_path) -> None:
    model = build(name).fit(data)
    model.save(tmp_path / name)
    assert sorted(p.name for p in (tmp_path / name).iterdir()) == [
        "config.json", "weights.safetensors"]
    loaded = load(tmp_path / name)
    assert type(loaded) is type(model)
    level = [90] if model.supports_intervals else None
    pd.testing.assert_frame_equal(model.predict(H, level=level), loaded.predict(H, level=level))


BAD_INPUTS = {
    "nan": (lambda d: d.assign(y=d["y"].where(d.index != 10)), "missing value"),
    "non-numeric": (lambda d: d.assign(y=d["y"].astype(object).where(d.index != 3, "x")),
                    "non-numeric"),
    "duplicate": (lambda d: pd.concat([d, d.iloc[[5]]]), "duplicate timestamp"),
    "gap": (lambda d: d.drop(index=[20]), "missing timestamp"),
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", sorted(BAD_INPUTS))
def test_bad_input_errors_name_the_series(name: str, bad: str, data: pd.DataFrame) -> None:
    mutate, message = BAD_INPUTS[bad]
    with pytest.raises(DataError, match=message) as info:
        build(name).fit(mutate(data))
    assert "series 's" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_too_short_series_are_named(name: str, data: pd.DataFrame) -> None:
    model = build(name)
    need = model.min_length()
    short = data[data["unique_id"] != "s1"]
    short = pd.concat([short, data[data["unique_id"] == "s1"].head(need + H - 1)])
    with pytest.raises(DataError, match=r"series 's1' too short"):
        backtest([model], short, h=H)
    if need > 1:
        with pytest.raises(DataError, match=r"series 's1' too short"):
            build(name).fit(pd.concat([data[data["unique_id"] != "s1"],
                                       data[data["unique_id"] == "s1"].head(need - 1)]))


@pytest.mark.parametrize("name", NAMES)
def test_bad_horizon_and_unknown_id(name: str, data: pd.DataFrame) -> None:
    model = build(name).fit(data)
    for h in (0, -3, 2.5):
        with pytest.raises(GatecastError, match="horizon"):
            model.predict(h)
    with pytest.raises(DataError, match="unknown unique_id 'nope'"):
        model.predict(H, ids=["nope"])
