"""Sliding (input, target) windows over many series without copying the data.

A window of width ``w = look_back + horizon`` is one row of
``sliding_window_view(ga.values, w)``, a read-only view over the concatenated values; a window
is valid when all its values come from one series. :class:`Windows` keeps only the row index
(``starts``) of each valid window and gathers a batch of rows when asked, so the memory held
is ``O(n_windows)`` integers, not ``O(n_windows * w)`` floats.

For series ``i`` of length ``L`` the windows end at ``L``, ``L - stride``, ``L - 2*stride``,
...: the most recent window, whose targets are the last ``horizon`` values, is always there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gatecast.checks import MAX_HORIZON, MAX_LOOK_BACK, whole_number
from gatecast.data.grouped import GroupedArray
from gatecast.errors import ConfigError, DataError


def _positions(pos: np.ndarray, limit: int = 3) -> str:
    shown = ", ".join(str(int(p)) for p in pos[:limit])
    rest = pos.size - limit
    label = "series at position" if pos.size == 1 else "series at positions"
    return f"{label} {shown}" + (f" and {rest} more" if rest > 0 else "")


@dataclass(frozen=True)
class WindowSpec:
    """Each window holds ``look_back`` inputs followed by ``horizon`` targets; consecutive
    windows of a series start ``stride`` steps apart."""

    look_back: int
    horizon: int
    stride: int = 1

    def __post_init__(self) -> None:
        for name, limit in (("look_back", MAX_LOOK_BACK), ("horizon", MAX_HORIZON),
                            ("stride", None)):
            value = whole_number(getattr(self, name), name, maximum=limit)
            object.__setattr__(self, name, value)

    @property
    def width(self) -> int:
        return self.look_back + self.horizon


@dataclass(frozen=True, eq=False)
class Windows:
    """The valid windows of a :class:`GroupedArray`, as indices into ``view``.

    - ``view``: ``[n_values - width + 1, width]`` read-only view over ``ga.values``;
    - ``starts``: row of ``view`` of each window (index of its first input in ``ga.values``);
    - ``series``: position of each window's series; ``origin``: position, within its series,
      of the window's first target, so inputs are ``origin - look_back .. origin - 1``;
    - ``skipped``: positions of the series too short for any window.

    Windows are ordered by series, then by time. With ``min_look_back < look_back`` a window
    may have only ``origin >= min_look_back`` real inputs; its first ``look_back - origin``
    inputs repeat the series' first value and its ``starts`` entry points before the series
    start (so it is not a valid row of ``view``; :meth:`inputs` handles that).
    """

    view: np.ndarray
    starts: np.ndarray
    series: np.ndarray
    origin: np.ndarray
    spec: WindowSpec
    skipped: np.ndarray
    min_look_back: int
    _values: np.ndarray = field(repr=False)
    _indptr: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return int(self.starts.size)

    def _padded(self, idx: np.ndarray) -> bool:
        return self.min_look_back < self.spec.look_back and bool(
            np.any(self.origin[idx] < self.spec.look_back)
        )

    def inputs(self, idx: np.ndarray | list[int] | slice) -> np.ndarray:
        """Inputs of the windows ``idx``, ``[len(idx), look_back, 1]`` (a copy)."""
        idx = self._index(idx)
        lb = self.spec.look_back
        if not self._padded(idx):
            return self.view[self.starts[idx], :lb][:, :, None]
        first = self._indptr[self.series[idx]]
        pos = self.starts[idx][:, None] + np.arange(lb)
        # Edge padding: steps before the series start repeat its first value.
        return self._values[np.maximum(pos, first[:, None])][:, :, None]

    def targets(self, idx: np.ndarray | list[int] | slice) -> np.ndarray:
        """Targets of the windows ``idx``, ``[len(idx), horizon]`` (a copy)."""
        idx = self._index(idx)
        lb = self.spec.look_back
        if not self._padded(idx):
            return self.view[self.starts[idx], lb:]
        pos = (self._indptr[self.series[idx]] + self.origin[idx])[:, None]
        return self._values[pos + np.arange(self.spec.horizon)]

    def positions(self, idx: np.ndarray | list[int] | slice) -> tuple[np.ndarray, np.ndarray]:
        """Row positions in ``ga.values`` of the inputs ``[len(idx), look_back]`` and targets
        ``[len(idx), horizon]`` of the windows ``idx``, edge-padded like :meth:`inputs`; for
        gathering arrays aligned with the values (covariates)."""
        idx = self._index(idx)
        first = self._indptr[self.series[idx]]
        inputs = np.maximum(self.starts[idx][:, None] + np.arange(self.spec.look_back),
                            first[:, None])
        targets = (first + self.origin[idx])[:, None] + np.arange(self.spec.horizon)
        return inputs, targets

    def last_inputs(self, ga: GroupedArray) -> np.ndarray:
        """The last ``look_back`` values of every series of ``ga``, ``[n_series, look_back, 1]``.

        The inputs for forecasting past the end of each series. Series shorter than
        ``look_back`` (allowed down to ``min_look_back``) are edge-padded like the windows.
        """
        lb = self.spec.look_back
        short = np.flatnonzero(ga.lengths < self.min_look_back)
        if short.size:
            raise DataError(
                f"{_positions(short)} too short to forecast from: fewer than "
                f"{self.min_look_back} values; use a shorter look_back or drop the series"
            )
        pos = ga.indptr[1:, None] - lb + np.arange(lb)
        pos = np.maximum(pos, ga.indptr[:-1, None])
        return ga.values[pos][:, :, None]

    def _index(self, idx: np.ndarray | list[int] | slice) -> np.ndarray:
        if isinstance(idx, slice):
            return np.arange(len(self))[idx]
        return np.asarray(idx, dtype=np.int64).reshape(-1)


def make_windows(
    ga: GroupedArray, spec: WindowSpec, *, min_look_back: int | None = None
) -> Windows:
    """All windows of ``ga`` for ``spec`` that do not cross a series boundary.

    Series ``i`` of length ``L_i`` yields ``(L_i - horizon - m) // stride + 1`` windows where
    ``m = min_look_back`` (default ``look_back``, i.e. no padding), with first targets at
    ``origin = L_i - horizon - j * stride >= m``. Series with ``L_i < m + horizon`` yield none
    and are listed in ``skipped``; if no series has a window, :class:`DataError` is raised.
    """
    lb, h, width = spec.look_back, spec.horizon, spec.width
    if min_look_back is None:
        min_look_back = lb
    min_look_back = whole_number(min_look_back, "min_look_back")
    if min_look_back > lb:
        raise ConfigError(
            f"min_look_back ({min_look_back}) cannot exceed look_back ({lb}); lower it"
        )
    lengths = ga.lengths
    need = min_look_back + h
    has = lengths >= need
    if not np.any(has):
        which = _positions(np.arange(ga.n_series)) if ga.n_series else "no series given"
        raise DataError(
            f"no series is long enough for one window ({which}): each needs at least {need} "
            f"values (look_back {min_look_back} + horizon {h}); use a shorter look_back or "
            "horizon"
        )
    counts = np.where(has, (lengths - need) // spec.stride + 1, 0)
    total = int(counts.sum())
    series = np.repeat(np.arange(ga.n_series, dtype=np.int64), counts)
    # j counts windows back from the most recent one (j = counts - 1 .. 0 in time order).
    first_of_series = np.repeat(np.cumsum(counts) - counts, counts)
    j = counts[series] - 1 - (np.arange(total) - first_of_series)
    origin = (lengths[series] - h - j * spec.stride).astype(np.int64)
    starts = (ga.indptr[series] + origin - lb).astype(np.int64)
    if ga.values.size >= width:
        view = sliding_window_view(ga.values, width)
    else:
        # Only padded windows exist then, and they are gathered without the view.
        view = np.empty((0, width), dtype=ga.values.dtype)
    return Windows(
        view=view,
        starts=starts,
        series=series,
        origin=origin,
        spec=spec,
        skipped=np.flatnonzero(~has).astype(np.int64),
        min_look_back=min_look_back,
        _values=ga.values,
        _indptr=ga.indptr,
    )
