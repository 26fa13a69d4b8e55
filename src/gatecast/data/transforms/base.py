"""The transform protocol, the shared per-series machinery, and :class:`Pipeline`.

A transform maps every series of a :class:`GroupedArray` on its own: ``fit`` learns per-series
state from training data only, ``transform`` applies it, ``inverse_transform`` undoes it on
the same data, and ``inverse_forecast`` maps values that continue right after the end of the
fitted data (forecasts ``[n_series, h, ...]``) back to the original scale.

Fitted state lives in attributes ending with ``_`` and is exported by ``state_dict`` as plain
arrays and numbers, so a fitted transform is saved as JSON + arrays (never pickle) and rebuilt
with ``from_state(get_params(), state_dict())``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol, Self, TypeVar, runtime_checkable

import numpy as np

from gatecast.data.grouped import GroupedArray
from gatecast.errors import ConfigError, DataError, NotFittedError

StateValue = np.ndarray | float | int | list
State = dict[str, StateValue]


@runtime_checkable
class Transform(Protocol):
    """What every per-series transform (and :class:`Pipeline`) provides."""

    name: ClassVar[str]

    @property
    def min_length(self) -> int:
        """Fewest values a series needs for ``fit`` and ``transform``."""
        ...

    @property
    def n_dropped(self) -> int:
        """How many leading values ``transform`` removes from every series."""
        ...

    def fit(self, ga: GroupedArray) -> Self: ...

    def transform(self, ga: GroupedArray) -> GroupedArray: ...

    def fit_transform(self, ga: GroupedArray) -> GroupedArray: ...

    def inverse_transform(self, ga_t: GroupedArray) -> GroupedArray: ...

    def inverse_forecast(self, f: np.ndarray) -> np.ndarray: ...

    def get_params(self) -> dict[str, Any]: ...

    def state_dict(self) -> State: ...

    @classmethod
    def from_state(cls, params: Mapping[str, Any], state: Mapping[str, StateValue]) -> Self: ...


_REGISTRY: dict[str, type[Any]] = {}
_T = TypeVar("_T", bound=type[Any])


def register(cls: _T) -> _T:
    """Class decorator: make a transform rebuildable by ``name`` (see :func:`load_transform`)."""
    _REGISTRY[cls.name] = cls
    return cls


def load_transform(
    name: str, params: Mapping[str, Any], state: Mapping[str, StateValue]
) -> Transform:
    """Rebuild a fitted transform saved as ``name``, ``get_params()`` and ``state_dict()``."""
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown transform {name!r} in saved state; known: {known}")
    return _REGISTRY[name].from_state(params, state)


def describe_series(positions: Sequence[int] | np.ndarray, limit: int = 3) -> str:
    """``'series at position 3'`` or ``'series at positions 3, 7, 9 and 2 more'``."""
    pos = [int(p) for p in positions]
    if len(pos) == 1:
        return f"series at position {pos[0]}"
    shown = ", ".join(str(p) for p in pos[:limit])
    rest = len(pos) - limit
    return f"series at positions {shown}" + (f" and {rest} more" if rest > 0 else "")


def series_of(ga: GroupedArray, flat_idx: np.ndarray) -> np.ndarray:
    """Sorted unique series positions that own the flat value indices ``flat_idx``."""
    return np.unique(np.searchsorted(ga.indptr, flat_idx, side="right") - 1)


def check_lengths(ga: GroupedArray, min_length: int, who: str, fix: str) -> None:
    """Raise :class:`DataError` naming the series shorter than ``min_length``."""
    short = np.flatnonzero(ga.lengths < min_length)
    if short.size:
        n = int(ga.lengths[short[0]])
        raise DataError(
            f"{describe_series(short)} too short for {who}: needs at least {min_length} "
            f"values, the first has {n}; {fix}"
        )


def check_finite(ga: GroupedArray, who: str) -> None:
    """Raise :class:`DataError` naming the series holding NaN or infinite values."""
    bad = np.flatnonzero(~np.isfinite(ga.values))
    if bad.size:
        raise DataError(
            f"{describe_series(series_of(ga, bad))} has NaN or infinite values, which {who} "
            "cannot transform; fill or drop them first"
        )


def per_series(param: np.ndarray, ndim: int) -> np.ndarray:
    """Shape a per-series ``[n]`` parameter to broadcast against ``[n, h, ...]`` of ``ndim``."""
    return param.reshape(-1, *([1] * (ndim - 1)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


class BaseTransform:
    """Shared plumbing for the dataclass transforms.

    Subclasses are ``@dataclass`` es holding parameters only; they implement ``_fit``,
    ``_transform``, ``_inverse_transform`` and ``_inverse_forecast`` and list the names of
    their fitted array attributes in ``_state_keys``. Input checks, the fitted check and
    (de)serialisation live here so every transform reports errors the same way.
    """

    name: ClassVar[str] = "base"
    _state_keys: ClassVar[tuple[str, ...]] = ()

    # -- to implement -------------------------------------------------------------------
    def _fit(self, ga: GroupedArray) -> None:
        raise NotImplementedError

    def _transform(self, ga: GroupedArray) -> GroupedArray:
        raise NotImplementedError

    def _inverse_transform(self, ga_t: GroupedArray) -> GroupedArray:
        raise NotImplementedError

    def _inverse_forecast(self, f: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _check_domain(self, ga: GroupedArray) -> None:
        """Raise :class:`DataError` for values outside the transform's domain."""

    # -- public API ---------------------------------------------------------------------
    @property
    def min_length(self) -> int:
        return 1

    @property
    def n_dropped(self) -> int:
        return 0

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "n_series_")

    def fit(self, ga: GroupedArray) -> Self:
        self._check_input(ga)
        self._fit(ga)
        self.n_series_ = int(ga.n_series)
        return self

    def transform(self, ga: GroupedArray) -> GroupedArray:
        self._check_fitted(ga.n_series, "data")
        self._check_input(ga)
        return self._transform(ga)

    def fit_transform(self, ga: GroupedArray) -> GroupedArray:
        return self.fit(ga).transform(ga)

    def inverse_transform(self, ga_t: GroupedArray) -> GroupedArray:
        self._check_fitted(ga_t.n_series, "transformed data")
        return self._inverse_transform(ga_t)

    def inverse_forecast(self, f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, dtype=np.float64)
        if f.ndim < 2:
            raise DataError(
                f"forecasts must be [n_series, h] or [n_series, h, k], got shape {f.shape}; "
                "add the series axis"
            )
        self._check_fitted(f.shape[0], "forecasts")
        return self._inverse_forecast(f)

    def get_params(self) -> dict[str, Any]:
        return {
            f.name: _jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
        }

    def state_dict(self) -> State:
        self._check_fitted()
        state: State = {"n_series_": int(self.n_series_)}
        for key in self._state_keys:
            state[key] = np.asarray(getattr(self, key), dtype=np.float64).copy()
        return state

    @classmethod
    def from_state(cls, params: Mapping[str, Any], state: Mapping[str, StateValue]) -> Self:
        obj = cls(**params)
        missing = [k for k in ("n_series_", *cls._state_keys) if k not in state]
        if missing:
            raise ConfigError(
                f"saved state of {cls.__name__} lacks {', '.join(missing)}; "
                "save it again with state_dict()"
            )
        obj.n_series_ = int(state["n_series_"])  # type: ignore[arg-type]
        for key in cls._state_keys:
            setattr(obj, key, np.asarray(state[key], dtype=np.float64))
        return obj

    # -- helpers ------------------------------------------------------------------------
    def _check_input(self, ga: GroupedArray) -> None:
        check_lengths(ga, self.min_length, repr(self), "drop short series or shorten the lag")
        check_finite(ga, repr(self))
        self._check_domain(ga)

    def _check_fitted(self, n_series: int | None = None, what: str = "") -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{self!r} is not fitted; call fit() on the training data first")
        if n_series is not None and n_series != self.n_series_:
            raise DataError(
                f"{what} has {n_series} series but {self!r} was fitted on {self.n_series_}; "
                "pass the same series in the same order"
            )


@register
@dataclasses.dataclass
class Pipeline:
    """Transforms applied in order; inverted in reverse order.

    Each step is fitted on the output of the steps before it, so it stores what its own
    inversion needs from its own input: in ``Pipeline([Log(), Difference()])`` the difference
    step keeps the last values of the *log* series, and ``inverse_forecast`` first integrates
    the forecast differences from them and then exponentiates.
    """

    steps: list[Transform] = dataclasses.field(default_factory=list)
    name: ClassVar[str] = "pipeline"

    @property
    def n_dropped(self) -> int:
        return sum(s.n_dropped for s in self.steps)

    @property
    def is_fitted(self) -> bool:
        return all(getattr(s, "is_fitted", True) for s in self.steps)

    @property
    def min_length(self) -> int:
        """``max_i (min_length_i + values dropped by the steps before i)``."""
        need, dropped = 1, 0
        for s in self.steps:
            need = max(need, s.min_length + dropped)
            dropped += s.n_dropped
        return need

    def fit(self, ga: GroupedArray) -> Self:
        self.fit_transform(ga)
        return self

    def fit_transform(self, ga: GroupedArray) -> GroupedArray:
        # Checked up front so the message gives the original lengths, not a step's input.
        check_lengths(ga, self.min_length, repr(self), "drop short series or shorten the lags")
        for s in self.steps:
            ga = s.fit_transform(ga)
        return ga

    def transform(self, ga: GroupedArray) -> GroupedArray:
        check_lengths(ga, self.min_length, repr(self), "drop short series or shorten the lags")
        for s in self.steps:
            ga = s.transform(ga)
        return ga

    def inverse_transform(self, ga_t: GroupedArray) -> GroupedArray:
        for s in reversed(self.steps):
            ga_t = s.inverse_transform(ga_t)
        return ga_t

    def inverse_forecast(self, f: np.ndarray) -> np.ndarray:
        f = np.array(f, dtype=np.float64)
        for s in reversed(self.steps):
            f = s.inverse_forecast(f)
        return f

    def get_params(self) -> dict[str, Any]:
        return {"steps": [{"name": s.name, "params": s.get_params()} for s in self.steps]}

    def state_dict(self) -> State:
        """Every step's state, keys prefixed by the step position: ``'1.tails_'``."""
        state: State = {}
        for i, s in enumerate(self.steps):
            state.update({f"{i}.{k}": v for k, v in s.state_dict().items()})
        return state

    @classmethod
    def from_state(cls, params: Mapping[str, Any], state: Mapping[str, StateValue]) -> Self:
        steps: list[Transform] = []
        for i, spec in enumerate(params.get("steps", [])):
            prefix = f"{i}."
            sub = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
            steps.append(load_transform(spec["name"], spec.get("params", {}), sub))
        return cls(steps)
