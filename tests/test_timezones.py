"""Timestamps with a time zone work end to end and come back in the zone of the input.

Sub-daily data counts elapsed time (regular in UTC across daylight saving changes); daily and
calendar data count on the local calendar. Mixing zoned and naive values is an exit-2 error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gatecast as gc
from gatecast.cli.main import main
from gatecast.data.validate import validate
from gatecast.errors import DataError
from gatecast.evaluation.backtest import backtest
from gatecast.models.baselines import Naive

NY = "America/New_York"


def hourly(tz: str | None, start: str = "2024-03-08", n: int = 96, uid: str = "a"
           ) -> pd.DataFrame:
    ds = pd.date_range(start, periods=n, freq="h", tz=tz)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.arange(n, dtype=float)})


@pytest.mark.parametrize("start", ["2024-03-08", "2024-11-01"])  # spring and fall DST changes
def test_new_york_hourly_across_dst_forecasts_in_new_york(start: str) -> None:
    df = hourly(NY, start)  # 96 hours spanning the 23- or 25-hour local day
    sf = validate(df)
    assert sf.freq.freqstr == "h" and str(sf.frame["ds"].dt.tz) == NY
    fc = Naive().fit(df).predict(30)
    expected = pd.date_range(df["ds"].iloc[-1], periods=31, freq="h", tz=NY)[1:]
    assert str(fc["ds"].dt.tz) == NY
    pd.testing.assert_index_equal(pd.DatetimeIndex(fc["ds"]), expected, check_names=False)


def test_forecast_crossing_a_dst_change_is_regular_in_utc() -> None:
    df = hourly(NY, "2024-03-07", n=72)  # ends 2024-03-09 23:00, DST starts 03-10 02:00
    fc = Naive().fit(df).predict(6)
    local = [t.strftime("%H:%M%z") for t in fc["ds"]]
    assert local == ["00:00-0500", "01:00-0500", "03:00-0400", "04:00-0400", "05:00-0400",
                     "06:00-0400"]
    assert set(np.diff(fc["ds"].dt.tz_convert("UTC").astype("int64"))) == {3_600 * 10**9}


def test_daily_data_in_a_zone_stays_at_local_midnight() -> None:
    ds = pd.date_range("2024-02-20", periods=30, freq="D", tz=NY)  # crosses 2024-03-10
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0})
    fc = Naive().fit(df).predict(10)
    expected = pd.date_range(ds[-1], periods=11, freq="D")[1:]
    pd.testing.assert_index_equal(pd.DatetimeIndex(fc["ds"]), expected, check_names=False)
    assert all(t.hour == 0 for t in fc["ds"])


def test_monthly_data_in_a_zone_keeps_the_zone() -> None:
    ds = pd.date_range("2020-01-01", periods=30, freq="MS", tz="Europe/Paris")
    fc = Naive().fit(pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0})).predict(3)
    expected = pd.date_range(ds[-1], periods=4, freq="MS")[1:]
    pd.testing.assert_index_equal(pd.DatetimeIndex(fc["ds"]), expected, check_names=False)


def test_gaps_are_found_and_filled_in_a_zone() -> None:
    df = hourly(NY).drop(index=[40])  # 2024-03-09 16:00 local
    with pytest.raises(DataError, match=r"1 missing timestamp"):
        validate(df)
    filled = validate(df, fill="interpolate").frame
    assert len(filled) == 96 and filled["y"].iloc[40] == pytest.approx(40.0)
    assert str(filled["ds"].dt.tz) == NY


def test_backtest_folds_keep_the_zone() -> None:
    res = backtest([Naive(alias="naive")], hourly("+05:30"), h=4, n_windows=2)
    fc = res.forecasts
    assert str(fc["ds"].dt.tz) == "UTC+05:30" and str(fc["cutoff"].dt.tz) == "UTC+05:30"
    assert fc["ds"].iloc[0] == fc["cutoff"].iloc[0] + pd.Timedelta(hours=1)


def test_polars_input_with_a_zone() -> None:
    pl = pytest.importorskip("polars")
    fc = Naive().fit(pl.from_pandas(hourly(NY, "2024-11-01"))).predict(2)
    assert str(fc["ds"].dt.tz) == NY


def test_saved_model_forecasts_in_its_zone(tmp_path: Path) -> None:
    model = Naive().fit(hourly(NY))
    model.save(tmp_path / "naive")
    loaded = gc.load(tmp_path / "naive")
    pd.testing.assert_frame_equal(loaded.predict(5), model.predict(5))


def test_mixed_zones_and_naive_values_are_one_clear_error() -> None:
    naive, aware = hourly(None, uid="n"), hourly("UTC", uid="z")
    both = pd.concat([naive, aware], ignore_index=True)
    assert both["ds"].dtype == object
    with pytest.raises(DataError, match=r"mixes timestamps with a time zone.*and without"):
        validate(both)
    paris = pd.concat([hourly("Europe/Paris", uid="p"), aware], ignore_index=True)
    with pytest.raises(DataError, match=r"mixes time zones \(Europe/Paris in .*UTC in"):
        validate(paris)
    text = pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01T00:00:00",
                                                  "2024-01-01T01:00:00+05:30"], "y": 1.0})
    with pytest.raises(DataError, match=r"mixes timestamps with a time zone"):
        validate(text)
    fuzz = pd.DataFrame({"unique_id": "a", "ds": [0, pd.Timestamp("2000-01-01", tz="UTC")],
                         "y": 1.0})
    with pytest.raises(DataError, match=r"mixes kinds of values \(number 0 and timestamp"):
        validate(fuzz)


def _write_csv(path: Path, stamps: pd.DatetimeIndex) -> Path:
    text = [t.isoformat() for t in stamps]
    pd.DataFrame({"unique_id": "a", "ds": text, "y": np.arange(len(text), dtype=float)}
                 ).to_csv(path, index=False)
    return path


def test_cli_keeps_a_fixed_offset_from_csv(tmp_path: Path) -> None:
    data = _write_csv(tmp_path / "in.csv",
                      pd.date_range("2024-01-01", periods=48, freq="h", tz="+05:30"))
    out = tmp_path / "fc.csv"
    assert main(["--quiet", "forecast", str(data), "--model", "naive", "--h", "3",
                 "--output", str(out)]) == 0
    ds = pd.read_csv(out)["ds"].tolist()
    assert ds == ["2024-01-03 00:00:00+05:30", "2024-01-03 01:00:00+05:30",
                  "2024-01-03 02:00:00+05:30"]


def test_cli_new_york_csv_with_two_offsets_gives_the_right_instants(tmp_path: Path) -> None:
    stamps = pd.date_range("2024-03-08", periods=72, freq="h", tz=NY)  # -05:00 and -04:00
    data = _write_csv(tmp_path / "ny.csv", stamps)
    out = tmp_path / "fc.csv"
    assert main(["--quiet", "forecast", str(data), "--model", "naive", "--h", "2",
                 "--output", str(out)]) == 0
    got = pd.to_datetime(pd.read_csv(out)["ds"], utc=True)
    want = pd.date_range(stamps[-1], periods=3, freq="h")[1:].tz_convert("UTC")
    assert list(got) == list(want)


def test_cli_parquet_in_new_york_comes_back_in_new_york(tmp_path: Path) -> None:
    hourly(NY, "2024-11-01").to_parquet(tmp_path / "ny.parquet")
    out = tmp_path / "fc.parquet"
    assert main(["--quiet", "forecast", str(tmp_path / "ny.parquet"), "--model", "naive",
                 "--h", "4", "--output", str(out)]) == 0
    assert str(pd.read_parquet(out)["ds"].dt.tz) == NY


def test_cli_mixed_zones_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mixed.csv"
    pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01 00:00", "2024-01-01 01:00+01:00",
                                           "2024-01-01 02:00"], "y": 1.0}).to_csv(path,
                                                                                   index=False)
    assert main(["forecast", str(path), "--model", "naive", "--h", "1",
                 "--output", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "mixes timestamps with a time zone" in err and "Traceback" not in err


def test_future_covariates_are_matched_in_the_zone() -> None:
    from gatecast.data.freq import parse_freq
    from gatecast.models.recurrent_covariates import future_block

    last = np.asarray(pd.DatetimeIndex(["2024-03-09 23:00"], tz=NY), dtype=object)
    steps = pd.date_range("2024-03-10 00:00", periods=4, freq="h", tz=NY)  # crosses DST
    ids = np.array(["a"], dtype=object)
    for ds in (steps, [t.isoformat() for t in steps], steps.tz_convert("UTC")):
        future = pd.DataFrame({"unique_id": "a", "ds": ds, "x": [1.0, 2.0, 3.0, 4.0]})
        block = future_block(future, ids, last, parse_freq("h"), ("x",), 4)
        assert block.ravel().tolist() == [1.0, 2.0, 3.0, 4.0]
    naive = pd.DataFrame({"unique_id": "a", "ds": steps.tz_localize(None), "x": 1.0})
    with pytest.raises(DataError, match=r"without a zone but the data's is in America/New_York"):
        future_block(naive, ids, last, parse_freq("h"), ("x",), 4)


def test_recurrent_model_forecasts_in_the_zone() -> None:
    from gatecast.models.registry import make_model
    from gatecast.training.config import TrainerConfig

    df = hourly(NY, "2024-11-01", n=24 * 6)
    model = make_model("lstm", horizon=6, season_length=24, max_steps=3, hidden_size=4,
                       num_layers=1, trainer=TrainerConfig(seed=0, device="cpu"))
    fc = model.fit(df).predict(6)
    expected = pd.date_range(df["ds"].iloc[-1], periods=7, freq="h")[1:]
    pd.testing.assert_index_equal(pd.DatetimeIndex(fc["ds"]), expected, check_names=False)
    again = model.forward(df.iloc[:-3], 6)  # a shorter history: the zone is kept there too
    assert str(again["ds"].dt.tz) == NY
