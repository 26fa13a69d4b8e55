"""The in-process execution engine: maps a pure function over partitions of series.

Per-series work (fitting a classical model, predicting a partition) is written as a pure
function of one partition, so an engine only has to map it. ``LocalEngine`` runs in this
process (``n_jobs=1``) or in a pool of worker processes; :class:`~gatecast.engine.ray.RayEngine`
maps the same functions over a Ray cluster.

An engine used as a context manager (``with engine:``) is *active*: per-series models fitted
or predicted inside the block map their partitions with it instead of their own ``n_jobs``.
"""

from __future__ import annotations

import contextvars
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np

from gatecast.errors import ConfigError, GatecastError, series_list
from gatecast.threads import Budgeted, worker_threads

T = TypeVar("T")

_ACTIVE: contextvars.ContextVar[Any] = contextvars.ContextVar("gatecast_engine", default=None)


class Engine(Protocol):
    """What an engine does: map a picklable function over items, keeping their order."""

    @property
    def workers(self) -> int: ...

    def n_partitions(self, n_series: int) -> int: ...

    def map(self, fn: Callable[..., T], items: Sequence[Any],
            labels: Sequence[str] | None = None) -> list[T]: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> None: ...


def active_engine() -> Engine | None:
    """The engine of the innermost ``with engine:`` block, if any."""
    return _ACTIVE.get()


def split_positions(n_series: int, n_parts: int) -> list[np.ndarray]:
    """Contiguous, nearly equal chunks of ``range(n_series)`` (no empty chunk)."""
    n_parts = max(1, min(n_parts, n_series))
    return [p for p in np.array_split(np.arange(n_series), n_parts) if p.size]


def describe_series(ids: Sequence[Any] | np.ndarray) -> str:
    """``"series 'a', 'b', 'c' and 9 more"``: a partition named for error messages."""
    rest = len(ids) - 3
    return f"series {series_list(list(ids[:3]))}" + (f" and {rest} more" if rest > 0 else "")


def annotate(exc: BaseException, k: int, labels: Sequence[str] | None) -> BaseException:
    """Say in which partition an unexpected error happened (user errors name it already)."""
    notes = getattr(exc, "__notes__", [])
    if not isinstance(exc, GatecastError) and labels is not None and not any(
            n.startswith("in partition") for n in notes):  # nested engines: innermost says
        exc.add_note(f"in partition {k} ({labels[k]})")
    return exc


class Activation:
    """``with engine:`` makes the engine active; subclasses also start/stop a runtime."""

    def __enter__(self) -> Any:
        self.__dict__.setdefault("_tokens", []).append(_ACTIVE.set(self))
        return self

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.reset(self.__dict__["_tokens"].pop())


@dataclass
class LocalEngine(Activation):
    """Run partitions here (``n_jobs=1``) or in ``n_jobs`` processes (``-1``: all cores)."""

    n_jobs: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.n_jobs, bool) or self.n_jobs == 0 or self.n_jobs < -1:
            raise ConfigError(f"n_jobs must be >= 1 or -1 (all cores), got {self.n_jobs}")

    @property
    def workers(self) -> int:
        return (os.cpu_count() or 1) if self.n_jobs == -1 else self.n_jobs

    def n_partitions(self, n_series: int) -> int:
        # A few partitions per worker balance uneven series lengths.
        return 1 if self.workers == 1 else min(n_series, 4 * self.workers)

    def map(self, fn: Callable[..., T], items: Sequence[Any],
            labels: Sequence[str] | None = None) -> list[T]:
        if self.workers == 1 or len(items) <= 1:
            out = []
            for k, item in enumerate(items):
                try:
                    out.append(fn(item))
                except Exception as exc:
                    annotate(exc, k, labels)
                    raise
            return out
        # spawn, not fork: the parent may hold OpenMP/torch threads that fork would break.
        ctx = mp.get_context("spawn")
        task = Budgeted(fn, worker_threads(self.workers))  # their share of the free cores
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx) as pool:
            futures = [pool.submit(task, item) for item in items]
            out = []
            for k, future in enumerate(futures):
                try:
                    out.append(future.result())
                except Exception as exc:
                    for rest in futures[k + 1:]:
                        rest.cancel()
                    annotate(exc, k, labels)
                    raise
            return out
