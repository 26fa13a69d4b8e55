"""ARIMA for the mean, GARCH for the variance: intervals that widen after turbulence.

The mean follows an ARIMA(p, d, q)(P, D, Q)_m (:mod:`gatecast.models.arima`), fitted by
StatsForecast; its one-step innovations ``eps_t`` are then given a GARCH(p, q) variance
(Bollerslev, 1986), fitted by ``arch`` on the in-sample residuals::

    eps_t = sigma_t z_t,   z_t iid with mean 0, variance 1 (normal, t, skew-t or GED)
    sigma_t^2 = omega + sum_{i=1..p} alpha_i eps_{t-i}^2 + sum_{j=1..q} beta_j sigma_{t-j}^2

(``p`` lags of squared shocks, ``q`` lags of the variance, as in ``arch``).

Point forecasts are the ARIMA's. With ``psi_j`` the MA(inf) weights of the full ARIMA,
``psi(B) = theta(B) Theta(B^m) / [phi(B) Phi(B^m) (1 - B)^d (1 - B^m)^D]`` (``psi_0 = 1``),
the h-step forecast error is ``sum_{j<h} psi_j eps_{T+h-j}`` and, the innovations being
uncorrelated,

    Var(y_{T+h} - y_hat_{T+h}) = sum_{j=0}^{h-1} psi_j^2 E_T[sigma_{T+h-j}^2]

where ``E_T[sigma_{T+k}^2]`` is GARCH's variance forecast path (analytic recursion towards
``omega / (1 - sum alpha - sum beta)``). With a constant variance this is the usual ARIMA
interval; after a burst of large shocks the near-term variances and so the intervals are
larger. Interval ends are ``mean + q_{lo,hi} sd_h`` with ``q`` quantiles of the fitted
standardised innovation distribution: exact for normal innovations and, for fat-tailed
ones, conservative beyond one step (a sum of several innovations is closer to normal).

:class:`ARIMAGARCH` composes an :class:`~gatecast.models.arima.ARIMA` for the mean (its
``mean_model()``) rather than being one: it is a per-series forecaster of its own whose
state per series is the fitted ARIMA plus the GARCH parameters.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from arch import arch_model
from statsmodels.tsa.arima_process import arma2ma

from gatecast.checks import whole_number
from gatecast.data.grouped import GroupedArray
from gatecast.errors import ConfigError
from gatecast.models.arima import ARIMA, arima_min_length, fit_arima
from gatecast.models.base import Intervals, LocalForecaster
from gatecast.models.failures import SeriesFitError, series_call
from gatecast.models.statsforecast import fitted_from_tree, fitted_to_tree, forecast_arrays

GARCH_DISTS: tuple[str, ...] = ("normal", "t", "skewt", "ged")

# GARCH on fewer residuals than this rarely identifies alpha and beta: the likelihood is
# flat and estimates sit on the boundary. Between MIN_SHORT_GARCH_RESIDUALS and this the
# GARCH is still fitted (a tutorial's 45-point series must be able to run the comparison),
# with a warning that its intervals rest on little data; below it the fit is refused.
MIN_GARCH_RESIDUALS = 50
MIN_SHORT_GARCH_RESIDUALS = 20


def arima_psi_weights(coef: Mapping[str, float], arma: Sequence[int], h: int) -> np.ndarray:
    """The first ``h`` MA(inf) weights ``psi_0 = 1, psi_1, ...`` of a fitted ARIMA.

    ``coef`` and ``arma`` are StatsForecast's (R's) fitted ``model_["coef"]`` (``ar1..``,
    ``ma1..``, ``sar1..``, ``sma1..``) and ``model_["arma"] = (p, q, P, Q, m, d, D)``. The
    AR side ``phi(B) Phi(B^m) (1 - B)^d (1 - B^m)^D`` and MA side ``theta(B) Theta(B^m)``
    are multiplied out as polynomials; ``psi`` is the impulse response of their ratio (well
    defined with unit roots too: it is a recursion, not an expansion that must converge).
    """
    p, q, sp, sq, m, d, sd = (int(v) for v in arma[:7])
    m = max(m, 1)
    ar = np.r_[1.0, [-coef[f"ar{i}"] for i in range(1, p + 1)]]
    ma = np.r_[1.0, [coef[f"ma{i}"] for i in range(1, q + 1)]]
    seasonal_ar = np.zeros(sp * m + 1)
    seasonal_ar[0] = 1.0
    seasonal_ma = np.zeros(sq * m + 1)
    seasonal_ma[0] = 1.0
    for i in range(1, sp + 1):
        seasonal_ar[i * m] = -coef[f"sar{i}"]
    for i in range(1, sq + 1):
        seasonal_ma[i * m] = coef[f"sma{i}"]
    ar = np.convolve(ar, seasonal_ar)
    for _ in range(d):
        ar = np.convolve(ar, [1.0, -1.0])
    seasonal_diff = np.zeros(m + 1)
    seasonal_diff[[0, m]] = [1.0, -1.0]
    for _ in range(sd):
        ar = np.convolve(ar, seasonal_diff)
    return np.asarray(arma2ma(ar, np.convolve(ma, seasonal_ma), lags=h), dtype=np.float64)


def _arch(resid: np.ndarray, p: int, q: int, dist: str) -> Any:
    # rescale=False: residuals are already scaled to unit variance (see _fit_one).
    return arch_model(resid, mean="Zero", vol="GARCH", p=p, q=q, dist=dist, rescale=False)


@dataclasses.dataclass
class ARIMAGARCH(LocalForecaster):
    """ARIMA mean with GARCH(p, q) innovations (see the module docstring for the maths).

    ``order``/``seasonal_order``/``season_length``/``include_mean`` define the ARIMA as in
    :class:`~gatecast.models.arima.ARIMA` (:meth:`mean_model`); ``p >= 1`` ARCH and
    ``q >= 0`` GARCH lags; ``dist`` is the innovation distribution: ``normal``, ``t``,
    ``skewt`` or ``ged``. ``season_length=None`` (default): decided in ``fit`` from the data's
    frequency, kept as ``season_length_``.

    The GARCH is fitted on the ARIMA residuals after the first ``d + D m + p + P m`` (where
    differencing and the conditional AR start leave them near zero), scaled to unit
    variance for the optimiser; the variance path is scaled back. Minimum length: the
    ARIMA's plus 20 residuals for the GARCH; below 50 residuals a warning says that the
    GARCH parameters, and so the intervals, are estimated on too little data to trust.
    """

    supports_intervals: ClassVar[bool] = True

    order: tuple[int, int, int] = (1, 0, 0)
    p: int = 1
    q: int = 1
    season_length: int | None = None
    dist: str = "normal"
    seasonal_order: tuple[int, int, int] = (0, 0, 0)
    include_mean: bool = True

    def __post_init__(self) -> None:
        arima = self.mean_model()  # checks the ARIMA part exactly as ARIMA does
        self.order, self.seasonal_order = arima.order, arima.seasonal_order
        self.season_length, self.include_mean = arima.season_length, arima.include_mean
        self.p = whole_number(self.p, "p (ARCH lags)", minimum=1)
        self.q = whole_number(self.q, "q (GARCH lags)", minimum=0)
        if self.dist not in GARCH_DISTS:
            raise ConfigError(f"dist must be one of {', '.join(GARCH_DISTS)}, got {self.dist!r}")

    def mean_model(self) -> ARIMA:
        """The ARIMA for the mean (``CSS-ML``, retried as ``ML`` when its search fails)."""
        return ARIMA(self.order, self.seasonal_order, self.season_length, self.include_mean)

    def _burn(self) -> int:
        ar_p, d, _ = self.order
        sp, sd, _ = self.seasonal_order
        m = self._season()
        return d + sd * m + ar_p + sp * m

    def min_length(self) -> int:
        arima = arima_min_length(self.order, self.seasonal_order, self._season(),
                                 self.include_mean)
        return max(arima, self._burn() + MIN_SHORT_GARCH_RESIDUALS)

    def _hint(self) -> str:
        return "try p=1, q=1, dist='normal', a simpler ARIMA order, or plain ARIMA"

    def _state_to_tree(self, state: list[dict[str, Any]]) -> Any:
        return [{**st, "arima": fitted_to_tree(st["arima"])} for st in state]

    def _state_from_tree(self, tree: Any) -> list[dict[str, Any]]:
        arima = self._kernel().mean_model()  # with the fitted season length
        return [{**st, "arima": fitted_from_tree(st["arima"], arima._new_model())}
                for st in tree]

    # -- kernels ----------------------------------------------------------------------
    def _usable(self, resid: np.ndarray) -> np.ndarray:
        r = np.asarray(resid, dtype=np.float64)[self._burn():]
        return r[np.isfinite(r)]

    def _scaled(self, r: np.ndarray, scale: float, i: int, y: np.ndarray) -> np.ndarray:
        if r.size < MIN_SHORT_GARCH_RESIDUALS or not np.isfinite(scale) or scale <= 0:
            prefix = f"{self.name} fit failed for series"
            suffix = (
                " (the ARIMA residuals have no variation to model, or too few are finite);"
                " use ARIMA for this series"
            )
            raise SeriesFitError(
                f"{prefix} at position {i} of its partition{suffix}",
                prefix=prefix, suffix=suffix, values=y,
            )
        return r / scale

    def _fit_partition(self, ga: GroupedArray) -> list[dict[str, Any]]:
        states = []
        short = [r for r in (len(y) - self._burn() for y in ga) if r < MIN_GARCH_RESIDUALS]
        if short:
            warnings.warn(
                f"{self.name}: {len(short)} series have fewer than {MIN_GARCH_RESIDUALS} ARIMA"
                f" residuals (fewest {min(short)}); their GARCH parameters are estimated on"
                " little data, so treat their intervals as rough and compare with ARIMA's",
                UserWarning, stacklevel=2)
        mean_model = self.mean_model()
        for i, y in enumerate(ga):
            arima = fit_arima(
                mean_model._new_model, mean_model.method, y, i, f"{self.name} ARIMA fit",
                self._hint(),
            )
            raw = self._usable(arima.model_["residuals"])
            scale = float(np.std(raw)) if raw.size else float("nan")
            resid = self._scaled(raw, scale, i, y)
            result = series_call(
                f"{self.name} GARCH fit", self._hint(), i, y,
                _arch(resid, self.p, self.q, self.dist).fit,
                disp="off", show_warning=False,
            )
            params = np.asarray(result.params, dtype=np.float64)
            if not np.all(np.isfinite(params)):
                prefix = f"{self.name} GARCH fit failed for series"
                suffix = " (non-finite estimates); " + self._hint()
                raise SeriesFitError(
                    f"{prefix} at position {i} of its partition{suffix}",
                    prefix=prefix, suffix=suffix, values=y,
                )
            states.append({"arima": arima, "params": params, "scale": scale, "resid": resid})
        return states

    def _intervals(
        self,
        state: dict[str, Any],
        resid: np.ndarray,
        mean: np.ndarray,
        h: int,
        levels: list[float],
        i: int,
    ) -> Intervals:
        """Interval ends per level from the psi weights and the GARCH variance path."""
        model = _arch(resid, self.p, self.q, self.dist)
        fixed = series_call(
            f"{self.name} GARCH forecast", self._hint(), i, None, model.fix, state["params"]
        )
        path = series_call(
            f"{self.name} GARCH forecast", self._hint(), i, None,
            fixed.forecast, horizon=h, reindex=False,
        )
        sigma2 = np.asarray(path.variance, dtype=np.float64)[-1] * state["scale"] ** 2
        coef = state["arima"].model_["coef"]
        psi = arima_psi_weights(coef, state["arima"].model_["arma"], h)
        # Var_h = sum_{j<h} psi_j^2 sigma2_{T+h-j}: the first h terms of a convolution.
        sd = np.sqrt(np.convolve(psi**2, sigma2)[:h])
        dist = model.distribution
        n_dist = dist.num_params
        dist_params = state["params"][len(state["params"]) - n_dist:] if n_dist else None
        out: Intervals = {}
        for lv in levels:
            tail = (100.0 - lv) / 200.0
            q_lo, q_hi = np.asarray(dist.ppf([tail, 1.0 - tail], dist_params), dtype=np.float64)
            out[lv] = (mean + q_lo * sd, mean + q_hi * sd)
        return out

    def _predict_partition(
        self, state: list[dict[str, Any]], h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        mean, intervals = forecast_arrays(len(state), h, levels)
        for i, st in enumerate(state):
            out = series_call(
                f"{self.name} forecast", self._hint(), i, None, st["arima"].predict, h=h
            )
            mean[i] = np.asarray(out["mean"], dtype=np.float64)
            self._fill(st, st["resid"], mean, intervals, h, levels, i)
        return mean, intervals

    def _forward_partition(
        self, state: list[dict[str, Any]], ga: GroupedArray, h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        mean, intervals = forecast_arrays(len(state), h, levels)
        for i, (st, y) in enumerate(zip(state, ga, strict=True)):
            # ARIMA coefficients, GARCH parameters and the residual scale all stay as fitted;
            # only the filtered residuals (and so the GARCH variance path) follow the new data.
            out = series_call(
                f"{self.name} forward", self._hint(), i, y,
                st["arima"].forward, y=y, h=h, fitted=True,
            )
            mean[i] = np.asarray(out["mean"], dtype=np.float64)
            if levels:
                raw = self._usable(y - np.asarray(out["fitted"], dtype=np.float64))
                resid = self._scaled(raw, st["scale"], i, y)
                self._fill(st, resid, mean, intervals, h, levels, i)
        return mean, intervals

    def _fill(
        self,
        st: dict[str, Any],
        resid: np.ndarray,
        mean: np.ndarray,
        intervals: Intervals,
        h: int,
        levels: list[float],
        i: int,
    ) -> None:
        if not levels:
            return
        out = self._intervals(st, resid, mean[i], h, levels, i)
        for lv, (lo, hi) in out.items():
            intervals[lv][0][i] = lo
            intervals[lv][1][i] = hi
