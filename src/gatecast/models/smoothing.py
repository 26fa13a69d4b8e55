"""Exponential smoothing (ETS) and the Theta method, fitted series by series with StatsForecast.

**ETS** (Hyndman et al., *Forecasting with Exponential Smoothing*, 2008) is the innovations
state-space model named by three letters, error / trend / season, each ``N`` (none),
``A`` (additive) or ``M`` (multiplicative), ``Z`` letting AICc choose. For ETS(A,A,A) with
level ``l``, slope ``b``, season ``s`` and ``eps_t ~ N(0, sigma^2)``::

    y_t = l_{t-1} + phi b_{t-1} + s_{t-m} + eps_t
    l_t = l_{t-1} + phi b_{t-1} + alpha eps_t
    b_t = phi b_{t-1} + beta eps_t
    s_t = s_{t-m} + gamma eps_t

(``phi = 1`` unless damped, ``0 < phi < 1``). Multiplicative components replace sums by
products and scale ``eps_t`` by the one-step forecast. Smoothing parameters and initial
states are estimated by maximum likelihood; intervals are analytic where the model class
has them (Hyndman et al., ch. 6) and simulated otherwise.

Season lengths above 24: R's ``forecast::ets`` ignores seasonality there because its C
core keeps the seasonal states in fixed 24-slot arrays. StatsForecast >= 2.0 sizes that
buffer ``max(m, 24)``, so weekly (``m = 52``) or hourly-weekly (``m = 168``) seasonal ETS is
fitted as asked; gatecast passes such ``m`` through unchanged rather than silently dropping
the season the user asked for. The cost is ``m`` initial seasonal states to estimate: with
few seasons of data AICc may prefer a non-seasonal model, and ``m`` in the hundreds takes
seconds per series.

**Theta** (Assimakopoulos & Nikolopoulos, 2000) in the state-space form of Fiorucci et al.
(2016): if a 90% autocorrelation test at lag ``m`` finds seasonality, the series is
deseasonalised by classical multiplicative decomposition. With ``l_t`` the simple exponential
smoothing level of the adjusted series and ``A_t``, ``B_t`` the intercept and slope of the
least-squares line through ``y_1..y_t``, the one-step forecast is

    y_hat_{t+1} = l_t + (1 - 1/theta) [(1 - alpha)^t A_t + (1 - (1 - alpha)^{t+1}) / alpha B_t]

with ``theta = 2`` (half the trend: SES with drift, as Hyndman & Billah, 2003), iterated
``h`` steps by feeding forecasts back, then reseasonalised. Intervals come from 200
simulated paths of the same equations (seeded, so forecasts are reproducible).

Both are the StatsForecast adapter (:mod:`gatecast.models.statsforecast`) configured.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from statsforecast.models import AutoETS as _SFAutoETS
from statsforecast.models import Theta as _SFTheta

from gatecast.data.season import check_season_length
from gatecast.errors import ConfigError
from gatecast.models.statsforecast import StatsForecastModel

_ERRORS, _TRENDS, _SEASONS = "AMZ", "NAMZ", "NAMZ"


def _check_ets_model(model: Any, damped: Any, season_length: int | None) -> str:
    if not isinstance(model, str) or len(model) != 3:
        raise ConfigError(
            f"ETS model must be three letters (error, trend, season) such as 'ZZZ' or 'AAN',"
            f" got {model!r}"
        )
    model = model.upper()
    error, trend, season = model
    if error not in _ERRORS or trend not in _TRENDS or season not in _SEASONS:
        raise ConfigError(
            f"ETS model {model!r}: error must be one of A, M, Z and trend/season one of"
            " N, A, M, Z"
        )
    if damped is not None and not isinstance(damped, bool):
        raise ConfigError(f"damped must be None, True or False, got {damped!r}")
    if damped and trend == "N":
        raise ConfigError(f"ETS model {model!r} has no trend to damp; drop damped=True")
    if season in "AM" and season_length is not None and season_length < 2:
        raise ConfigError(
            f"ETS model {model!r} has a seasonal component but season_length is"
            f" {season_length} (given, or inferred from the data's frequency); set"
            f" season_length (for example 12 for monthly data) or use {model[:2] + 'N'!r}"
        )
    # The combinations Hyndman et al. exclude as numerically unstable (StatsForecast refuses
    # them too): additive errors with a multiplicative component, and M-M-A.
    if error == "A" and "M" in (trend, season):
        raise ConfigError(
            f"ETS model {model!r} mixes additive errors with a multiplicative component, which"
            " is numerically unstable; use error 'M' (for example 'MAM') or 'Z'"
        )
    if model == "MMA":
        raise ConfigError("ETS model 'MMA' is numerically unstable; use 'MAA' or 'MMM'")
    return model


@dataclasses.dataclass
class ETS(StatsForecastModel):
    """Exponential smoothing state-space model (see the module docstring for the maths).

    ``model`` is error/trend/season letters from ``N``, ``A``, ``M``, ``Z`` (``Z``: chosen by
    AICc among the allowed ones); ``damped=None`` tries both damped and undamped trends.
    A multiplicative trend is fitted only when asked for explicitly (``'MMN'``...).
    ``season_length=None`` (default): decided in ``fit`` from the data's frequency (monthly
    12, quarterly 4, ...; :mod:`gatecast.data.season`), kept as ``season_length_``.

    Minimum length: StatsForecast needs ``n > k + 4`` with ``k = 2`` (alpha, level) ``+ 2``
    for an explicit trend ``+ 2`` for an explicit season ``+ 1`` if ``damped=True``; an
    explicit seasonal model (``'AAA'``, ``'MNM'``...) also needs two full seasons
    (``max(2 m, m + k + 5)``), below which StatsForecast either drops the season silently or
    fails to fit. With ``Z`` in the season slot a series of ``m`` to ``2 m`` points gets a
    non-seasonal model; a series shorter than one season is refused, as seasonal naive
    refuses it (a season of 500 on 144 points is a mistake, not a request for no season).
    """

    season_length: int | None = None
    model: str = "ZZZ"
    damped: bool | None = None

    def __post_init__(self) -> None:
        self.season_length = check_season_length(self.season_length)
        self.model = _check_ets_model(self.model, self.damped, self.season_length)

    def min_length(self) -> int:
        _, trend, season = self.model
        k = 2 + 2 * (trend in "AM") + 2 * (season in "AM") + int(bool(self.damped))
        n = k + 5
        m = self._season()
        if season in "AM":
            n = max(2 * m, m + n)
        return max(n, m)

    def _chosen(self, fitted: Any) -> str | None:
        return str(fitted.model_["method"])

    def _new_model(self) -> _SFAutoETS:
        return _SFAutoETS(season_length=self.season_length, model=self.model, damped=self.damped)

    def _hint(self) -> str:
        if "M" in self.model:
            return (
                "multiplicative components need strictly positive data; use an additive model"
                " such as 'AAN' or 'ANA', or model='ZZZ'"
            )
        return "try model='ZZZ', a model without trend, or a shorter season_length"


@dataclasses.dataclass
class Theta(StatsForecastModel):
    """The standard Theta method (theta = 2) with multiplicative deseasonalisation.

    Seasonality is tested and removed only when ``season_length >= 4`` and the series has
    at least two full seasons; otherwise the series is forecast as is. Needs 5 points (three
    for the state initialisation, two for the residual variance behind the intervals) and
    at least one season (as seasonal naive). ``season_length=None`` (default): decided in
    ``fit`` from the data's frequency, kept as ``season_length_``.
    """

    season_length: int | None = None

    def __post_init__(self) -> None:
        self.season_length = check_season_length(self.season_length)

    def min_length(self) -> int:
        return max(5, self._season())

    def _new_model(self) -> _SFTheta:
        return _SFTheta(season_length=self.season_length)

    def _hint(self) -> str:
        return "check the series for extreme values or a level shift, or use ETS"
