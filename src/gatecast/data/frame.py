"""Getting data into the long format: ``unique_id``, ``ds``, ``y`` (+ covariates).

Accepts pandas or polars frames, CSV or Parquet paths, a single array / Series, or the M4
competition's wide format. Nothing here validates beyond shape; see :mod:`.validate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gatecast.errors import DataError, clip, shorten

LONG_COLUMNS = ("unique_id", "ds", "y")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file (or a directory of Parquet files) into pandas."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if path.is_dir() or suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path)
        if suffix in {".csv", ".txt", ".gz", ".tsv"}:
            sep = "\t" if suffix == ".tsv" else ","
            return pd.read_csv(path, sep=sep)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read {path}: {clip(first, 200)}") from exc
    raise DataError(f"unsupported file type {shorten(suffix)} for {path}; use .csv or .parquet")


def to_pandas(data: Any) -> pd.DataFrame:
    """Accept pandas, polars (eager or lazy), a path, or anything with ``to_pandas``."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, Path)):
        return read_table(data)
    module = type(data).__module__
    if module.startswith("polars"):
        if hasattr(data, "collect"):
            data = data.collect()
        return data.to_pandas()
    if hasattr(data, "to_pandas"):
        return data.to_pandas()
    raise DataError(
        f"expected a pandas or polars DataFrame or a file path, got {type(data).__name__};"
        " use gatecast.data.from_array for a single array"
    )


def as_long(
    data: Any,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> pd.DataFrame:
    """Return a long frame with the canonical column names (no validation yet).

    A frame without an id column but with time and target columns is treated as one series
    called ``"series"``.
    """
    df = to_pandas(data)
    rename = {id_col: "unique_id", time_col: "ds", target_col: "y"}
    missing = [c for c in (time_col, target_col) if c not in df.columns]
    if missing:
        raise DataError(
            f"missing column(s) {missing}; found"
            f" [{', '.join(shorten(str(c), 40) for c in list(df.columns)[:8])}]. Name them with"
            " id_col=/time_col=/target_col= (CLI: --id-col/--time-col/--target-col)"
        )
    df = df.rename(columns={k: v for k, v in rename.items() if k in df.columns and k != v})
    if "unique_id" not in df.columns:
        df = df.assign(unique_id="series")
    others = [c for c in df.columns if c not in LONG_COLUMNS]
    return df[[*LONG_COLUMNS, *others]]


def from_array(
    y: Sequence[float] | np.ndarray | pd.Series,
    *,
    unique_id: str = "series",
    ds: Sequence[Any] | pd.Index | None = None,
    start: Any = None,
    freq: str | int | None = None,
) -> pd.DataFrame:
    """Wrap one series into a long frame.

    ``ds`` defaults to the Series' DatetimeIndex, else to ``pd.date_range(start, freq=freq)``
    when ``start`` is given, else to integer steps 0, 1, 2, ...
    """
    if isinstance(y, pd.Series) and ds is None and isinstance(y.index, pd.DatetimeIndex):
        ds = y.index
    values = np.asarray(y)
    if values.ndim != 1:
        raise DataError(
            f"from_array expects one series (1-D), got shape {values.shape};"
            " use from_wide for one series per row"
        )
    if ds is None:
        if start is not None:
            ds = pd.date_range(start, periods=len(values), freq=freq or "D")
        else:
            step = int(freq) if isinstance(freq, int) else 1
            ds = np.arange(len(values)) * step
    if len(ds) != len(values):
        raise DataError(f"ds has {len(ds)} values but y has {len(values)}")
    return pd.DataFrame({"unique_id": unique_id, "ds": np.asarray(ds), "y": values})


def from_wide(
    wide: pd.DataFrame, *, id_col: str | None = None, start: int = 1
) -> pd.DataFrame:
    """Turn one-series-per-row data (the M4 format: id, then values, trailing blanks) long.

    ``ds`` is the integer position ``start, start + 1, ...`` within each series.
    """
    wide = to_pandas(wide)
    id_col = id_col or wide.columns[0]
    ids = wide[id_col].astype(str).to_numpy()
    values = wide.drop(columns=[id_col]).apply(pd.to_numeric, errors="coerce").to_numpy(float)
    present = ~np.isnan(values)
    lengths = present.sum(axis=1)
    # Values must be a contiguous prefix of each row (trailing blanks only).
    if np.any(present[:, : values.shape[1]].cumsum(axis=1)[np.arange(len(ids)), lengths - 1]
              != lengths):
        raise DataError("wide rows must hold their values first and blanks only at the end")
    ds = np.concatenate([np.arange(start, start + n) for n in lengths]) if len(ids) else []
    return pd.DataFrame(
        {"unique_id": np.repeat(ids, lengths), "ds": np.asarray(ds, dtype=np.int64),
         "y": values[present]}
    )


def read_m4(train: str | Path, test: str | Path | None = None) -> tuple[pd.DataFrame, ...]:
    """Read M4 wide CSVs into long frames; the test frame's ``ds`` continues the train's."""
    train_long = from_wide(pd.read_csv(train))
    if test is None:
        return (train_long,)
    last = train_long.groupby("unique_id", sort=False)["ds"].max()
    test_wide = pd.read_csv(test)
    test_long = from_wide(test_wide, start=0)
    test_long["ds"] = test_long["ds"] + test_long["unique_id"].map(last).to_numpy() + 1
    return train_long, test_long
