"""The data contract: every bad input gives one DataError naming the series and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gatecast.data.frame import as_long, from_array, from_wide, read_table
from gatecast.data.freq import future_ds, parse_freq
from gatecast.data.freq_infer import infer_freq
from gatecast.data.validate import validate
from gatecast.errors import DataError
from helpers import seasonal_frame


def test_sorts_unsorted_rows_and_keeps_values(monthly: pd.DataFrame) -> None:
    shuffled = monthly.sample(frac=1.0, random_state=1)
    sf = validate(shuffled)
    pd.testing.assert_frame_equal(sf.frame, monthly.reset_index(drop=True))
    assert list(sf.ids) == ["s0", "s1", "s2"]
    assert list(sf.lengths) == [72, 78, 84]


@pytest.mark.parametrize(
    ("mutate", "pattern"),
    [
        (lambda d: d.assign(y=d["y"].where(d.index != 5)), r"series 's0' has 1 missing value"),
        (lambda d: d.drop(index=[80]), r"series 's1' has 1 missing timestamp.*fill="),
        (lambda d: pd.concat([d, d.iloc[[100]]]), r"series 's1' has duplicate timestamp"),
        (lambda d: d.assign(y=d["y"].astype(object).where(d.index != 3, "n/a")),
         r"series 's0': non-numeric value 'n/a'"),
        (lambda d: d.assign(y=d["y"].where(d.index != 7, np.inf)), r"infinite"),
        (lambda d: d.drop(columns=["y"]), r"missing column"),
        (lambda d: d.assign(ds="not a date"), r"cannot read timestamp"),
        (lambda d: d.iloc[:0], r"no rows"),
    ],
)
def test_bad_input_raises_one_line_data_error(monthly, mutate, pattern) -> None:
    with pytest.raises(DataError, match=pattern) as info:
        validate(mutate(monthly))
    assert "\n" not in str(info.value)


def test_too_short_names_series_and_fix(monthly: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"series .s0. too short: 72 points where 75.*look-back"):
        validate(monthly, min_length=75)


def test_gap_fill_interpolates(monthly: pd.DataFrame) -> None:
    gappy = monthly.drop(index=[10, 11])
    sf = validate(gappy, fill="interpolate")
    assert len(sf.frame) == len(monthly)
    y = sf.frame["y"].to_numpy()
    expected = monthly["y"].iloc[9] + (monthly["y"].iloc[12] - monthly["y"].iloc[9]) / 3
    assert y[10] == pytest.approx(expected)
    assert validate(gappy, fill="zero").frame["y"].iloc[11] == 0.0
    assert validate(gappy, fill="ffill").frame["y"].iloc[11] == monthly["y"].iloc[9]


def test_off_grid_timestamp_is_named(monthly: pd.DataFrame) -> None:
    bad = monthly.copy()
    bad.loc[3, "ds"] = pd.Timestamp("2015-04-15")
    with pytest.raises(DataError, match=r"series 's0'.*not on a regular"):
        validate(bad)


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("h", "h"), ("D", "D"), ("MS", "MS"), ("QS", "QS-"), ("W-SUN", "W-SUN"),
     ("30min", "30min"), ("YS", "YS-JAN"), ("ME", "ME")],
)
def test_infers_frequency(freq: str, expected: str) -> None:
    sf = validate(seasonal_frame(n_series=2, length=30, freq=freq))
    assert sf.freq.freqstr.startswith(expected)
    nxt = future_ds(sf.last_ds(), 1, sf.freq)[:, 0]
    assert pd.Timestamp(nxt[0]) == pd.date_range(sf.last_ds()[0], periods=2, freq=freq)[1]


def test_integer_steps_and_future(monthly: pd.DataFrame) -> None:
    df = pd.DataFrame({"unique_id": "a", "ds": np.arange(0, 40, 4), "y": np.arange(10.0)})
    sf = validate(df)
    assert sf.freq == 4
    assert future_ds(sf.last_ds(), 3, sf.freq).tolist() == [[40, 44, 48]]
    monthly_sf = validate(monthly)
    nxt = future_ds(monthly_sf.last_ds(), 2, monthly_sf.freq)
    assert pd.Timestamp(nxt[0, 0]) == pd.Timestamp("2021-01-01")
    assert pd.Timestamp(nxt[0, 1]) == pd.Timestamp("2021-02-01")


def test_infer_freq_survives_gaps() -> None:
    ds = pd.date_range("2020-01-01", periods=50, freq="MS").delete([5, 17, 30])
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0})
    assert infer_freq(df).freqstr == "MS"
    with pytest.raises(DataError, match=r"[13] missing timestamp"):
        validate(df)


def test_parse_freq_rejects_nonsense() -> None:
    with pytest.raises(DataError, match="unknown frequency"):
        parse_freq("fortnightly-ish")


def test_single_series_without_id_column() -> None:
    df = pd.DataFrame({"ds": pd.date_range("2020", periods=5, freq="D"), "y": range(5)})
    sf = validate(df)
    assert list(sf.ids) == ["series"]


def test_custom_column_names() -> None:
    df = pd.DataFrame({"store": "x", "date": pd.date_range("2020", periods=5), "sales": 1.0})
    sf = validate(df, id_col="store", time_col="date", target_col="sales")
    assert list(sf.frame.columns) == ["unique_id", "ds", "y"]


def test_polars_and_parquet_inputs(monthly: pd.DataFrame, tmp_path) -> None:
    pl = pytest.importorskip("polars")
    from_pl = validate(pl.from_pandas(monthly))
    pd.testing.assert_frame_equal(from_pl.frame, validate(monthly).frame, check_dtype=False)
    monthly.to_parquet(tmp_path / "d.parquet")
    monthly.to_csv(tmp_path / "d.csv", index=False)
    assert validate(tmp_path / "d.parquet").n_series == 3
    assert validate(str(tmp_path / "d.csv")).n_series == 3
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "missing.csv")


def test_from_array_and_wide() -> None:
    one = from_array(np.arange(5.0), unique_id="x", start="2020-01-01", freq="D")
    assert list(one.columns) == ["unique_id", "ds", "y"]
    wide = pd.DataFrame({"V1": ["a", "b"], "V2": [1.0, 4.0], "V3": [2.0, 5.0],
                         "V4": [3.0, np.nan]})
    long = from_wide(wide)
    assert long["y"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert long["ds"].tolist() == [1, 2, 3, 1, 2]
    with pytest.raises(DataError, match="1-D"):
        from_array(np.zeros((2, 2)))


def test_as_long_keeps_covariates(monthly: pd.DataFrame) -> None:
    df = monthly.assign(promo=1.0)
    assert list(as_long(df).columns) == ["unique_id", "ds", "y", "promo"]
    with pytest.raises(DataError, match=r"'promo'"):
        validate(df.assign(promo=df["promo"].where(df.index != 2)))
