"""ARIMA, seasonal ARIMA and automatic ARIMA, fitted series by series with StatsForecast.

The model for a series ``y_t`` with season length ``m`` is

    phi(B) Phi(B^m) (1 - B)^d (1 - B^m)^D (y_t - mu - delta t) = theta(B) Theta(B^m) eps_t,

with ``B`` the backshift operator, ``phi(B) = 1 - phi_1 B - ... - phi_p B^p``,
``theta(B) = 1 + theta_1 B + ... + theta_q B^q`` (``Phi``, ``Theta`` likewise in ``B^m``),
``eps_t ~ N(0, sigma^2)``, a mean ``mu`` only when ``d + D = 0`` and a drift ``delta`` only
when ``d + D <= 1``. Coefficients are estimated by conditional sum of squares for starting
values then exact Gaussian likelihood (Kalman filter), as R's ``stats::arima``.

Forecasts are conditional means. Writing the model as ``y_t = sum_j psi_j eps_{t-j}`` (the
MA(inf) weights of ``theta(B) Theta(B^m) / [phi(B) Phi(B^m) (1-B)^d (1-B^m)^D]``, ``psi_0 = 1``),
the h-step forecast error variance is ``sigma^2 * sum_{j<h} psi_j^2`` and the intervals are
Gaussian around the mean.

SARIMA is not a class of its own: :data:`SARIMA` is a preset, a factory that returns an
:class:`ARIMA` set up as Box & Jenkins' airline model. ARIMA and AutoARIMA are the
StatsForecast adapter (:mod:`gatecast.models.statsforecast`) configured.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from statsforecast.models import ARIMA as _SFArima
from statsforecast.models import AutoARIMA as _SFAutoArima

from gatecast.catalog import preset
from gatecast.checks import whole_number
from gatecast.data.season import check_season_length
from gatecast.errors import ConfigError
from gatecast.models.failures import SeriesFitError, series_call
from gatecast.models.statsforecast import StatsForecastModel, check_flag

ARIMA_METHODS: tuple[str, ...] = ("CSS-ML", "ML", "CSS")
#: Presets an ARIMA may have been built by (their name is its default output name).
ARIMA_PRESETS: tuple[str, ...] = ("SARIMA",)


# -- parameter checks ---------------------------------------------------------------------
def check_order(name: str, value: Any) -> tuple[int, int, int]:
    """An ARIMA order ``(p, d, q)`` / ``(P, D, Q)``: three whole numbers >= 0."""
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != 3:
        raise ConfigError(f"{name} must be three whole numbers (p, d, q), got {value!r}")
    p, d, q = (whole_number(v, f"{name} entry", minimum=0) for v in items)
    return p, d, q


def check_seasonal_spec(
    order: Any, seasonal_order: Any, season_length: Any
) -> tuple[tuple[int, int, int], tuple[int, int, int], int | None]:
    """Validate ``(p, d, q)``, ``(P, D, Q)`` and ``m`` together: a seasonal part needs m >= 2
    (``m=None``: decided in ``fit`` from the data's frequency, checked then)."""
    order = check_order("order", order)
    seasonal_order = check_order("seasonal_order", seasonal_order)
    season_length = check_season_length(season_length)
    if any(seasonal_order) and season_length is not None and season_length < 2:
        raise ConfigError(
            f"seasonal_order={seasonal_order} needs season_length >= 2 (for example 12"
            f" for monthly data), got {season_length} (given, or inferred from the data's"
            " frequency); set season_length or use seasonal_order=(0, 0, 0)"
        )
    return order, seasonal_order, season_length


def arima_min_length(
    order: tuple[int, int, int],
    seasonal_order: tuple[int, int, int],
    season_length: int,
    include_mean: bool = True,
    include_drift: bool = False,
) -> int:
    """Fewest points for which an ARIMA fit is defined.

    Differencing and the conditional start of the AR part use ``n_cond = d + D m + p + P m``
    points; the remaining ones must leave one degree of freedom for ``sigma^2`` after the
    ``k`` estimated coefficients, so ``n >= n_cond + k + 1``. Below this StatsForecast either
    refuses ("not enough data") or returns non-finite forecasts.
    """
    p, d, q = order
    sp, sd, sq = seasonal_order
    m = season_length
    n_cond = d + sd * m + p + sp * m
    k = p + q + sp + sq + int(include_mean and d + sd == 0) + int(include_drift and d + sd <= 1)
    return n_cond + k + 1


# -- fitting ------------------------------------------------------------------------------
def _finite_arima(model: _SFArima) -> _SFArima:
    coef = np.asarray(list(model.model_["coef"].values()), dtype=np.float64)
    if not (np.all(np.isfinite(coef)) and np.isfinite(model.model_["sigma2"])):
        raise ValueError("the estimated coefficients are not finite")
    return model


def fit_arima(
    make: Callable[[str], _SFArima], method: str, y: np.ndarray, i: int, what: str, hint: str
) -> _SFArima:
    """Fit ``make(method)`` on ``y``; a failed ``CSS-ML`` fit is retried with plain ``ML``.

    CSS-ML starts the likelihood search at the conditional-sum-of-squares estimates; when
    those are non-stationary (an AR root on or inside the unit circle, as after a level
    shift) R's ``arima`` stops with an error and StatsForecast's search ends in NaN. ML from
    its default start estimates the same model, so it is the natural second try.
    """

    def attempt(m: str) -> _SFArima:
        return _finite_arima(make(m).fit(y))

    try:
        return series_call(what, hint, i, y, attempt, method)
    except SeriesFitError:
        if method != "CSS-ML":
            raise
        return series_call(what, hint, i, y, attempt, "ML")


# -- ARIMA --------------------------------------------------------------------------------
@dataclasses.dataclass
class ARIMA(StatsForecastModel):
    """ARIMA(p, d, q)(P, D, Q)_m with fixed orders (see the module docstring for the maths).

    ``include_mean`` applies only without differencing and ``include_drift`` only with
    ``d + D <= 1`` (a drift with two differences would be a quadratic trend). ``method`` is
    ``"CSS-ML"`` (CSS starting values, then maximum likelihood; retried as ``"ML"`` when the
    CSS start is non-stationary and the search fails, see :func:`fit_arima`), ``"ML"`` or
    ``"CSS"``. ``season_length=None`` (default): decided in ``fit`` from the data's frequency
    (monthly 12, ...), kept as ``season_length_``; it matters only with a seasonal order.
    Needs :func:`arima_min_length` points per series. ``preset`` names the
    preset that built the model (``"SARIMA"``, see :data:`SARIMA`), which is then its
    default output name.
    """

    order: tuple[int, int, int] = (1, 0, 0)
    seasonal_order: tuple[int, int, int] = (0, 0, 0)
    season_length: int | None = None
    include_mean: bool = True
    include_drift: bool = False
    method: str = "CSS-ML"
    preset: str | None = dataclasses.field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.preset is not None and self.preset not in ARIMA_PRESETS:
            raise ConfigError(
                f"preset must be None or one of {', '.join(ARIMA_PRESETS)}, got {self.preset!r}"
            )
        self.order, self.seasonal_order, self.season_length = check_seasonal_spec(
            self.order, self.seasonal_order, self.season_length)
        self.include_mean = check_flag("include_mean", self.include_mean)
        self.include_drift = check_flag("include_drift", self.include_drift)
        if self.method not in ARIMA_METHODS:
            raise ConfigError(
                f"method must be one of {', '.join(ARIMA_METHODS)}, got {self.method!r}"
            )
        if self.include_drift and self.order[1] + self.seasonal_order[1] > 1:
            raise ConfigError(
                "include_drift needs d + D <= 1 (with more differencing a drift is a quadratic"
                " trend); drop include_drift or difference less"
            )

    def min_length(self) -> int:
        return arima_min_length(
            self.order, self.seasonal_order, self._season(), self.include_mean,
            self.include_drift,
        )

    def _new_model(self, method: str | None = None) -> _SFArima:
        return _SFArima(
            order=self.order,
            season_length=self.season_length,
            seasonal_order=self.seasonal_order,
            include_mean=self.include_mean,
            include_drift=self.include_drift,
            method=method or self.method,
        )

    def _fit_one(self, y: np.ndarray, i: int) -> _SFArima:
        return fit_arima(self._new_model, self.method, y, i, f"{self.name} fit", self._hint())

    def _hint(self) -> str:
        return (
            "try a simpler order (fewer AR/MA terms or less differencing), method='CSS-ML',"
            " or AutoARIMA"
        )

    @property
    def name(self) -> str:
        return self.alias or self.preset or type(self).__name__


@preset(ARIMA)
def SARIMA(  # the preset keeps the name users know it by: gc.SARIMA(...)
    order: tuple[int, int, int] = (0, 1, 1),
    seasonal_order: tuple[int, int, int] = (0, 1, 1),
    season_length: int | None = None,
    include_mean: bool = True,
    include_drift: bool = False,
    method: str = "CSS-ML",
    *,
    alias: str | None = None,
    n_jobs: int = 1,
) -> ARIMA:
    """Seasonal ARIMA: an :class:`ARIMA` that defaults to the airline model
    ARIMA(0,1,1)(0,1,1)_m and is named ``SARIMA``.

    ``(1 - B)(1 - B^m) y_t = (1 + theta B)(1 + Theta B^m) eps_t`` (Box & Jenkins' model for
    the airline passengers). ``season_length`` (``m``) must be >= 2; ``None`` (default):
    decided in ``fit`` from the data's frequency (monthly 12, quarterly 4, ...), where a
    frequency without a season (yearly, integer steps) is an error.
    """
    m = check_season_length(season_length)
    if m is not None and m < 2:
        raise ConfigError(
            f"SARIMA needs season_length >= 2 (for example 12 for monthly data, 7 for"
            f" daily), got {m}; for non-seasonal data use ARIMA"
        )
    return ARIMA(order, seasonal_order, m, include_mean, include_drift, method,
                 alias=alias, n_jobs=n_jobs, preset="SARIMA")


@dataclasses.dataclass
class AutoARIMA(StatsForecastModel):
    """ARIMA with orders chosen per series (Hyndman & Khandakar, 2008, as R's ``auto.arima``).

    ``d`` comes from repeated KPSS tests and ``D`` from a seasonal-strength test unless given;
    then ``p, q, P, Q`` (up to the ``max_*`` bounds) and the constant are chosen by AICc,
    stepwise from ARIMA(2,d,2)(1,D,1) or over the whole grid (``stepwise=False``).
    ``approximation=None`` uses CSS during the search when ``n > 150`` or ``m > 12``.

    ``season_length=None`` (default): decided in ``fit`` from the data's frequency (monthly
    12, quarterly 4, ...), kept as ``season_length_``.

    Minimum length: ``2 m + 1`` for ``m > 1`` (the seasonal-differencing test needs two full
    seasons; below that the search silently drops the seasonal part), else 4; at least
    ``d + D m + 3`` when ``d``/``D`` are fixed.
    """

    season_length: int | None = None
    d: int | None = None
    D: int | None = None
    max_p: int = 5
    max_q: int = 5
    max_P: int = 2
    max_Q: int = 2
    stepwise: bool = True
    approximation: bool | None = None

    def __post_init__(self) -> None:
        self.season_length = check_season_length(self.season_length)
        if self.d is not None:
            self.d = whole_number(self.d, "d", minimum=0)
        if self.D is not None:
            self.D = whole_number(self.D, "D", minimum=0)
            if self.D > 0 and self.season_length is not None and self.season_length < 2:
                raise ConfigError(
                    f"D={self.D} (seasonal differencing) needs season_length >= 2, got"
                    f" {self.season_length} (given, or inferred from the data's frequency);"
                    " set season_length or leave D=None"
                )
        for name in ("max_p", "max_q", "max_P", "max_Q"):
            setattr(self, name, whole_number(getattr(self, name), name, minimum=0))
        self.stepwise = check_flag("stepwise", self.stepwise)
        if self.approximation is not None and not isinstance(self.approximation, bool):
            raise ConfigError(
                f"approximation must be None, True or False, got {self.approximation!r}"
            )

    def min_length(self) -> int:
        m = self._season()
        base = 2 * m + 1 if m > 1 else 4
        return max(base, (self.d or 0) + (self.D or 0) * m + 3)

    def _chosen(self, fitted: Any) -> str | None:
        p, q, big_p, big_q, m, d, big_d = (int(v) for v in fitted.model_["arma"])
        seasonal = f"({big_p},{big_d},{big_q})[{m}]" if m > 1 else ""
        return f"ARIMA({p},{d},{q}){seasonal}"

    def _new_model(self) -> _SFAutoArima:
        return _SFAutoArima(
            d=self.d,
            D=self.D,
            max_p=self.max_p,
            max_q=self.max_q,
            max_P=self.max_P,
            max_Q=self.max_Q,
            stepwise=self.stepwise,
            approximation=self.approximation,
            season_length=self.season_length,
        )

    def _hint(self) -> str:
        return "try smaller max_p/max_q, a fixed d and D, or season_length=1"
