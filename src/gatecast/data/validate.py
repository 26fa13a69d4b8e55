"""The data contract: one validated, sorted long frame with a known frequency.

Every problem in the input becomes one :class:`~gatecast.errors.DataError` that names the
series and says how to fix it. Unsorted rows are sorted, not rejected. Gaps are an error
unless the caller asks for them to be filled. Reading each column (timestamps with their
zones, numbers) is :mod:`gatecast.data.columns`; this module checks the frame as a whole:
ids, order, duplicates, the frequency grid, gaps and lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from gatecast.checks import MAX_ABS_VALUE, MAX_FILL_FACTOR, check_memory
from gatecast.data.columns import coerce_ds, coerce_numeric, mixed_kinds
from gatecast.data.frame import LONG_COLUMNS, as_long
from gatecast.data.freq import Freq, freq_name, parse_freq, step_index
from gatecast.data.freq_infer import infer_freq
from gatecast.data.grouped import GroupedArray
from gatecast.errors import DataError, series_list, shorten

Fill = Literal["interpolate", "ffill", "zero"]
FILL_METHODS: tuple[str, ...] = ("interpolate", "ffill", "zero")


@dataclass(frozen=True)
class SeriesFrame:
    """A validated long frame: sorted by (unique_id, ds), regular, no missing values."""

    frame: pd.DataFrame
    freq: Freq
    ids: np.ndarray  # [n_series] unique ids in frame order
    indptr: np.ndarray  # [n_series + 1] row offsets of each series

    @property
    def n_series(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def covariates(self) -> list[str]:
        return [c for c in self.frame.columns if c not in LONG_COLUMNS]

    def grouped(self, column: str = "y") -> GroupedArray:
        return GroupedArray(self.frame[column].to_numpy(np.float64), self.indptr)

    def last_ds(self) -> np.ndarray:
        return self.frame["ds"].to_numpy()[self.indptr[1:] - 1]

    def first_ds(self) -> np.ndarray:
        return self.frame["ds"].to_numpy()[self.indptr[:-1]]

    def position(self, ids: Any) -> np.ndarray:
        """Positions of ``ids`` among this frame's series; DataError for missing ids."""
        asked = np.atleast_1d(np.asarray(ids, dtype=object))
        pos = pd.Index(self.ids).get_indexer(pd.Index(asked))
        if np.any(pos < 0):
            raise DataError(
                f"series {series_list(list(asked[pos < 0]))} missing from the data; give"
                " the history of every fitted series"
            )
        return pos


def timestamps_like(ds: Any, tz: Any, what: str = "the future frame") -> pd.Series:
    """Timestamps of another frame (known-future covariates) read as :func:`validate` reads
    ``ds``, in the zone ``tz`` of the data; a zone on one side only is a DataError."""
    df = pd.DataFrame({"unique_id": what, "ds": pd.Series(ds).reset_index(drop=True)})
    parsed = coerce_ds(df)["ds"]
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        parsed = pd.to_datetime(parsed)
    have = parsed.dt.tz
    if (have is None) != (tz is None):
        raise DataError(
            f"{what}'s 'ds' is {'in ' + str(have) if have is not None else 'without a zone'}"
            f" but the data's is {'in ' + str(tz) if tz is not None else 'without a zone'};"
            " give both the same zone or none")
    return parsed if tz is None else parsed.dt.tz_convert(tz)


def _indptr(uid: np.ndarray) -> np.ndarray:
    if uid.size == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(uid[1:] != uid[:-1]) + 1
    return np.concatenate([[0], change, [uid.size]]).astype(np.int64)


def _fill_gaps(df: pd.DataFrame, freq: Freq, gap_ids: list[Any]) -> pd.DataFrame:
    """Reindex the series in ``gap_ids`` onto their full regular grid (new rows have NaN)."""
    parts = [df[~df["unique_id"].isin(gap_ids)]]
    for uid, group in df[df["unique_id"].isin(gap_ids)].groupby("unique_id", sort=False,
                                                                  observed=True):
        first, last = group["ds"].iloc[0], group["ds"].iloc[-1]
        if isinstance(freq, int):
            grid = np.arange(first, last + freq, freq)
        else:
            grid = pd.date_range(first, last, freq=freq)
        full = group.set_index("ds").reindex(grid)
        full.index.name = "ds"
        full["unique_id"] = pd.Series([uid] * len(full), index=full.index, dtype=object)
        parts.append(full.reset_index()[group.columns])
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["unique_id", "ds"], kind="stable", ignore_index=True)


def _check_fill_size(df: pd.DataFrame, missing: np.ndarray, where: np.ndarray,
                     freq: Freq) -> None:
    """Bound the rows filling would add (``missing`` per gap, in the series ``where``)
    before any is allocated: a wrong frequency turns 8 yearly points into 10^8 seconds."""
    added = float(np.sum(missing))
    if added > MAX_FILL_FACTOR * len(df):
        worst = int(np.argmax(missing))
        raise DataError(
            f"filling the gaps at frequency {freq_name(freq)} would add {added:,.0f} rows to"
            f" the {len(df):,} given (series {str(where[worst])!r} alone misses"
            f" {missing[worst]:,.0f}), more than gatecast's limit of {MAX_FILL_FACTOR} per row;"
            " the frequency is probably wrong: pass the data's real freq= or resample it"
        )
    check_memory(8.0 * 4 * (len(df) + added) * len(df.columns),
                 f"filling the gaps ({added:,.0f} new rows)", error=DataError,
                 hint="pass the data's real freq= or resample it")


def _fill_values(df: pd.DataFrame, column: str, fill: str) -> pd.DataFrame:
    col = df[column]
    if fill == "zero":
        return df.assign(**{column: col.fillna(0.0)})
    grouped = col.groupby(df["unique_id"], sort=False, observed=True)
    if fill == "ffill":
        filled = grouped.ffill().fillna(grouped.bfill())
    else:
        filled = grouped.transform(
            lambda s: s.interpolate(method="linear", limit_direction="both")
        )
    return df.assign(**{column: filled})


def _report_missing(df: pd.DataFrame, column: str) -> None:
    missing = df[column].isna()
    if not missing.any():
        return
    counts = df.loc[missing, "unique_id"].value_counts(sort=False)
    counts = counts[counts > 0]  # a categorical id lists its unused categories with 0
    uid = counts.index[0]
    first = df.loc[missing & (df["unique_id"] == uid), "ds"].iloc[0]
    more = f" (and {len(counts) - 1} more series)" if len(counts) > 1 else ""
    raise DataError(
        f"series {str(uid)!r} has {counts.iloc[0]} missing value(s) in {column!r}, first at"
        f" {first}{more}; pass fill='interpolate' (CLI: --fill interpolate) or fix the data"
    )


def validate(
    data: Any,
    *,
    freq: str | int | pd.DateOffset | None = None,
    fill: Fill | None = None,
    min_length: int | None = None,
    needed_for: str = "the look-back + horizon",
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> SeriesFrame:
    """Check and normalise a long frame; see the module docstring for the contract.

    Args:
        data: pandas/polars frame or CSV/Parquet path with ``unique_id``, ``ds``, ``y``.
        freq: the frequency; inferred when ``None`` (hourly, daily, monthly, integer steps...).
        fill: how to fill missing values and gaps: ``"interpolate"``, ``"ffill"``,
            ``"zero"``; ``None`` makes both an error.
        min_length: every series must have at least this many points (for example
            ``look_back + horizon``).
        needed_for: what needs ``min_length`` points, for the error message.
    """
    if isinstance(data, SeriesFrame):
        data = data.frame
    if fill is not None and fill not in FILL_METHODS:
        raise DataError(f"unknown fill {shorten(fill)}; use one of {', '.join(FILL_METHODS)}")
    df = as_long(data, id_col=id_col, time_col=time_col, target_col=target_col)
    if len(df) == 0:
        raise DataError("the frame has no rows")
    if df["unique_id"].isna().any():
        raise DataError("column 'unique_id' has missing ids; give every row a series id")
    if df["ds"].isna().any():
        uid = df.loc[df["ds"].isna(), "unique_id"].iloc[0]
        raise DataError(f"series {str(uid)!r} has missing timestamps in 'ds'; drop those rows")
    df = coerce_numeric(coerce_ds(df))
    if df["ds"].isna().any():  # text such as "NaT" parses to a missing timestamp
        uid = df.loc[df["ds"].isna(), "unique_id"].iloc[0]
        raise DataError(f"series {str(uid)!r} has missing timestamps in 'ds'; drop those rows")
    for column in df.columns[len(LONG_COLUMNS):]:
        if pd.api.types.is_numeric_dtype(df[column]) and not pd.api.types.is_bool_dtype(
            df[column]
        ):
            df = coerce_numeric(df, column)  # float64; complex refused
    if np.isinf(df["y"].to_numpy()).any():
        uid = df.loc[np.isinf(df["y"].to_numpy()), "unique_id"].iloc[0]
        raise DataError(f"series {str(uid)!r} has infinite values in 'y'; fix or drop them")
    for column in [c for c in df.columns[2:] if pd.api.types.is_float_dtype(df[c])]:
        huge = np.abs(df[column].to_numpy()) > MAX_ABS_VALUE
        if huge.any():
            raise DataError(
                f"series {str(df.loc[huge, 'unique_id'].iloc[0])!r} has values beyond"
                f" ±{MAX_ABS_VALUE:.0e} in {column!r} (gatecast's limit: their squares must stay"
                " finite); rescale the column, e.g. divide it by a power of ten"
            )

    if df["unique_id"].dtype == object:
        mixed_kinds(df["unique_id"], "unique_id", "give every series an id of one type, e.g."
                     " df['unique_id'].astype(str)")
    try:
        df = df.sort_values(["unique_id", "ds"], kind="stable", ignore_index=True)
    except TypeError as exc:  # values that do not compare, e.g. tuples of mixed types
        raise DataError(f"cannot sort the rows by unique_id and ds ({exc}); give ids of one"
                        " type and timestamps of one kind") from exc
    dup = df.duplicated(["unique_id", "ds"], keep=False)
    if dup.any():
        row = df[dup].iloc[0]
        n_dup = int(dup.sum())
        raise DataError(
            f"series {str(row['unique_id'])!r} has duplicate timestamp {row['ds']}"
            f" ({n_dup} duplicated rows in all); aggregate them first, e.g."
            " df.groupby(['unique_id', 'ds'], as_index=False)['y'].mean()"
        )

    freq_ = parse_freq(freq) if freq is not None else infer_freq(df)
    is_int_ds = not pd.api.types.is_datetime64_any_dtype(df["ds"])
    if is_int_ds != isinstance(freq_, int):
        raise DataError(
            f"frequency {freq_name(freq_)} does not match 'ds' of type {df['ds'].dtype};"
            " use an integer step for integer ds and an offset alias for timestamps"
        )
    uid = df["unique_id"].to_numpy()
    same = uid[1:] == uid[:-1]
    try:
        index = step_index(df["ds"], freq_)
    except (OverflowError, pd.errors.OutOfBoundsDatetime) as exc:
        raise DataError(
            f"timestamps from {df['ds'].min()} to {df['ds'].max()} come too close to the ends"
            f" of pandas' calendar ({pd.Timestamp.min:%Y-%m-%d} to {pd.Timestamp.max:%Y-%m-%d})"
            f" to place on a {freq_name(freq_)} grid; check the dates"
        ) from exc
    if not np.all(np.isfinite(index)):
        k = int(np.flatnonzero(~np.isfinite(index))[0])
        raise DataError(
            f"series {str(uid[k])!r}: timestamp {df['ds'].iloc[k]} is not on a regular"
            f" {freq_name(freq_)} grid (not one of its dates); pass the right freq= (or none"
            " to infer it) or move the timestamps onto the calendar"
        )
    steps = np.diff(index)
    # A step below 1: two timestamps in one period of the grid (2000-03-02, 2000-03-09 at MS).
    off_grid = same & ((np.abs(steps - np.round(steps)) > 1e-9) | (steps < 1 - 1e-9))
    if off_grid.any():
        k = int(np.flatnonzero(off_grid)[0])
        raise DataError(
            f"series {str(uid[k])!r}: timestamps {df['ds'].iloc[k]} and {df['ds'].iloc[k + 1]}"
            f" are not on a regular {freq_name(freq_)} grid; resample the data or pass freq="
        )
    gaps = same & (np.round(steps) > 1)
    if gaps.any():
        gap_ids = list(pd.unique(uid[1:][gaps]))
        if fill is None:
            k = int(np.flatnonzero(gaps)[0])
            n_missing = int(np.round(steps[k])) - 1
            more = f" (gaps in {len(gap_ids)} series in all)" if len(gap_ids) > 1 else ""
            if isinstance(freq_, pd.offsets.BusinessDay):
                more += (" (business days with holidays: pass"
                         " freq=pd.offsets.CustomBusinessDay(holidays=[...]))")
            raise DataError(
                f"series {str(uid[k])!r} has {n_missing} missing timestamp(s) between"
                f" {df['ds'].iloc[k]} and {df['ds'].iloc[k + 1]} at frequency"
                f" {freq_name(freq_)}{more}; pass fill='interpolate' (CLI: --fill"
                " interpolate) or fix the data"
            )
        _check_fill_size(df, np.round(steps[gaps]) - 1, uid[1:][gaps], freq_)
        df = _fill_gaps(df, freq_, gap_ids)
    if fill is not None:
        for column in ["y", *[c for c in df.columns[len(LONG_COLUMNS):]
                              if pd.api.types.is_float_dtype(df[c])]]:
            if df[column].isna().any():
                df = _fill_values(df, column, fill)
    for column in ["y", *[c for c in df.columns[len(LONG_COLUMNS):]
                          if pd.api.types.is_numeric_dtype(df[c])]]:
        _report_missing(df, column)

    indptr = _indptr(df["unique_id"].to_numpy())
    ids = df["unique_id"].to_numpy()[indptr[:-1]]
    lengths = np.diff(indptr)
    if min_length is not None and np.any(lengths < min_length):
        short = ids[lengths < min_length]
        k = int(np.flatnonzero(lengths < min_length)[0])
        raise DataError(
            f"series {series_list(list(short))} too short: {lengths[k]} points where"
            f" {min_length} are needed for {needed_for}; drop the short series or ask for"
            " less (shorter look-back or horizon, fewer windows, a simpler model)"
        )
    return SeriesFrame(frame=df, freq=freq_, ids=ids, indptr=indptr)
