"""Sizes are bounded before anything is allocated; bad input never degrades silently;
messages stay short (issue 16, items 2, 8 and 9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gatecast as gc
from fuzz_cases import run_cli
from gatecast import checks
from gatecast.errors import ConfigError, DataError, clip, shorten
from gatecast.nn import NetworkConfig, build_network
from helpers import seasonal_frame


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "monthly.csv"
    seasonal_frame(n_series=1, length=48).to_csv(path, index=False)
    return path


def forecast(csv: Path, *args: str) -> tuple[int, str]:
    run = run_cli(["--quiet", "forecast", str(csv), "--output", str(csv.with_name("o.csv")),
                   *args])
    return run.status, run.stderr


# -- item 2: sizes --------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "expected"), [
    (["--model", "naive", "--h", "1000000000"], "limit of 100,000"),
    (["--model", "naive", "--h", "90000"], "goes past 2262-04-11"),
    (["--model", "lstm", "--h", "12", "--param", "hidden_size=1000000000"], "limit of 4,096"),
    (["--model", "lstm", "--h", "12", "--param", "num_layers=1000000"], "limit of 16"),
    (["--model", "lstm", "--h", "12", "--param", "ensemble=1000"], "limit of 64"),
    (["--model", "snaive", "--h", "2", "--season-length", "1000000"], "limit of 100,000"),
])
def test_cli_sizes_beyond_the_limits_exit_2_naming_the_limit(csv: Path, args: list[str],
                                                              expected: str) -> None:
    status, err = forecast(csv, *args)
    assert status == 2, err
    assert expected in err


def test_backtest_windows_are_bounded(csv: Path) -> None:
    run = run_cli(["--quiet", "backtest", str(csv), "--models", "naive", "--h", "2",
                   "--windows", "1000000000"])
    assert run.status == 2 and "n_windows = 1,000,000,000 is above" in run.stderr


def test_daily_horizon_past_2262_is_a_data_error_not_wrapped_dates() -> None:
    df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01-01", periods=30),
                       "y": np.arange(30.0)})
    model = gc.Naive().fit(df)
    with pytest.raises(DataError, match=r"at most 95,76\d steps fit"):
        model.predict(99_999)  # int64 nanoseconds used to wrap around to the 1700s
    assert model.predict(95_000)["ds"].is_monotonic_increasing


def test_integer_steps_past_int64_are_a_data_error() -> None:
    df = pd.DataFrame({"unique_id": "a", "ds": 2**62 + np.arange(5) * 2**58, "y": np.ones(5)})
    with pytest.raises(DataError, match="overflows"):
        gc.Naive().fit(df).predict(50)


def test_fill_that_would_explode_the_data_is_refused_before_allocating() -> None:
    ds = pd.date_range("2000-01-01", periods=8, freq="YS").delete(4)
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(7.0)})
    with pytest.raises(DataError, match="limit of 100 per row"):
        gc.validate(df, freq="s", fill="interpolate")
    assert len(gc.validate(df, fill="interpolate").frame) == 8  # the real frequency fills


def test_memory_estimate_refuses_what_cannot_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "available_memory", lambda: 8 * 1024**3)
    checks.check_memory(3 * 1024**3, "a small thing")  # under half of 8 GiB
    with pytest.raises(ConfigError, match=r"needs about 5\.0 GiB .* limit of 50% of the 8\.0 GiB"):
        checks.check_memory(5 * 1024**3, "a big thing")
    with pytest.raises(ConfigError, match="forecasting 100,000 steps for 100,000 series"):
        checks.check_forecast_memory(100_000, 100_000, 2)


def test_available_memory_is_read_from_the_system() -> None:
    free = checks.available_memory()
    assert free is None or free > 0


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "peephole", "seq2seq", "cnn-lstm",
                                  "mlp"])
def test_parameter_estimate_bounds_the_real_count(kind: str) -> None:
    cfg = NetworkConfig(kind=kind, input_size=2, look_back=12, horizon=4, hidden_size=16,
                        num_layers=2, patch_size=2, future_size=1, static_size=3,
                        head_hidden=7, head_layers=1, n_outputs=3)
    real = sum(p.numel() for p in build_network(cfg).parameters())
    assert real <= checks.network_parameters(cfg) <= 1.05 * real + 50


def test_a_network_over_the_parameter_limit_is_refused_before_it_is_built() -> None:
    cfg = NetworkConfig(kind="mlp", input_size=1, look_back=100_000, horizon=1000,
                        hidden_size=8, num_layers=1, head_hidden=4096, head_layers=1)
    with pytest.raises(ConfigError, match="limit of 100,000,000"):
        checks.check_network(cfg, batch_size=256)


def test_recurrent_sizes_are_bounded_at_construction() -> None:
    with pytest.raises(ConfigError, match="hidden_size = 1,000,000,000 is above"):
        gc.LSTM(hidden_size=10**9)
    with pytest.raises(ConfigError, match="look_back = 1,000,000 is above"):
        gc.LSTM(look_back=(12, 10**6))
    with pytest.raises(ConfigError, match="ensemble members"):
        gc.LSTM(look_back=(8, 12, 16, 20), skip=("none", "seasonal"), ensemble=9)
    with pytest.raises(ConfigError, match="head_layers must be a whole number >= 0"):
        gc.LSTM(head_layers=-1)
    assert gc.LSTM(hidden_size=8.0).hidden_size == 8  # a JSON float that is whole is fine


def test_look_back_longer_than_the_data_is_refused() -> None:
    air = gc.datasets.load("airline")
    with pytest.raises(ConfigError, match=r"look_back=\d+ is longer than the data allows"):
        gc.LSTM(look_back=1000, max_steps=1).fit(air)


# -- item 8: short messages -----------------------------------------------------------------
def test_shorten_cuts_long_values_and_clip_long_messages() -> None:
    assert shorten("abc") == "'abc'"
    long = shorten("x" * 10_000)
    assert len(long) < 120 and "10,000 characters" in long
    assert len(shorten(tuple(range(10_000)))) <= 81
    assert clip("a\nb") == "a b"
    assert len(clip("y" * 10_000)) == 500 and clip("y" * 10_000).endswith("…")


def test_a_huge_value_in_a_data_error_is_cut() -> None:
    df = pd.DataFrame({"unique_id": "a", "ds": [1, 2], "y": ["1", "z" * 1_000_000]})
    with pytest.raises(DataError) as info:
        gc.validate(df)
    assert len(str(info.value)) < 300


def test_a_huge_header_in_a_missing_column_error_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("h" * 1_000_000 + ",b\n1,2\n")
    run = run_cli(["--quiet", "forecast", str(path), "--h", "2", "--output",
                   str(tmp_path / "o.csv")])
    assert run.status == 2 and "missing column" in run.stderr
    assert len(run.stderr) < 600


def test_a_huge_argument_in_a_usage_error_is_cut(tmp_path: Path) -> None:
    run = run_cli(["--quiet", "forecast", "x.csv", "--h", "9" * 100_000 + "x"])
    assert run.status == 2 and len(run.stderr) < 1_500


# -- item 9: no silent degradation ----------------------------------------------------------
@pytest.mark.parametrize("model", [gc.ETS(season_length=500), gc.Theta(season_length=500),
                                   gc.Naive2(season_length=500)])
def test_a_season_longer_than_the_series_is_refused(model: object) -> None:
    with pytest.raises(DataError, match="144 points where 500 are needed"):
        model.fit(gc.datasets.load("airline"))  # type: ignore[attr-defined]


def test_complex_values_are_refused_unless_they_are_real() -> None:
    air = gc.datasets.load("airline")
    with pytest.raises(DataError, match="complex numbers"):
        gc.validate(air.assign(y=air["y"] + 1j))
    with pytest.raises(DataError, match="complex numbers"):
        gc.validate(air.assign(x=air["y"] * 1j))
    sf = gc.validate(air.assign(y=air["y"] + 0j))
    np.testing.assert_array_equal(sf.frame["y"].to_numpy(), air["y"].to_numpy(np.float64))


def test_values_whose_squares_overflow_are_refused() -> None:
    air = gc.datasets.load("airline")
    with pytest.raises(DataError, match=r"beyond ±1e\+150"):
        gc.compare([gc.Naive2(season_length=12)], air.assign(y=air["y"] * 1e305), h=12,
                   season_length=12)


def test_report_refuses_huge_values_with_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    air = gc.datasets.load("airline")
    air.assign(y=air["y"] * 1e305).to_csv(path, index=False)
    run = run_cli(["--quiet", "report", str(path), "--h", "12", "--season-length", "12",
                   "--output", str(tmp_path / "r.html")])
    assert run.status == 2 and "beyond" in run.stderr, run.stderr


def test_compare_takes_model_names_and_a_single_metric() -> None:
    df = seasonal_frame(n_series=2, length=48)
    board, _ = gc.compare(["ets", gc.Naive2(season_length=12)], df, h=6, season_length=12,
                          metrics="mae")
    assert {"ets", "Naive2", "naive", "snaive", "drift"} <= set(board.index)
    assert "mae" in board.columns and "m" not in board.columns
    with pytest.raises(ConfigError, match="unknown model"):
        gc.compare(["no-such-model"], df, h=6)
    with pytest.raises(ConfigError, match=r"unknown metric\(s\) \['maes'\]"):
        gc.compare(["naive"], df, h=6, metrics="maes")


def test_two_timestamps_in_one_month_are_off_the_monthly_grid() -> None:
    df = pd.DataFrame({"unique_id": "a", "ds": pd.to_datetime(["2000-03-02", "2000-03-09"]),
                       "y": [1.0, 2.0]})
    with pytest.raises(DataError, match="not on a regular MS grid"):
        gc.validate(df, freq="MS")


@pytest.mark.parametrize(("ids", "ds", "match"), [
    ([1, 1, ("t",), ("t",)], [1, 2, 1, 2], "unique_id' mixes kinds"),
    (["a", "a"], [0, pd.Timestamp("2000-01-01")], "ds' mixes kinds"),
    (["a", "a"], [0, pd.Timestamp("2000-01-01", tz="UTC")], "ds' mixes kinds"),
    (["a", "a"], ["2000-01-01", "NaT"], "missing timestamps"),
])
def test_mixed_kinds_are_data_errors(ids: list[object], ds: list[object], match: str) -> None:
    df = pd.DataFrame({"unique_id": pd.Series(ids, dtype=object),
                       "ds": pd.Series(ds, dtype=object), "y": np.arange(len(ids), dtype=float)})
    with pytest.raises(DataError, match=match):
        gc.validate(df)


def test_integer_steps_in_an_object_column_stay_integers() -> None:
    df = pd.DataFrame({"unique_id": "a", "ds": pd.Series([1, 2, 3], dtype=object),
                       "y": [1.0, 2.0, 3.0]})
    assert gc.validate(df).frame["ds"].tolist() == [1, 2, 3]  # not 1970 nanoseconds


def test_categorical_ids_with_unused_categories_fill() -> None:
    ds = pd.date_range("2000-01-01", periods=8)[[0, 1, 2, 4, 5, 6, 7]]
    df = pd.DataFrame({"unique_id": pd.Categorical(["a"] * 7, categories=["a", "unused"]),
                       "ds": ds, "y": np.arange(7.0)})
    sf = gc.validate(df, fill="interpolate")
    assert sf.n_series == 1 and sf.frame["y"].tolist()[3] == 2.5
