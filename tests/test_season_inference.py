"""season_length is decided once per run: given, or inferred from the data's frequency; the
seasonal baseline, the MASE scale and the diagnostics all use that one value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gatecast.cli.main import main
from gatecast.data.freq import parse_freq
from gatecast.data.season import resolve_season_length, season_of
from gatecast.diagnostics.folds import fold_arrays
from gatecast.errors import ConfigError
from gatecast.evaluation.backtest import backtest
from gatecast.evaluation.compare import compare, evaluate, fold_scales
from gatecast.models.baselines import Naive, SeasonalNaive
from helpers import seasonal_frame


@pytest.mark.parametrize(
    ("freq", "m"),
    [("YS", 1), ("YE-JUN", 1), ("QS-JAN", 4), ("BQE", 4), ("MS", 12), ("BMS", 12),
     ("WOM-1SUN", 12), ("SMS", 24), ("W-MON", 52), ("7D", 52), ("D", 7), ("B", 5), ("C", 5),
     ("h", 24), ("2h", 12), ("30min", 48), ("15min", 96), ("min", 60), ("5min", 12),
     ("s", 60), ("2D", 1), ("2MS", 6), (1, 1), (7, 1)],
)
def test_season_table(freq: str | int, m: int) -> None:
    assert season_of(parse_freq(freq))[0] == m


def test_given_season_length_wins_and_is_bounded() -> None:
    assert resolve_season_length(4, parse_freq("MS")) == 4
    for bad in (0, 2.5, True, "12", 10**9):
        with pytest.raises(ConfigError, match="season_length"):
            resolve_season_length(bad, parse_freq("MS"))


def test_compare_infers_monthly_season(monthly: pd.DataFrame) -> None:
    board, result = compare([Naive(alias="mine")], monthly, h=6, n_windows=2, diagnose=False)
    assert result.season_length == 12
    assert "snaive" in board.index  # the seasonal baseline needs m > 1
    explicit, _ = compare([Naive(alias="mine")], monthly, h=6, n_windows=2, season_length=12,
                          diagnose=False)
    pd.testing.assert_frame_equal(board.drop(columns=["fit_seconds", "predict_seconds"]),
                                  explicit.drop(columns=["fit_seconds", "predict_seconds"]))


def test_explicit_season_length_is_unchanged(monthly: pd.DataFrame) -> None:
    board, result = compare([Naive(alias="mine")], monthly, h=6, n_windows=2, season_length=1,
                            diagnose=False)
    assert result.season_length == 1 and "snaive" not in board.index
    scale = fold_scales(result, 1)
    fc = result.forecasts
    per = np.abs(fc["y"] - fc["mine"]).to_numpy().reshape(-1, 6).mean(axis=1) / scale
    assert board.loc["mine", "mase"] == pytest.approx(per.mean())


def test_metric_scale_is_the_runs_not_the_models(monthly: pd.DataFrame) -> None:
    """A model with its own season_length keeps it; the MASE scale stays the run's."""
    board, result = compare([SeasonalNaive(4, alias="sn4")], monthly, h=6, n_windows=2,
                            diagnose=False)
    assert result.season_length == 12
    fc = result.forecasts
    per = np.abs(fc["y"] - fc["sn4"]).to_numpy().reshape(-1, 6).mean(axis=1)
    assert board.loc["sn4", "mase"] == pytest.approx((per / fold_scales(result, 12)).mean())
    assert evaluate(result).loc["sn4", "mase"] == pytest.approx(board.loc["sn4", "mase"])
    rescored = evaluate(result, season_length=1).loc["sn4", "mase"]
    assert rescored == pytest.approx((per / fold_scales(result, 1)).mean())


def test_backtest_carries_the_season_to_the_diagnostics() -> None:
    hourly = seasonal_frame(n_series=1, length=24 * 10, m=24, freq="h")
    result = backtest([Naive(alias="naive")], hourly, h=24, n_windows=2)
    assert result.season_length == 24
    folds = fold_arrays(result)
    assert folds.season_length == 24 and np.isfinite(folds.snaive).all()
    assert fold_arrays(result, 1).season_length == 1  # an explicit value still wins
    integer = backtest([Naive(alias="naive")], pd.DataFrame(
        {"unique_id": "a", "ds": np.arange(50), "y": np.arange(50.0)}), h=5)
    assert integer.season_length == 1


def test_backtest_counts_are_whole_numbers(monthly: pd.DataFrame) -> None:
    for kwargs, name in (({"n_windows": 1.5}, "n_windows"), ({"step": 0}, "step"),
                         ({"refit": -1}, "refit"), ({"season_length": 0}, "season_length")):
        with pytest.raises(ConfigError, match=f"{name} must be a whole number"):
            backtest([Naive()], monthly, h=3, **kwargs)


def test_cli_says_and_uses_the_inferred_season(capsys: pytest.CaptureFixture[str],
                                               monthly: pd.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "m.csv"
    monthly.to_csv(data, index=False)
    out = tmp_path / "fc.csv"
    assert main(["forecast", str(data), "--model", "snaive", "--h", "12",
                 "--output", str(out)]) == 0
    said = capsys.readouterr().out
    assert "season length 12 (inferred from monthly data; --season-length to override)" in said
    fc = pd.read_csv(out)
    last_year = monthly[monthly["unique_id"] == "s0"]["y"].to_numpy()[-12:]
    np.testing.assert_allclose(fc[fc["unique_id"] == "s0"]["snaive"], last_year)
    assert main(["forecast", str(data), "--model", "snaive", "--h", "4", "--season-length",
                 "4", "--output", str(out)]) == 0
    assert "season length 4 (given)" in capsys.readouterr().out
    assert main(["--quiet", "forecast", str(data), "--model", "naive", "--h", "2",
                 "--output", str(out)]) == 0
    assert "season length" not in capsys.readouterr().out


def test_cli_compare_hourly_gets_the_daily_cycle(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    data = tmp_path / "h.csv"
    seasonal_frame(n_series=2, length=24 * 8, m=24, freq="h").to_csv(data, index=False)
    assert main(["--json", "compare", str(data), "--models", "naive", "--h", "24",
                 "--output", str(tmp_path / "board.csv")]) == 0
    board = pd.read_csv(tmp_path / "board.csv")
    assert "snaive" in set(board["model"])  # added because the run's season is 24
    snaive = board.set_index("model").loc["snaive", "mase"]
    naive = board.set_index("model").loc["naive", "mase"]
    assert snaive < naive


def test_cli_partitioned_parquet_infers_from_the_first_partition(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = seasonal_frame(n_series=2, length=24 * 4, m=24, freq="h")
    for k, (_, part) in enumerate(frame.groupby("unique_id")):
        part.to_parquet(folder / f"part{k}.parquet")
    assert main(["forecast", str(folder), "--model", "snaive", "--h", "24",
                 "--output", str(tmp_path / "fc.parquet")]) == 0
    assert "season length 24 (inferred from hourly data" in capsys.readouterr().out
    fc = pd.read_parquet(tmp_path / "fc.parquet")
    last_day = frame[frame["unique_id"] == "s0"]["y"].to_numpy()[-24:]
    np.testing.assert_allclose(fc[fc["unique_id"] == "s0"]["snaive"], last_day)


def test_report_without_season_length_uses_the_inferred_one() -> None:
    from gatecast.report import build_report

    report = build_report([], seasonal_frame(n_series=1), h=4)
    assert report.context.season_length == 12
    assert "snaive" in report.context.board.index
