"""A model built without ``season_length`` decides it in ``fit`` from the data's frequency
(the table of :mod:`gatecast.data.season`), keeps it as ``season_length_``, says it (log,
``describe()``) and saves it; an explicit value wins; a run and its models agree."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import gatecast as gc
from gatecast.errors import ConfigError
from gatecast.evaluation.backtest import backtest
from gatecast.evaluation.compare import compare
from gatecast.io.serialize import load
from helpers import seasonal_frame

#: A recurrent model that trains in well under a second.
TINY: dict[str, Any] = {"hidden_size": 4, "num_layers": 1, "head_hidden": 4, "head_layers": 1,
                        "max_steps": 2, "pretrained": "off", "seed": 0}

SEASONAL: list[Any] = [
    lambda **kw: gc.SeasonalNaive(**kw), lambda **kw: gc.Naive2(**kw),
    lambda **kw: gc.ETS(**kw), lambda **kw: gc.Theta(**kw),
    lambda **kw: gc.ARIMA(**kw), lambda **kw: gc.SARIMA(**kw),
    lambda **kw: gc.AutoARIMA(max_p=1, max_q=1, max_P=1, max_Q=1, **kw),
    lambda **kw: gc.ARIMAGARCH(**kw), lambda **kw: gc.Pretrained(**kw),
    lambda **kw: gc.LSTM(**TINY, **kw), lambda **kw: gc.GRU(**TINY, **kw),
]


@pytest.fixture(scope="module")
def quarterly() -> pd.DataFrame:
    return seasonal_frame(n_series=2, length=48, m=4, freq="QS")


def integer_frame(n: int = 60) -> pd.DataFrame:
    t = np.arange(n)
    return pd.DataFrame({"unique_id": "a", "ds": t, "y": 50 + np.sin(t) + 0.1 * t})


def test_lstm_on_monthly_data_trains_with_the_season_of_12(monthly: pd.DataFrame) -> None:
    model = gc.LSTM(**TINY).fit(monthly)
    assert model.season_length is None and model.season_length_ == 12
    # the default seasonal-skip member learns the correction to seasonal naive at lag 12
    assert [cfg.skip_period for cfg in model._configs()] == [0, 12]


@pytest.mark.parametrize("make", SEASONAL)
def test_quarterly_data_gives_4_and_integer_steps_give_1(make: Any, quarterly: pd.DataFrame
                                                         ) -> None:
    assert make().season_length is None
    assert make().fit(quarterly).season_length_ == 4
    if make().name != "SARIMA":  # a seasonal ARIMA has no season on integer steps
        assert make().fit(integer_frame()).season_length_ == 1


def test_ets_fits_the_inferred_season(quarterly: pd.DataFrame) -> None:
    ets = gc.ETS(model="ZZA").fit(quarterly)
    assert ets.season_length_ == 4
    assert all(fitted.model_["m"] == 4 for part in ets.states_ for fitted in part)
    explicit = gc.ETS(model="ZZA", season_length=4).fit(quarterly)
    pd.testing.assert_frame_equal(ets.predict(4, level=[80]), explicit.predict(4, level=[80]))
    with pytest.raises(ConfigError, match="seasonal component but season_length is 1"):
        gc.ETS(model="AAA").fit(integer_frame())


@pytest.mark.parametrize("make", SEASONAL)
def test_an_explicit_season_length_wins(make: Any, quarterly: pd.DataFrame) -> None:
    model = make(season_length=2).fit(quarterly)
    assert model.season_length == 2 and model.season_length_ == 2
    assert "season length" not in model.describe()  # nothing inferred to report


def test_seasonal_naive_forecasts_with_the_inferred_season(quarterly: pd.DataFrame) -> None:
    fc = gc.SeasonalNaive().fit(quarterly).predict(4)
    last = quarterly[quarterly["unique_id"] == "s0"]["y"].to_numpy()[-4:]
    np.testing.assert_array_equal(fc[fc["unique_id"] == "s0"]["SeasonalNaive"], last)


def test_describe_and_the_log_say_the_inferred_season(
        quarterly: pd.DataFrame, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="gatecast"):
        ets = gc.ETS().fit(quarterly)
    assert "ETS: season length 4 (inferred from quarterly data" in caplog.text
    assert ets.describe().startswith("ETS: season length 4 (inferred from quarterly data);"
                                     " chose ETS(")
    assert gc.LSTM(**TINY).fit(quarterly).describe().startswith(
        "lstm: season length 4 (inferred from quarterly data); networks")
    assert gc.Naive().fit(quarterly).describe() == "Naive: fitted"  # takes no season
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="gatecast"):
        gc.ETS(season_length=4).fit(quarterly)
    assert "season length" not in caplog.text


@pytest.mark.parametrize("make", [lambda: gc.ETS(), lambda: gc.SeasonalNaive(),
                                  lambda: gc.ARIMAGARCH(), lambda: gc.LSTM(**TINY),
                                  lambda: gc.Pretrained()])
def test_a_saved_model_keeps_its_resolved_season(make: Any, quarterly: pd.DataFrame,
                                                 tmp_path: Path) -> None:
    model = make().fit(quarterly)
    model.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["fitted"]["season_length"] == 4
    loaded = load(tmp_path / "m")
    assert loaded.season_length is None and loaded.season_length_ == 4
    assert loaded.describe() == model.describe()
    level = [80] if model.supports_intervals else None
    pd.testing.assert_frame_equal(loaded.predict(5, level=level), model.predict(5, level=level))


@pytest.mark.parametrize("make", [lambda: gc.ETS(season_length=1),
                                  lambda: gc.SeasonalNaive(season_length=1),
                                  lambda: gc.LSTM(season_length=1, **TINY)])
def test_files_from_before_the_fitted_season_load_as_before(make: Any, quarterly: pd.DataFrame,
                                                            tmp_path: Path) -> None:
    """Older files hold season_length=1 in their parameters and no fitted value."""
    model = make().fit(quarterly)
    model.save(tmp_path / "old")
    path = tmp_path / "old" / "config.json"
    config = json.loads(path.read_text())
    del config["fitted"]["season_length"]
    assert config["params"]["season_length"] == 1
    path.write_text(json.dumps(config))
    loaded = load(tmp_path / "old")
    assert loaded.season_length == 1 and loaded.season_length_ == 1
    pd.testing.assert_frame_equal(loaded.predict(5), model.predict(5))


def test_the_run_and_its_models_agree(monthly: pd.DataFrame) -> None:
    """A model that leaves its season to the data fits with the run's season, inferred or
    given; a model given its own keeps it."""
    inferred = backtest([gc.SeasonalNaive(alias="mine")], monthly, h=6, n_windows=2)
    assert inferred.season_length == 12
    np.testing.assert_array_equal(
        inferred.forecasts["mine"],
        backtest([gc.SeasonalNaive(12, alias="mine")], monthly, h=6, n_windows=2,
                 season_length=12).forecasts["mine"])
    given = backtest([gc.SeasonalNaive(alias="mine"), gc.SeasonalNaive(4, alias="four"),
                      gc.SeasonalNaive(3, alias="own")], monthly, h=6, n_windows=2,
                     season_length=4)
    assert given.season_length == 4
    fc = given.forecasts
    np.testing.assert_array_equal(fc["mine"], fc["four"])
    assert not np.array_equal(fc["own"], fc["four"])
    board, _ = compare([gc.Theta(alias="theta")], monthly, h=6, n_windows=2, season_length=4,
                       diagnose=False)
    alone, _ = compare([gc.Theta(season_length=4, alias="theta")], monthly, h=6, n_windows=2,
                       season_length=4, diagnose=False)
    assert board.loc["theta", "mase"] == alone.loc["theta", "mase"]


def test_a_run_season_reaches_a_model_left_to_the_data(monthly: pd.DataFrame) -> None:
    model = gc.ETS(model="ZZA")
    assert model.with_season(4).season_length == 4
    assert model.season_length is None  # the user's model is not changed
    mine = gc.ETS(season_length=6)
    assert mine.with_season(4) is mine


def test_checks_share_one_whole_number_message() -> None:
    for make, name in ((lambda: gc.AutoARIMA(max_p=-1), "max_p"),
                       (lambda: gc.ARIMA(order=(1.5, 0, 0)), "order entry"),
                       (lambda: gc.ARIMAGARCH(p=0), "p \\(ARCH lags\\)"),
                       (lambda: gc.ETS(season_length=0), "season_length")):
        with pytest.raises(ConfigError, match=f"{name} must be a whole number >= "):
            make()
    assert gc.ARIMA(order=(1.0, 0, 0)).order == (1, 0, 0)  # a whole float, as JSON gives
