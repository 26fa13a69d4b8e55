"""A compact container for many series of different lengths.

Values of all series are concatenated into one float64 array; ``indptr`` holds the offsets,
so series ``i`` is ``values[indptr[i]:indptr[i + 1]]``. This is the layout the numeric
kernels (transforms, windows, baselines) work on: no DataFrame inside a model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GroupedArray:
    """Concatenated series ``values`` with offsets ``indptr`` (length ``n_series + 1``)."""

    values: np.ndarray  # [total_length] float64
    indptr: np.ndarray  # [n_series + 1] int64

    def __post_init__(self) -> None:
        if self.indptr.ndim != 1 or self.indptr.size < 1 or self.indptr[0] != 0:
            raise ValueError("indptr must be a 1-D array starting at 0")
        if self.indptr[-1] != self.values.shape[0]:
            raise ValueError("indptr[-1] must equal the number of values")

    @classmethod
    def from_arrays(cls, arrays: Sequence[np.ndarray]) -> GroupedArray:
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        indptr = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        values = (
            np.concatenate([np.asarray(a, dtype=np.float64) for a in arrays])
            if arrays
            else np.empty(0, dtype=np.float64)
        )
        return cls(values, indptr)

    @property
    def n_series(self) -> int:
        return self.indptr.size - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def __len__(self) -> int:
        return self.n_series

    def __getitem__(self, i: int) -> np.ndarray:
        return self.values[self.indptr[i] : self.indptr[i + 1]]

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(self.n_series):
            yield self[i]

    def take(self, idx: Sequence[int] | np.ndarray) -> GroupedArray:
        """A new GroupedArray with the series at positions ``idx`` (copies the values)."""
        return GroupedArray.from_arrays([self[int(i)] for i in idx])

    def tails(self, n: int) -> np.ndarray:
        """The last ``n`` values of every series, ``[n_series, n]`` (series must be >= n long)."""
        if n == 0:
            return np.empty((self.n_series, 0))
        if np.any(self.lengths < n):
            raise ValueError(f"every series needs at least {n} values")
        idx = self.indptr[1:, None] - n + np.arange(n)[None, :]
        return self.values[idx]

    def heads(self, n: int) -> np.ndarray:
        """The first ``n`` values of every series, ``[n_series, n]``."""
        if n == 0:
            return np.empty((self.n_series, 0))
        if np.any(self.lengths < n):
            raise ValueError(f"every series needs at least {n} values")
        idx = self.indptr[:-1, None] + np.arange(n)[None, :]
        return self.values[idx]

    def drop_heads(self, n: int) -> GroupedArray:
        """Every series without its first ``n`` values."""
        keep = np.ones(self.values.size, dtype=bool)
        for k in range(n):
            keep[self.indptr[:-1] + k] = False
        indptr = self.indptr - n * np.arange(self.n_series + 1)
        return GroupedArray(self.values[keep], indptr)

    def with_values(self, values: np.ndarray) -> GroupedArray:
        """Same layout, new values (for element-wise transforms)."""
        return GroupedArray(np.asarray(values, dtype=np.float64), self.indptr)
