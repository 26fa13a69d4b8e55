"""Every ordinary pandas calendar works: inferred from the data, gaps found, future ``ds``
equal to pandas' own continuation; data on no calendar is one clear exit-2 error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gatecast.cli.main import main
from gatecast.data.validate import validate
from gatecast.errors import DataError
from gatecast.models.baselines import Naive

H = 7
FREQS = [
    "MS", "ME", "BMS", "BME", "WOM-1SUN", "WOM-3WED", "SMS", "SME", "SMS-10",
    "W", "W-MON", "W-FRI", "2W", "QS-JAN", "QS-FEB", "QE-DEC", "QE-NOV", "BQS", "BQE-MAR",
    "YS", "YE", "YS-JUL", "BYS", "BYE", "B", "C", "D", "2D", "h", "2h", "30min", "15min",
    "min", "30s", "s", "2MS",
]


def frame(freq: str | pd.DateOffset, n: int = 40, start: str = "2019-01-01") -> pd.DataFrame:
    ds = pd.date_range(start, periods=n, freq=freq)
    parts = [pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.arange(n, dtype=float) + k})
             for k, uid in enumerate(["a", "b"])]
    return pd.concat(parts, ignore_index=True)


def continuation(last: pd.Timestamp, freq: str | pd.DateOffset) -> pd.DatetimeIndex:
    return pd.date_range(last, periods=H + 1, freq=freq)[1:]


@pytest.mark.parametrize("freq", FREQS)
@pytest.mark.parametrize("given", [False, True], ids=["inferred", "given"])
def test_calendar_validates_and_forecasts_its_continuation(freq: str, given: bool) -> None:
    df = frame(freq)
    sf = validate(df, freq=freq if given else None)
    assert sf.n_series == 2 and len(sf.frame) == len(df)
    fc = Naive().fit(sf).predict(H)
    got = pd.DatetimeIndex(fc.loc[fc["unique_id"] == "b", "ds"])
    pd.testing.assert_index_equal(got, continuation(df["ds"].iloc[-1], freq), check_names=False)


@pytest.mark.parametrize("freq", FREQS)
def test_calendar_gap_is_found_and_filled(freq: str) -> None:
    df = frame(freq, n=60)
    gappy = df.drop(index=[20, 21])  # two missing points of series 'a'
    with pytest.raises(DataError, match=r"series 'a' has 2 missing timestamp"):
        validate(gappy)
    filled = validate(gappy, fill="interpolate").frame
    pd.testing.assert_series_equal(filled["ds"], df["ds"], check_names=False)


def test_custom_business_days_with_holidays() -> None:
    cbd = pd.offsets.CustomBusinessDay(holidays=["2024-01-15", "2024-02-19"])
    ds = pd.date_range("2024-01-02", periods=45, freq=cbd)
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0})
    with pytest.raises(DataError, match=r"missing timestamp.*CustomBusinessDay"):
        validate(df)  # inferred as plain business days: the holidays look like gaps
    sf = validate(df, freq=cbd)
    fc = Naive().fit(sf).predict(5)
    expected = pd.date_range(ds[-1], periods=6, freq=cbd)[1:]
    pd.testing.assert_index_equal(pd.DatetimeIndex(fc["ds"]), expected, check_names=False)


def test_data_on_no_calendar_is_a_clear_error() -> None:
    mid_month = pd.date_range("2020-01-01", periods=24, freq="MS") + pd.Timedelta(days=14)
    df = pd.DataFrame({"unique_id": "a", "ds": mid_month, "y": 1.0})
    with pytest.raises(DataError, match=r"about 31 days apart.*none of the calendars.*MS"):
        validate(df)
    with pytest.raises(DataError, match=r"2020-01-15.*not on a regular MS grid"):
        validate(df, freq="MS")


def test_wrong_anchor_is_named_not_shifted() -> None:
    mondays = frame("W-MON")
    with pytest.raises(DataError, match=r"not on a regular W-SUN grid"):
        validate(mondays, freq="W")


@pytest.mark.parametrize("freq", ["-1MS", "0h", "LWOM-FRI", "fortnightly"])
def test_unusable_frequency_names_itself(freq: str) -> None:
    with pytest.raises(DataError, match=r"frequency"):
        validate(frame("MS"), freq=freq)


def test_horizon_past_pandas_range_is_a_data_error() -> None:
    sf = validate(frame("YS", start="2200-01-01"))
    with pytest.raises(DataError, match=r"2262-04-11.*shorter horizon"):
        Naive().fit(sf).predict(100)


@pytest.mark.parametrize("freq", ["BMS", "WOM-1SUN", "SMS", "BQS"])
def test_cli_forecasts_on_the_calendar(freq: str, tmp_path: Path) -> None:
    data = tmp_path / "in.csv"
    frame(freq).to_csv(data, index=False)
    out = tmp_path / "fc.csv"
    assert main(["--quiet", "forecast", str(data), "--model", "naive", "--h", str(H),
                 "--output", str(out)]) == 0
    fc = pd.read_csv(out, parse_dates=["ds"])
    got = pd.DatetimeIndex(fc.loc[fc["unique_id"] == "a", "ds"])
    last = frame(freq)["ds"].iloc[-1]
    pd.testing.assert_index_equal(got, continuation(last, freq), check_names=False)


def test_cli_mid_month_data_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "mid.csv"
    ds = pd.date_range("2020-01-01", periods=24, freq="MS") + pd.Timedelta(days=14)
    pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0}).to_csv(data, index=False)
    assert main(["forecast", str(data), "--model", "naive", "--h", "2",
                 "--output", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "none of the calendars" in err and "Traceback" not in err


def test_business_days_over_decades_are_checked_fast() -> None:
    """Business days are counted with numpy's busday functions, not a generated pandas range
    (a CustomBusinessDay range over 30 years takes seconds)."""
    import time

    cbd = pd.offsets.CustomBusinessDay(holidays=["2024-01-15"])
    ds = pd.DatetimeIndex([pd.Timestamp("1990-01-02"), pd.Timestamp("2024-01-16")])
    df = pd.DataFrame({"unique_id": ["a", "b"], "ds": ds, "y": 1.0})
    start = time.perf_counter()
    assert validate(df, freq=cbd).n_series == 2
    assert time.perf_counter() - start < 1.0
    with pytest.raises(DataError, match=r"2024-01-15.*not on a regular C grid"):
        validate(pd.DataFrame({"unique_id": "a", "ds": [pd.Timestamp("2024-01-12"),
                                                         pd.Timestamp("2024-01-15")], "y": 1.0}),
                 freq=cbd)
