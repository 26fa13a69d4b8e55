"""Covariates for the recurrent forecasters: past-only, known-future and static.

What the network sees (see :mod:`gatecast.nn.networks`)::

    x      [batch, look_back, 1 + P + F]  channel 0: the target, normalised per window;
                                          1..P: past-only covariates (known up to the origin);
                                          P+1..P+F: the history of the known-future ones
    future [batch, horizon, F]            the known-future covariates at the forecast steps
    static [batch, S]                     per-series features

Covariates are standardised with one mean and standard deviation per column, fitted on the
training data in ``fit``, not per window: their level carries information (a price of 9.99
against 4.99, a holiday flag of 1 against 0) that per-window scaling would erase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gatecast.data.freq import future_ds
from gatecast.data.validate import SeriesFrame, timestamps_like
from gatecast.errors import ConfigError, DataError


@dataclass(frozen=True)
class CovariateSpec:
    """Column names of each kind of covariate (all empty: a univariate model)."""

    past: tuple[str, ...] = ()
    future: tuple[str, ...] = ()
    static: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for kind in ("past", "future", "static"):  # one name, or a list as JSON gives back
            value = getattr(self, kind)
            object.__setattr__(self, kind, (value,) if isinstance(value, str) else tuple(value))
        names = [*self.past, *self.future, *self.static]
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            raise ConfigError(f"covariate column(s) {clash} are listed under more than one kind;"
                              " each column is past-only, known-future or static")
        reserved = sorted(set(names) & {"unique_id", "ds", "y"})
        if reserved:
            raise ConfigError(f"{reserved} cannot be a covariate: unique_id, ds and y are the"
                              " series itself")

    @property
    def history(self) -> tuple[str, ...]:
        """Columns fed as past input channels: past-only, then known-future."""
        return (*self.past, *self.future)

    def __bool__(self) -> bool:
        return bool(self.past or self.future or self.static)


def _matrix(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> np.ndarray:
    """``frame[columns]`` as float64 ``[rows, len(columns)]`` with one-line errors."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        extra = [c for c in frame.columns if c not in ("unique_id", "ds", "y")]
        raise DataError(f"{what} column(s) {missing} not found; the frame has {extra[:8]}."
                        " Add them or drop them from the model's covariate list")
    out = np.empty((len(frame), len(columns)))
    for k, col in enumerate(columns):
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            row = frame.iloc[int(np.flatnonzero(bad)[0])]
            raise DataError(
                f"series {str(row['unique_id'])!r} has a missing or non-numeric {what} value in"
                f" column {col!r} at {row.get('ds', '?')}; covariates must be numbers (encode"
                " categories as 0/1 columns) and complete (pass fill= or fix the data)")
        out[:, k] = values
    return out


def static_table(sf: SeriesFrame, columns: tuple[str, ...], static: Any = None) -> np.ndarray:
    """Static features ``[n_series, S]`` in ``sf.ids`` order.

    Taken from ``static`` (a frame with ``unique_id`` and the columns) when given, else from
    the series frame itself, where each must be constant within every series.
    """
    if not columns:
        return np.zeros((sf.n_series, 0))
    if static is None:
        values = _matrix(sf.frame, columns, "static")
        first = values[sf.indptr[:-1]]
        varies = np.flatnonzero(np.any(np.repeat(first, sf.lengths, axis=0) != values, axis=1))
        if varies.size:
            uid = sf.frame["unique_id"].iloc[int(varies[0])]
            raise DataError(f"static feature(s) {list(columns)} change over time in series"
                            f" {str(uid)!r}; pass them as past or future covariates instead")
        return first
    static = pd.DataFrame(static)
    if "unique_id" not in static.columns:
        raise DataError("the static frame needs a 'unique_id' column and one row per series")
    if static["unique_id"].duplicated().any():
        uid = static.loc[static["unique_id"].duplicated(), "unique_id"].iloc[0]
        raise DataError(f"the static frame has several rows for series {str(uid)!r}; keep one")
    table = static.set_index("unique_id")
    absent = [u for u in sf.ids if u not in table.index]
    if absent:
        raise DataError(f"the static frame has no row for series {str(absent[0])!r}"
                        f" ({len(absent)} missing in all); add one row per series")
    rows = table.loc[list(sf.ids)].reset_index()
    return _matrix(rows, columns, "static")


@dataclass
class Standardizer:
    """Column-wise ``(v - loc) / scale`` fitted on training data (scale 1 for constants)."""

    loc: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> Standardizer:
        if values.shape[0] == 0:
            return cls(np.zeros(values.shape[1]), np.ones(values.shape[1]))
        loc = values.mean(axis=0)
        scale = values.std(axis=0)
        return cls(loc, np.where(scale > 1e-12, scale, 1.0))

    def __call__(self, values: np.ndarray) -> np.ndarray:
        return (values - self.loc) / self.scale


@dataclass
class FittedCovariates:
    """Everything a fitted model keeps about its covariates."""

    spec: CovariateSpec
    history_scaler: Standardizer  # over spec.history columns
    static_scaler: Standardizer
    static: np.ndarray  # [n_series, S] scaled
    tails: np.ndarray  # [n_series, look_back, P+F] scaled history at the end of each series

    @property
    def n_past(self) -> int:
        return len(self.spec.past)


def history_matrix(sf: SeriesFrame, spec: CovariateSpec) -> np.ndarray:
    """Raw history covariates aligned with ``sf`` rows: ``[n_values, P+F]``."""
    return _matrix(sf.frame, spec.history, "covariate") if spec.history else np.zeros(
        (len(sf.frame), 0))


def keep_positions(indptr: np.ndarray, head: int, tail: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions that remain when every series loses ``head`` first and ``tail`` last
    values, and the new ``indptr``."""
    lengths = np.diff(indptr) - head - tail
    starts = indptr[:-1] + head
    pos = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    pos = pos + np.arange(int(lengths.sum()))
    return pos, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def tail_rows(values: np.ndarray, indptr: np.ndarray, look_back: int) -> np.ndarray:
    """The last ``look_back`` rows of each series, edge-padded: ``[n, look_back, C]``."""
    pos = indptr[1:, None] - look_back + np.arange(look_back)[None, :]
    pos = np.maximum(pos, indptr[:-1, None])
    return values[pos]


def future_block(future: Any, ids: np.ndarray, last_ds: np.ndarray, freq: Any,
                 columns: tuple[str, ...], steps: int) -> np.ndarray:
    """Known-future covariates for the ``steps`` after each series' end: ``[n, steps, F]``."""
    if future is None:
        raise DataError(
            f"this model uses known-future covariates {list(columns)}: pass future= a frame"
            f" with unique_id, ds and those columns for the {steps} steps after each series'"
            " end")
    frame = pd.DataFrame(future)
    for col in ("unique_id", "ds"):
        if col not in frame.columns:
            raise DataError(f"the future frame needs a {col!r} column")
    want = future_ds(last_ds, steps, freq)  # [n, steps]
    grid = pd.DataFrame({"unique_id": np.repeat(ids, steps), "ds": want.reshape(-1)})
    if not isinstance(freq, int):
        frame = frame.assign(ds=timestamps_like(frame["ds"], pd.DatetimeIndex(last_ds).tz))
    frame = frame.drop_duplicates(["unique_id", "ds"], keep="last")
    merged = grid.merge(frame, on=["unique_id", "ds"], how="left", validate="one_to_one")
    missing = [c for c in columns if c not in merged.columns]
    if missing:
        raise DataError(f"the future frame lacks column(s) {missing}")
    values = merged[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        n_bad = int(bad.reshape(len(ids), steps)[k // steps].sum())
        raise DataError(
            f"future covariates of series {str(grid['unique_id'].iloc[k])!r} are missing at"
            f" {n_bad} of the {steps} steps after its end (first: {grid['ds'].iloc[k]}); give"
            f" numeric values of {list(columns)} for every step")
    return values.reshape(len(ids), steps, len(columns))


def fit_covariates(sf: SeriesFrame, spec: CovariateSpec, head: int, indptr: np.ndarray,
                   val: int, look_back: int, static: Any = None
                   ) -> tuple[FittedCovariates, np.ndarray]:
    """Scalers fitted on the training rows, and the scaled history covariates aligned with
    the transformed series (``head`` values dropped at the start of each series, ``indptr``
    their layout, the last ``val`` held out for validation): ``[n_values, P+F]``."""
    rows, _ = keep_positions(sf.indptr, head, 0)  # rows left after the transform
    raw = history_matrix(sf, spec)[rows]
    train_rows, _ = keep_positions(indptr, 0, val)
    scaler = Standardizer.fit(raw[train_rows])
    hist = scaler(raw)
    static_raw = static_table(sf, spec.static, static)
    static_scaler = Standardizer.fit(static_raw)
    covs = FittedCovariates(spec, scaler, static_scaler, static_scaler(static_raw),
                            tail_rows(hist, indptr, look_back))
    return covs, hist
