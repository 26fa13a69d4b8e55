"""The in-process execution engine: maps a pure function over partitions of series.

Per-series work (fitting a classical model, predicting a partition) is written as a pure
function of one partition, so an engine only has to map it. ``LocalEngine`` runs in this
process (``n_jobs=1``) or in a pool of worker processes; a cluster engine (Ray) maps the
same functions.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from gatecast.errors import ConfigError

T = TypeVar("T")


def split_positions(n_series: int, n_parts: int) -> list[np.ndarray]:
    """Contiguous, nearly equal chunks of ``range(n_series)`` (no empty chunk)."""
    n_parts = max(1, min(n_parts, n_series))
    return [p for p in np.array_split(np.arange(n_series), n_parts) if p.size]


@dataclass
class LocalEngine:
    """Run partitions here (``n_jobs=1``) or in ``n_jobs`` processes (``-1``: all cores)."""

    n_jobs: int = 1

    def __post_init__(self) -> None:
        if self.n_jobs == 0 or self.n_jobs < -1:
            raise ConfigError(f"n_jobs must be >= 1 or -1 (all cores), got {self.n_jobs}")

    @property
    def workers(self) -> int:
        return (os.cpu_count() or 1) if self.n_jobs == -1 else self.n_jobs

    def n_partitions(self, n_series: int) -> int:
        # A few partitions per worker balance uneven series lengths.
        return 1 if self.workers == 1 else min(n_series, 4 * self.workers)

    def map(self, fn: Callable[..., T], items: Sequence[Any]) -> list[T]:
        if self.workers == 1 or len(items) <= 1:
            return [fn(item) for item in items]
        # spawn, not fork: the parent may hold OpenMP/torch threads that fork would break.
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx) as pool:
            return list(pool.map(fn, items))


def get_engine(engine: str | LocalEngine | None = None, n_jobs: int = 1) -> LocalEngine:
    if engine is None or engine == "local":
        return LocalEngine(n_jobs=n_jobs)
    if isinstance(engine, LocalEngine):
        return engine
    raise ConfigError(f"unknown engine {engine!r}; use 'local'")
