"""Variance-stabilising power transforms: log, log1p and Box-Cox."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import stats

from gatecast.data.grouped import GroupedArray
from gatecast.data.transforms.base import (
    BaseTransform,
    describe_series,
    per_series,
    register,
    series_of,
)
from gatecast.errors import ConfigError, DataError


def _check_above(ga: GroupedArray, bound: float, who: str, fix: str) -> None:
    bad = np.flatnonzero(ga.values <= bound)
    if bad.size:
        raise DataError(
            f"{who} needs values > {bound:g} but {describe_series(series_of(ga, bad))} has "
            f"values <= {bound:g}; {fix}"
        )


@register
@dataclass
class Log(BaseTransform):
    """``y = log(x)`` for ``x > 0``; inverse ``x = exp(y)``."""

    name: ClassVar[str] = "log"

    def _check_domain(self, ga: GroupedArray) -> None:
        _check_above(ga, 0.0, "Log", "use Log1p for data >= 0 or shift the data")

    def _fit(self, ga: GroupedArray) -> None:
        pass

    def _transform(self, ga: GroupedArray) -> GroupedArray:
        return ga.with_values(np.log(ga.values))

    def _inverse_transform(self, ga_t: GroupedArray) -> GroupedArray:
        return ga_t.with_values(np.exp(ga_t.values))

    def _inverse_forecast(self, f: np.ndarray) -> np.ndarray:
        return np.exp(f)


@register
@dataclass
class Log1p(BaseTransform):
    """``y = log(1 + x)`` for ``x > -1`` (counts with zeros); inverse ``x = exp(y) - 1``."""

    name: ClassVar[str] = "log1p"

    def _check_domain(self, ga: GroupedArray) -> None:
        _check_above(ga, -1.0, "Log1p", "shift the data so every value exceeds -1")

    def _fit(self, ga: GroupedArray) -> None:
        pass

    def _transform(self, ga: GroupedArray) -> GroupedArray:
        return ga.with_values(np.log1p(ga.values))

    def _inverse_transform(self, ga_t: GroupedArray) -> GroupedArray:
        return ga_t.with_values(np.expm1(ga_t.values))

    def _inverse_forecast(self, f: np.ndarray) -> np.ndarray:
        return np.expm1(f)


def boxcox(x: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``(x^λ - 1) / λ``, or ``log x`` where ``λ = 0``; ``lam`` broadcasts against ``x``.

    Written as ``expm1(λ log x) / λ`` so it stays accurate as ``λ -> 0``.
    """
    lam = np.broadcast_to(lam, x.shape)
    zero = lam == 0
    logx = np.log(x)
    return np.where(zero, logx, np.expm1(lam * logx) / np.where(zero, 1.0, lam))


def inv_boxcox(y: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``(λ y + 1)^(1/λ)``, or ``exp y`` where ``λ = 0``.

    Values outside the image of the transform (``λ y <= -1``, which a model can forecast) are
    mapped to the domain boundary: ``0`` for ``λ > 0`` and ``+inf`` for ``λ < 0``.
    """
    lam = np.broadcast_to(lam, y.shape)
    zero = lam == 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        z = np.maximum(lam * y, -1.0)
        return np.where(zero, np.exp(y), np.exp(np.log1p(z) / np.where(zero, 1.0, lam)))


@register
@dataclass
class BoxCox(BaseTransform):
    """Box-Cox transform ``y = (x^λ - 1) / λ`` (``log x`` at ``λ = 0``) of positive data.

    With ``lmbda=None`` every series gets its own ``λ``, the maximum-likelihood estimate on
    the training data (``scipy.stats.boxcox_normmax``) clipped to ``bounds``; the default
    ``[-1, 2]`` keeps the inverse well conditioned. Constant series get ``λ = 1``. Learned:
    ``lambdas_`` ``[n_series]``.
    """

    lmbda: float | None = None
    bounds: tuple[float, float] = (-1.0, 2.0)
    name: ClassVar[str] = "boxcox"
    _state_keys: ClassVar[tuple[str, ...]] = ("lambdas_",)

    def __post_init__(self) -> None:
        lo, hi = (float(b) for b in self.bounds)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ConfigError(f"BoxCox bounds must be finite with low < high, got {self.bounds}")
        self.bounds = (lo, hi)
        if self.lmbda is not None:
            if not np.isfinite(self.lmbda):
                raise ConfigError(f"BoxCox lmbda must be a finite number, got {self.lmbda!r}")
            self.lmbda = float(self.lmbda)

    @property
    def min_length(self) -> int:
        # Estimating λ needs some spread; a fixed λ works on any series.
        return 2 if self.lmbda is None else 1

    def _check_domain(self, ga: GroupedArray) -> None:
        _check_above(ga, 0.0, "BoxCox", "use Log1p or shift the data to be positive")

    def _fit(self, ga: GroupedArray) -> None:
        if self.lmbda is not None:
            self.lambdas_ = np.full(ga.n_series, self.lmbda)
            return
        lo, hi = self.bounds
        lambdas = np.ones(ga.n_series)
        for i, x in enumerate(ga):
            if np.ptp(x) <= 8 * np.finfo(np.float64).eps * np.max(x):
                continue  # constant series: any λ fits, keep 1
            # The optimiser warns on flat likelihoods; the clip below handles those cases.
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    lam = float(stats.boxcox_normmax(x, method="mle"))
                except (ValueError, FloatingPointError):
                    lam = 1.0
            lambdas[i] = np.clip(lam, lo, hi) if np.isfinite(lam) else 1.0
        self.lambdas_ = lambdas

    def _transform(self, ga: GroupedArray) -> GroupedArray:
        return ga.with_values(boxcox(ga.values, np.repeat(self.lambdas_, ga.lengths)))

    def _inverse_transform(self, ga_t: GroupedArray) -> GroupedArray:
        return ga_t.with_values(inv_boxcox(ga_t.values, np.repeat(self.lambdas_, ga_t.lengths)))

    def _inverse_forecast(self, f: np.ndarray) -> np.ndarray:
        return inv_boxcox(f, per_series(self.lambdas_, f.ndim))
