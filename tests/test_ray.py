"""The Ray engine gives the local results: same rows, same order, same values.

One small local Ray runtime (2 CPUs) serves the whole module and is shut down at its end.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pandas as pd
import pytest

from gatecast.cli.main import main
from gatecast.engine import make_engine
from gatecast.engine.ray import RayEngine
from gatecast.errors import ConfigError, DataError, MissingDependencyError
from gatecast.evaluation.backtest import backtest
from gatecast.evaluation.forecast import forecast
from gatecast.models.baselines import Drift, HistoricMean, Naive, Naive2, SeasonalNaive
from gatecast.models.recurrent import LSTM
from gatecast.models.smoothing import ETS
from gatecast.models.statsforecast import StatsForecastModel
from gatecast.training.config import TrainerConfig
from helpers import seasonal_frame

H = 6


@pytest.fixture(scope="module")
def engine():
    import ray.cloudpickle

    # Ray workers cannot import this test module: ship its helper classes by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    eng = RayEngine(num_cpus=2, object_store_mb=128, max_retries=2)
    with eng:
        yield eng
    import ray

    assert not ray.is_initialized()  # the runtime this module started is gone


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return seasonal_frame(n_series=10, length=48)


def local_forecasts(models: list, df: pd.DataFrame, level: list[float]) -> pd.DataFrame:
    out = None
    for model in models:
        lv = level if model.supports_intervals else None
        fc = model.clone().fit(df).predict(H, level=lv)
        out = fc if out is None else out.merge(fc, on=["unique_id", "ds"])
    return out


def per_series_models() -> list:
    return [Naive(alias="naive"), SeasonalNaive(season_length=12, alias="snaive"),
            Drift(alias="drift"), HistoricMean(alias="mean"),
            Naive2(season_length=12, alias="naive2"), ETS(season_length=12, alias="ets")]


def test_naive_family_and_ets_equal_local(engine, frame) -> None:
    models = per_series_models()
    run = forecast(models, frame, H, level=[80], engine=engine)
    assert len(run.partitions) > 1  # the series really were split across tasks
    pd.testing.assert_frame_equal(run.forecasts, local_forecasts(models, frame, [80]),
                                  check_exact=True)
    # The model API itself maps its partitions on the active engine.
    with engine:
        on_ray = ETS(season_length=12).fit(frame)
    assert len(on_ray.partitions_) > 1
    pd.testing.assert_frame_equal(on_ray.predict(H, level=[95]),
                                  ETS(season_length=12).fit(frame).predict(H, level=[95]),
                                  check_exact=True)


def test_backtest_on_ray_equals_local(engine, frame) -> None:
    models = [SeasonalNaive(season_length=12, alias="snaive"), ETS(season_length=12)]
    here = backtest(models, frame, H, n_windows=2, refit=False)
    there = backtest(models, frame, H, n_windows=2, refit=False, engine=engine)
    pd.testing.assert_frame_equal(there.forecasts, here.forecasts, check_exact=True)


def test_trained_recurrent_predictions_equal_local(engine, frame) -> None:
    lstm = LSTM(horizon=H, season_length=12, hidden_size=16, head_hidden=16, max_steps=20,
                trainer=TrainerConfig(batch_size=64, device="cpu")).fit(frame)
    models = [lstm, SeasonalNaive(season_length=12)]
    # Blocks of 4 series per forward pass: 10 series make 3 blocks, spread over 3 tasks.
    there = forecast(models, frame, H, engine=engine, predict_block=4)
    here = forecast(models, frame, H, predict_block=4)
    assert len(there.partitions) == 3 and len(here.partitions) == 1
    pd.testing.assert_frame_equal(there.forecasts, here.forecasts, check_exact=True)
    # One batch of all 10 series (predict) agrees to float32 rounding only.
    expected = lstm.predict(H).merge(SeasonalNaive(season_length=12).fit(frame).predict(H),
                                     on=["unique_id", "ds"])
    pd.testing.assert_frame_equal(there.forecasts, expected, rtol=1e-6)
    whole = forecast(models, frame, H, engine=engine)  # <= predict_block series: exact
    pd.testing.assert_frame_equal(whole.forecasts, expected, check_exact=True)


class _Picky:
    """Stands in for a StatsForecast model that cannot fit negative values."""

    def fit(self, y: np.ndarray) -> _Picky:
        if np.any(y < 0):
            raise ValueError("negative values")
        self.last = y[-1]
        return self

    def predict(self, h: int, level: list[float] | None = None) -> dict[str, np.ndarray]:
        return {"mean": np.full(h, self.last)}


@dataclasses.dataclass
class Picky(StatsForecastModel):
    def _new_model(self) -> _Picky:
        return _Picky()


def test_error_inside_a_partition_names_the_series(engine, frame) -> None:
    assert len(forecast([Picky()], frame, H, engine=engine).forecasts) == 10 * H
    bad = frame.copy()
    bad.loc[bad["unique_id"] == "s7", "y"] *= -1
    with pytest.raises(DataError, match=r"series 's7' .*negative values"):
        forecast([Picky()], bad, H, engine=engine)


def test_parquet_directory_on_ray_writes_parts(engine, frame, tmp_path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for k, (_, g) in enumerate(frame.groupby("unique_id")):
        g.to_parquet(src / f"chunk{k % 3}-{k}.parquet", index=False)
    models = [SeasonalNaive(season_length=12, alias="snaive"), ETS(season_length=12)]
    run = forecast(models, src, H, engine=engine, output=tmp_path / "out",
                   series_per_partition=4)
    assert run.forecasts is None and len(run.partitions) == 3
    written = pd.read_parquet(tmp_path / "out")
    pd.testing.assert_frame_equal(written, local_forecasts(models, frame, []),
                                  check_exact=True)


def test_cli_engine_ray_matches_local(engine, frame, tmp_path, capsys) -> None:
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    common = [str(path), "--model", "snaive,ets", "--h", str(H), "--season-length", "12",
              "--level", "80"]
    assert main(["--quiet", "forecast", *common, "--output", str(tmp_path / "l.csv")]) == 0
    assert main(["--quiet", "forecast", *common, "--engine", "ray",
                 "--output", str(tmp_path / "r.csv")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "r.csv"),
                                  pd.read_csv(tmp_path / "l.csv"))
    assert main(["--quiet", "compare", str(path), "--models", "ets", "--h", str(H),
                 "--season-length", "12", "--engine", "ray"]) == 0
    capsys.readouterr()


def test_engine_options_and_missing_ray(monkeypatch) -> None:
    with pytest.raises(ConfigError, match="engine 'local' takes no address"):
        make_engine("local", address="auto")
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        make_engine("spark")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'gatecast\[ray\]'"):
        RayEngine().start()
