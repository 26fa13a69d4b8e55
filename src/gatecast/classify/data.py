"""Sequences for classification: checked arrays, long frames -> arrays, a stratified split.

The classifier works on ``X [samples, time, features]`` with one label per sample. A long
frame (``unique_id``, ``ds``, ``y`` plus optional feature columns) becomes that array with
one sample per ``unique_id``; every sequence must have the same number of steps (there is
no padding or masking: truncate or resample the sequences first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gatecast.data.frame import as_long
from gatecast.errors import DataError, series_list

__all__ = [
    "FrameSequences",
    "check_labels",
    "check_sequences",
    "sequences_from_frame",
    "stratified_split",
]


@dataclass
class FrameSequences:
    """A long frame as arrays: one sample per ``unique_id``."""

    x: np.ndarray  # [ids, time, features] float32
    y: np.ndarray | None  # [ids] labels, None when no labels were given
    ids: np.ndarray  # [ids] unique_id values, in order of first appearance
    features: list[str]  # the value columns, in the order of the last axis of x


def check_sequences(X: Any, name: str = "X") -> np.ndarray:
    """``X`` as ``float32 [samples, time, features]``; a 2-D ``[samples, time]`` array is one
    feature per step. DataError on another rank, an empty axis, or NaN / infinite values."""
    try:
        arr = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric [samples, time, features]: {exc}") from exc
    if arr.ndim == 2:
        arr = arr[:, :, None]  # [samples, time, 1]
    if arr.ndim != 3:
        raise DataError(f"{name} must be [samples, time, features] (or [samples, time]), got "
                        f"shape {list(arr.shape)}")
    if 0 in arr.shape:
        raise DataError(f"{name} has an empty axis: shape {list(arr.shape)}")
    bad = ~np.isfinite(arr)
    if bad.any():
        sample = int(np.argwhere(bad)[0][0])
        raise DataError(f"{name} has {int(bad.sum())} NaN or infinite value(s), first in sample "
                        f"{sample}; drop or fill them before fitting")
    return arr


def check_labels(y: Any, n_samples: int) -> np.ndarray:
    """``y`` as a 1-D array of ``n_samples`` labels (ints or strings), without missing ones."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"y must be one label per sample [samples], got shape {list(arr.shape)}")
    if arr.shape[0] != n_samples:
        raise DataError(f"{n_samples} samples in X but {arr.shape[0]} labels in y; "
                        "give exactly one label per sample")
    if pd.isna(arr).any():
        raise DataError(f"y has {int(pd.isna(arr).sum())} missing label(s); drop those samples")
    if arr.dtype.kind == "f":
        if not np.all(arr == np.round(arr)):
            raise DataError("y holds non-integer numbers; class labels must be integers or "
                            "strings (this is classification, not regression)")
        arr = arr.astype(np.int64)
    return arr


def stratified_split(y_codes: np.ndarray, fraction: float, seed: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(train positions, validation positions): ``round(fraction * count)`` of every class
    (at least one when the class has two or more samples) drawn with a seeded permutation."""
    rng = np.random.default_rng([seed, 1])  # its own stream: not the trainer's batch order
    val: list[np.ndarray] = []
    for c in np.unique(y_codes):
        members = rng.permutation(np.flatnonzero(y_codes == c))
        wanted = round(fraction * members.size)
        take = min(max(wanted, 1), members.size - 1) if members.size >= 2 else 0
        val.append(members[:take])
    val_idx = np.sort(np.concatenate(val))
    train_idx = np.setdiff1d(np.arange(y_codes.size), val_idx)
    return train_idx, val_idx


def _label_series(labels: Any, label_col: str | None) -> pd.Series:
    """Labels as a Series indexed by unique_id, from a Series, dict or (unique_id, label)
    frame."""
    if isinstance(labels, pd.Series):
        return labels
    if isinstance(labels, Mapping):
        return pd.Series(dict(labels))
    if isinstance(labels, pd.DataFrame):
        if "unique_id" not in labels.columns:
            raise DataError(f"the label table needs a unique_id column, found "
                            f"{list(labels.columns)[:8]}")
        others = [c for c in labels.columns if c != "unique_id"]
        col = label_col or (others[0] if len(others) == 1 else None)
        if col is None or col not in labels.columns:
            raise DataError(f"name the label column (label_col / --label-col) among {others}")
        if labels["unique_id"].duplicated().any():
            dup = labels.loc[labels["unique_id"].duplicated(), "unique_id"].tolist()
            raise DataError(f"the label table lists {series_list(dup)} more than once; "
                            "give one label per unique_id")
        return labels.set_index("unique_id")[col]
    raise DataError(f"labels must be a pandas Series or DataFrame or a dict keyed by unique_id, "
                    f"got {type(labels).__name__}")


def sequences_from_frame(
    data: Any,
    labels: Any = None,
    features: Sequence[str] | None = None,
    label_col: str | None = None,
) -> FrameSequences:
    """A long frame -> :class:`FrameSequences` (``x [ids, time, features]``, labels, ids).

    ``features`` are the value columns, in order (default ``y`` then every other numeric
    column but ``unique_id`` and ``ds``). Rows are ordered by ``ds`` within each id; ids
    keep their order of first appearance. ``labels`` maps each unique_id to its class (a
    Series, a dict, or a frame with ``unique_id`` and a label column); every id needs one,
    and labels for ids not in the frame are an error (a likely mix-up of files).
    """
    df = as_long(data)
    if features is None:
        extra = [c for c in df.columns if c not in ("unique_id", "ds", "y")
                 and pd.api.types.is_numeric_dtype(df[c])]
        features = ["y", *extra]
    missing = [c for c in features if c not in df.columns]
    if missing:
        raise DataError(f"feature column(s) {missing} not in the frame; found "
                        f"{list(df.columns)[:8]}")
    if df.empty:
        raise DataError("the frame has no rows")
    if df.duplicated(["unique_id", "ds"]).any():
        dup = df.loc[df.duplicated(["unique_id", "ds"]), "unique_id"].unique().tolist()
        raise DataError(f"series {series_list(dup)} have duplicate timestamps; give one row per "
                        "(unique_id, ds)")
    ids = pd.unique(df["unique_id"])
    df = df.assign(_order=pd.Categorical(df["unique_id"], categories=ids, ordered=True))
    df = df.sort_values(["_order", "ds"], kind="stable")
    lengths = df.groupby("_order", observed=True).size()
    if lengths.nunique() != 1:
        common = int(lengths.mode().iloc[0])
        odd = lengths.index[lengths != common].tolist()
        raise DataError(f"sequences must all have the same length: most have {common} steps but "
                        f"{series_list(odd)} differ; truncate or resample them to {common}")
    values = df[list(features)].apply(pd.to_numeric, errors="coerce").to_numpy(np.float32)
    if not np.isfinite(values).all():
        rows = ~np.isfinite(values).all(axis=1)
        bad = df.loc[rows, "unique_id"].unique().tolist()
        raise DataError(f"series {series_list(bad)} have missing, non-numeric or infinite "
                        "values; fill or drop them")
    X = values.reshape(len(ids), int(lengths.iloc[0]), len(features))  # [ids, time, features]
    id_array = np.asarray(ids, dtype=object)
    if labels is None:
        return FrameSequences(X, None, id_array, list(features))
    lab = _label_series(labels, label_col)
    known = set(ids)
    unknown = [i for i in lab.index if i not in known]
    if unknown:
        raise DataError(f"labels given for {len(unknown)} id(s) not in the frame "
                        f"({series_list(unknown)}); check that labels and data match")
    no_label = [i for i in ids if i not in lab.index or pd.isna(lab.get(i))]
    if no_label:
        raise DataError(f"no label for series {series_list(no_label)}; give every unique_id "
                        "one label")
    y = check_labels(lab.loc[list(ids)].to_numpy(), len(ids))
    return FrameSequences(X, y, id_array, list(features))
