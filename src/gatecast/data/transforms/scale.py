"""Per-series affine scalers: ``y = (x - center) / scale + offset``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gatecast.data.grouped import GroupedArray
from gatecast.data.transforms.base import BaseTransform, per_series, register
from gatecast.errors import ConfigError


def safe_spread(spread: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """``spread``, with ``1`` where a series is constant.

    "Constant" is relative: a spread within a few ulps of the series' magnitude is rounding
    noise, and dividing by it would turn that noise into O(1) values. Spreads below
    ``sqrt(tiny) ~ 1e-154`` count as zero too, so later values up to ~1e154 cannot overflow
    when divided by the spread.
    """
    floor = np.sqrt(np.finfo(np.float64).tiny)
    tiny = spread <= np.maximum(8 * np.finfo(np.float64).eps * magnitude, floor)
    return np.where(tiny, 1.0, spread)


def series_reduce(ga: GroupedArray, ufunc: np.ufunc) -> np.ndarray:
    """``ufunc`` reduced over each series (every series must be non-empty)."""
    return ufunc.reduceat(ga.values, ga.indptr[:-1])


def series_abs_max(ga: GroupedArray) -> np.ndarray:
    return np.maximum.reduceat(np.abs(ga.values), ga.indptr[:-1])


class _AffineScaler(BaseTransform):
    """Shared ``y = (x - center_) / scale_ + offset``; subclasses set ``center_``/``scale_``."""

    _state_keys: ClassVar[tuple[str, ...]] = ("center_", "scale_")

    @property
    def _offset(self) -> float:
        return 0.0

    def _transform(self, ga: GroupedArray) -> GroupedArray:
        c = np.repeat(self.center_, ga.lengths)
        s = np.repeat(self.scale_, ga.lengths)
        return ga.with_values((ga.values - c) / s + self._offset)

    def _inverse_transform(self, ga_t: GroupedArray) -> GroupedArray:
        c = np.repeat(self.center_, ga_t.lengths)
        s = np.repeat(self.scale_, ga_t.lengths)
        return ga_t.with_values((ga_t.values - self._offset) * s + c)

    def _inverse_forecast(self, f: np.ndarray) -> np.ndarray:
        c = per_series(self.center_, f.ndim)
        s = per_series(self.scale_, f.ndim)
        return (f - self._offset) * s + c


@register
@dataclass
class MinMaxScaler(_AffineScaler):
    """Map each series' training range ``[min, max]`` onto ``feature_range = (a, b)``.

    ``y = (x - min) / ((max - min) / (b - a)) + a``; learned ``center_ = min`` and
    ``scale_ = (max - min) / (b - a)``. A constant series maps to ``a``. Values after the
    training end may leave ``[a, b]``.
    """

    feature_range: tuple[float, float] = (0.0, 1.0)
    name: ClassVar[str] = "minmax"

    def __post_init__(self) -> None:
        try:
            a, b = (float(v) for v in self.feature_range)
        except (TypeError, ValueError):
            raise ConfigError(
                f"MinMaxScaler feature_range must be two numbers, got {self.feature_range!r}"
            ) from None
        if not (np.isfinite(a) and np.isfinite(b) and a < b):
            raise ConfigError(
                f"MinMaxScaler feature_range must be finite with low < high, got {(a, b)}"
            )
        self.feature_range = (a, b)

    @property
    def _offset(self) -> float:
        return self.feature_range[0]

    def _fit(self, ga: GroupedArray) -> None:
        lo = series_reduce(ga, np.minimum)
        hi = series_reduce(ga, np.maximum)
        a, b = self.feature_range
        self.center_ = lo
        self.scale_ = safe_spread(hi - lo, series_abs_max(ga)) / (b - a)


@register
@dataclass
class StandardScaler(_AffineScaler):
    """``y = (x - mean) / std`` per series (population std; ``1`` for constant series)."""

    name: ClassVar[str] = "standard"

    def _fit(self, ga: GroupedArray) -> None:
        n = ga.lengths.astype(np.float64)
        mean = series_reduce(ga, np.add) / n
        # Two-pass variance: the one-pass E[x^2] - E[x]^2 cancels badly for large levels.
        dev = ga.values - np.repeat(mean, ga.lengths)
        var = np.add.reduceat(dev * dev, ga.indptr[:-1]) / n
        self.center_ = mean
        self.scale_ = safe_spread(np.sqrt(var), series_abs_max(ga))


@register
@dataclass
class RobustScaler(_AffineScaler):
    """``y = (x - median) / IQR`` per series, IQR = q75 - q25 (``1`` for a zero IQR)."""

    name: ClassVar[str] = "robust"

    def _fit(self, ga: GroupedArray) -> None:
        q = np.array([np.percentile(x, [25.0, 50.0, 75.0]) for x in ga]).reshape(-1, 3)
        self.center_ = q[:, 1]
        self.scale_ = safe_spread(q[:, 2] - q[:, 0], series_abs_max(ga))
