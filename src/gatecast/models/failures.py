"""Per-series failures of a local forecaster's kernels, named by the series' ``unique_id``.

A kernel runs on a partition of series (perhaps in another process) and knows only a
series' position there; :func:`series_call` turns a library's failure on one series into a
:class:`SeriesFitError` carrying the series' values, and :class:`~gatecast.models.base.
LocalForecaster` re-raises it through :func:`failures_named`, where the frame is at hand,
as a :class:`DataError` naming the ``unique_id``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np

from gatecast.data.validate import SeriesFrame
from gatecast.errors import DataError, GatecastError

T = TypeVar("T")


class SeriesFitError(DataError):
    """One series could not be fitted or forecast.

    Raised inside a partition kernel, where only the series' position in the partition is
    known; :func:`failures_named` catches it where the frame is at hand and re-raises a
    :class:`DataError` naming the ``unique_id`` (``values``, the series, locates it). The
    message is ``prefix + <which series> + suffix``.
    """

    def __init__(
        self, message: str, *, prefix: str = "", suffix: str = "",
        values: np.ndarray | None = None,
    ) -> None:
        # Only ``message`` goes to ``args``: exceptions are rebuilt from ``args`` (then
        # ``__dict__``) when they travel back from a worker process.
        super().__init__(message)
        self.prefix = prefix
        self.suffix = suffix
        self.values = values

    def naming(self, series: str) -> DataError:
        return DataError(f"{self.prefix} {series}{self.suffix}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def series_call(
    what: str,
    hint: str,
    position: int,
    values: np.ndarray | None,
    fn: Callable[..., T],
    *args: Any,
    **kwargs: Any,
) -> T:
    """Run one per-series library call; any failure becomes a :class:`SeriesFitError`."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            # Optimiser chatter (convergence notes, overflow at a rejected trial point) for
            # every one of thousands of series drowns real messages; failures still raise.
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    except GatecastError:
        raise
    except Exception as exc:
        prefix = f"{what} failed for series"
        suffix = f" ({_one_line(exc)}); {hint}"
        raise SeriesFitError(
            f"{prefix} at position {position} of its partition{suffix}",
            prefix=prefix, suffix=suffix, values=values,
        ) from exc


def _renamed(exc: SeriesFitError, sf: SeriesFrame) -> DataError | None:
    """The same failure naming the series by its ``unique_id`` (None: not found)."""
    if exc.values is not None:
        for i, y in enumerate(sf.grouped()):
            if y.size == exc.values.size and np.array_equal(y, exc.values):
                return exc.naming(repr(str(sf.ids[i])))
    return None


@contextlib.contextmanager
def failures_named(sf: SeriesFrame) -> Iterator[None]:
    """Re-raise a :class:`SeriesFitError` from the kernels run on ``sf`` as a
    :class:`DataError` naming the series' ``unique_id`` (unchanged if it is not found)."""
    try:
        yield
    except SeriesFitError as exc:
        named = _renamed(exc, sf)
        if named is None:
            raise
        raise named from exc
