"""Reading the columns of a long frame: timestamps and numbers, one kind of value each.

``ds`` becomes ``datetime64[ns]`` (keeping one time zone; text with several UTC offsets is
read as UTC instants) or integer steps; ``y`` and numeric covariates become ``float64``.
A column that mixes kinds of values (numbers and timestamps, zoned and naive timestamps,
ints and tuples) is one :class:`~gatecast.errors.DataError` naming the series and the fix.
:func:`gatecast.data.validate.validate` runs these before it checks the frame as a whole.
"""

from __future__ import annotations

import datetime
import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries import offsets

from gatecast.data.freq import clock
from gatecast.errors import DataError, shorten


def _zone_of(value: Any) -> str | None:
    tz = getattr(value, "tzinfo", None)
    return None if tz is None else str(getattr(value, "tz", None) or tz)


def _zone_error(df: pd.DataFrame, ds: pd.Series) -> DataError:
    """The one-line error for ``ds`` values that mix zones, or zoned and naive values."""
    zones = ds.map(_zone_of)
    first = {}
    for zone, idx in zones.groupby(zones.fillna("naive"), sort=False).groups.items():
        first[zone] = idx[0]
    def where(key: str) -> str:
        k = first[key]
        return f"{str(ds.loc[k])[:40]!r} in series {str(df.loc[k, 'unique_id'])[:40]!r}"
    if "naive" in first and len(first) > 1:
        aware = next(z for z in first if z != "naive")
        return DataError(
            f"column 'ds' mixes timestamps with a time zone ({where(aware)}) and without one"
            f" ({where('naive')}); give every timestamp the same zone or none, e.g."
            " pd.to_datetime(df['ds'], utc=True)")
    names = list(first)[:3]
    return DataError(
        f"column 'ds' mixes time zones ({', '.join(f'{z} in {where(z)}' for z in names)});"
        " convert every series to one zone first, e.g. pd.to_datetime(df['ds'], utc=True)")


def _parse_ds(df: pd.DataFrame, ds: pd.Series) -> pd.Series:
    """Strings or timestamp objects as datetimes, keeping one time zone.

    Strings with one UTC offset keep it (``+05:30`` stays ``+05:30``); strings with several
    offsets (a zone with daylight saving time written as text) are read as UTC instants.
    Zoned and naive values mixed, or timestamp objects in different zones, are an error.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas' mixed-offset notice
        try:
            parsed = pd.to_datetime(ds, format="mixed")
        except (ValueError, TypeError) as exc:
            text = str(exc).lower()
            if "tz-aware" in text or "tz-naive" in text or "time zone" in text:
                raise _zone_error(df, ds) from exc
            raise
    if pd.api.types.is_datetime64_any_dtype(parsed):
        return parsed
    zones = parsed.map(_zone_of)
    strings = ds.map(lambda v: isinstance(v, str)).all()
    if zones.isna().any() or not strings:
        raise _zone_error(df, parsed)
    return pd.to_datetime(ds, format="mixed", utc=True)


def _kind(value: Any) -> str:
    """What a value of an object column is, for refusing columns that mix kinds."""
    if isinstance(value, numbers.Number):
        return "number"
    if isinstance(value, (pd.Timestamp, datetime.date, np.datetime64)):
        return "timestamp"
    return "text" if isinstance(value, str) else type(value).__name__


#: What ``pandas.api.types.infer_dtype`` calls a column of one kind of value.
_ONE_KIND = ("string", "integer", "floating", "mixed-integer-float", "decimal", "datetime",
             "datetime64", "date", "boolean", "empty", "categorical")
_NUMERIC = ("integer", "floating", "mixed-integer-float", "decimal")


def mixed_kinds(column: pd.Series, name: str, fix: str) -> str:
    """The kind of an object column (``infer_dtype``); DataError when it mixes kinds of
    values (ints and tuples, numbers and timestamps, ...)."""
    inferred = pd.api.types.infer_dtype(column, skipna=True)
    if inferred in _ONE_KIND:
        return inferred
    try:
        values = pd.unique(column.to_numpy())
    except TypeError as exc:  # unhashable values such as lists
        raise DataError(f"column {name!r} holds unhashable values; {fix}") from exc
    kinds: dict[str, Any] = {}
    for v in values:
        kinds.setdefault(_kind(v), v)
    if len(kinds) > 1:
        shown = " and ".join(f"{k} {shorten(v, 40)}" for k, v in list(kinds.items())[:2])
        raise DataError(f"column {name!r} mixes kinds of values ({shown}); {fix}")
    return inferred


def coerce_ds(df: pd.DataFrame) -> pd.DataFrame:
    ds = df["ds"]
    if pd.api.types.is_datetime64_any_dtype(ds):
        if getattr(ds.dt, "unit", "ns") == "ns":
            return df
        return df.assign(ds=clock(ds, offsets.Hour()))  # nanoseconds, zone kept
    fix = "use timestamps or integer steps, not both"
    if ds.dtype == object and mixed_kinds(ds, "ds", fix) in _NUMERIC:
        return coerce_ds(df.assign(ds=pd.to_numeric(ds)))
    if pd.api.types.is_integer_dtype(ds):
        return df
    if pd.api.types.is_float_dtype(ds):
        values = ds.to_numpy()
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return df.assign(ds=values.astype(np.int64))
        raise DataError(
            "column 'ds' holds non-integer numbers; use timestamps or integer steps"
        )
    try:
        parsed = _parse_ds(df, ds)
    except (ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, DataError):
            raise
        bad = ds[pd.to_datetime(ds, errors="coerce", format="mixed", utc=True).isna()]
        example = bad.iloc[0] if len(bad) else ds.iloc[0]
        uid = df.loc[bad.index[0], "unique_id"] if len(bad) else df["unique_id"].iloc[0]
        raise DataError(
            f"series {str(uid)!r}: cannot read timestamp {shorten(example)} in column 'ds';"
            " use ISO dates (2024-01-31) or integer steps"
        ) from exc
    return df.assign(ds=clock(parsed, offsets.Hour()))


def coerce_numeric(df: pd.DataFrame, column: str = "y") -> pd.DataFrame:
    col = df[column]
    if pd.api.types.is_complex_dtype(col):
        imag = np.imag(col.to_numpy())
        if np.any(imag != 0):
            raise DataError(
                f"column {column!r} holds complex numbers (series"
                f" {str(df['unique_id'].iloc[int(np.argmax(imag != 0))])!r}); gatecast forecasts"
                " real values: split them into real and imaginary series (or take abs())"
            )
        col = pd.Series(np.real(col.to_numpy()), index=col.index)
        df = df.assign(**{column: col})
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        numeric = pd.to_numeric(col, errors="coerce")
        bad = numeric.isna() & col.notna()
        if pd.api.types.is_bool_dtype(col) or bad.any():
            idx = bad.idxmax() if bad.any() else col.index[0]
            raise DataError(
                f"series {str(df.loc[idx, 'unique_id'])!r}: non-numeric value"
                f" {shorten(col.loc[idx])} in column {column!r}; clean the column or drop those"
                " rows"
            )
        df = df.assign(**{column: numeric})
    return df.assign(**{column: df[column].astype(np.float64)})
