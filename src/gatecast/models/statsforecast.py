"""The StatsForecast adapter: classical models fitted series by series.

:class:`StatsForecastModel` is the one adapter between gatecast's forecaster protocol and a
StatsForecast model class. A classical model (ARIMA, AutoARIMA, ETS, Theta) is this adapter
configured: a dataclass of its parameters that says which unfitted StatsForecast object to
make for a series (``_new_model``) and how to get a failing series through (``_hint``).
The adapter keeps one fitted StatsForecast object per series, in a list per partition.

Also here, for every classical model (ARIMA-GARCH too, which composes an ARIMA instead of
being one): the helpers they share (a flag check, forecast arrays, the fitted objects as
trees for saving); whole numbers are checked by :func:`gatecast.checks.whole_number` and
season lengths by :func:`gatecast.data.season.check_season_length`, as everywhere. A
model's ``season_length=None`` is decided in ``fit`` from the data's frequency (see
:class:`~gatecast.models.base.BaseForecaster`). A single series' failure goes through
:func:`~gatecast.models.failures.series_call`; the local forecaster's ``fit`` and
``forward`` name the series that failed (:mod:`gatecast.models.failures`).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, ClassVar

import numpy as np

from gatecast.data.grouped import GroupedArray
from gatecast.errors import ConfigError
from gatecast.models.base import Intervals, LocalForecaster
from gatecast.models.failures import series_call


# -- parameter checks ---------------------------------------------------------------------
def check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def forecast_arrays(n: int, h: int, levels: list[float]) -> tuple[np.ndarray, Intervals]:
    mean = np.empty((n, h))
    return mean, {lv: (np.empty((n, h)), np.empty((n, h))) for lv in levels}


def most_common(labels: list[str], top: int = 3) -> str:
    """``labels`` in one line: the label itself when all agree, else the ``top`` commonest
    with their counts."""
    counts = Counter(labels)
    if len(counts) == 1:
        return labels[0]
    shown = ", ".join(f"{label} for {n} of {len(labels)}" for label, n in
                      counts.most_common(top))
    rest = len(counts) - top
    return shown + (f" (and {rest} other{'s' if rest > 1 else ''})" if rest > 0 else "")


# -- saving: the fitted ``model_`` dicts are plain dicts of arrays and numbers ------------
def fitted_to_tree(model: Any) -> dict[str, Any]:
    """A fitted StatsForecast object as a tree of dicts and arrays (what saving needs)."""
    tree: dict[str, Any] = {"model_": model.model_}
    if isinstance(getattr(model, "method", None), str):
        tree["method"] = model.method  # an ARIMA refitted with ML keeps saying so
    return tree


def fitted_from_tree(tree: dict[str, Any], model: Any) -> Any:
    """Inverse of :func:`fitted_to_tree`, into the unfitted StatsForecast object ``model``."""
    model.model_ = tree["model_"]
    if "method" in tree:
        model.method = tree["method"]
    return model


# -- the adapter --------------------------------------------------------------------------
@dataclasses.dataclass
class StatsForecastModel(LocalForecaster):
    """Per-series adapter around a StatsForecast model class.

    State of a partition: the list of fitted StatsForecast objects (their ``model_`` holds
    the estimated coefficients). ``predict`` asks each for ``h`` steps; ``forward`` applies
    the stored coefficients to new history with the object's ``forward`` (no re-estimation).
    A model configures the adapter with ``_new_model`` (an unfitted StatsForecast object)
    and ``_hint`` (how to get a series that fails to fit through).
    """

    supports_intervals: ClassVar[bool] = True

    def _new_model(self) -> Any:
        raise NotImplementedError

    def _hint(self) -> str:
        return "check the series for outliers or level shifts, or use a simpler model"

    # -- kernels ----------------------------------------------------------------------
    def _fit_one(self, y: np.ndarray, i: int) -> Any:
        return series_call(f"{self.name} fit", self._hint(), i, y, self._new_model().fit, y)

    def _fit_partition(self, ga: GroupedArray) -> list[Any]:
        return [self._fit_one(y, i) for i, y in enumerate(ga)]

    def _predict_partition(
        self, state: list[Any], h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        mean, intervals = forecast_arrays(len(state), h, levels)
        for i, model in enumerate(state):
            out = series_call(
                f"{self.name} forecast", self._hint(), i, None,
                model.predict, h=h, level=levels or None,
            )
            self._store(out, i, mean, intervals)
        return mean, intervals

    def _forward_partition(
        self, state: list[Any], ga: GroupedArray, h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        mean, intervals = forecast_arrays(len(state), h, levels)
        for i, (model, y) in enumerate(zip(state, ga, strict=True)):
            out = series_call(
                f"{self.name} forward", self._hint(), i, y,
                model.forward, y=y, h=h, level=levels or None,
            )
            self._store(out, i, mean, intervals)
        return mean, intervals

    def _chosen(self, fitted: Any) -> str | None:
        """What the fit of one series chose (an order, a form), or None: nothing chosen."""
        return None

    def choices(self) -> dict[str, str]:
        labels = [self._chosen(model) for part in self.states_ for model in part]
        shown = [label for label in labels if label is not None]
        return {"chose": most_common(shown)} if shown else {}

    def _state_to_tree(self, state: list[Any]) -> Any:
        return [fitted_to_tree(model) for model in state]

    def _state_from_tree(self, tree: Any) -> list[Any]:
        kernel = self._kernel()  # the StatsForecast objects take the fitted season length
        return [fitted_from_tree(t, kernel._new_model()) for t in tree]

    @staticmethod
    def _store(out: dict[str, Any], i: int, mean: np.ndarray, intervals: Intervals) -> None:
        # StatsForecast names interval columns after the level values it was given.
        mean[i] = np.asarray(out["mean"], dtype=np.float64)
        for lv, (lo, hi) in intervals.items():
            lo[i] = np.asarray(out[f"lo-{lv}"], dtype=np.float64)
            hi[i] = np.asarray(out[f"hi-{lv}"], dtype=np.float64)

