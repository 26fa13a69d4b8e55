"""Cutting a :class:`~gatecast.data.validate.SeriesFrame` without revalidating it: rows by
position within each series (training and test parts of a fold), or a run of whole series
(a partition)."""

from __future__ import annotations

import numpy as np

from gatecast.data.validate import SeriesFrame


def _positions(sf: SeriesFrame) -> np.ndarray:
    return np.arange(len(sf.frame)) - np.repeat(sf.indptr[:-1], sf.lengths)


def slice_frame(sf: SeriesFrame, start: np.ndarray, stop: np.ndarray) -> SeriesFrame:
    """Rows ``start[i] <= position < stop[i]`` of every series ``i`` (no revalidation)."""
    pos = _positions(sf)
    mask = (pos >= np.repeat(start, sf.lengths)) & (pos < np.repeat(stop, sf.lengths))
    lengths = np.minimum(stop, sf.lengths) - np.maximum(start, 0)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    frame = sf.frame.loc[mask].reset_index(drop=True)
    return SeriesFrame(frame=frame, freq=sf.freq, ids=sf.ids, indptr=indptr)


def slice_series(sf: SeriesFrame, positions: np.ndarray) -> SeriesFrame:
    """The contiguous run of series at ``positions`` (no revalidation)."""
    a, b = int(sf.indptr[positions[0]]), int(sf.indptr[positions[-1] + 1])
    frame = sf.frame.iloc[a:b].reset_index(drop=True)
    indptr = sf.indptr[positions[0]:positions[-1] + 2] - a
    return SeriesFrame(frame=frame, freq=sf.freq, ids=sf.ids[positions], indptr=indptr)
