"""The forecaster protocol and the one shallow base class for per-series models.

Every forecaster is a dataclass of its parameters (``__init__`` only stores them; what is
learned is set in ``fit`` and ends in ``_``) and follows one protocol::

    model.fit(frame) -> model
    model.predict(h, level=[80, 95]) -> long frame: unique_id, ds, <alias>,
                                         <alias>-lo-80, <alias>-hi-80, ...

:class:`LocalForecaster` is the base for models fitted series by series (naive family,
ARIMA, ETS, ...). Subclasses write numpy kernels over a :class:`GroupedArray` partition;
the base turns frames into partitions, maps the kernels with an engine and builds frames.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd
from scipy.stats import norm

from gatecast.checks import MAX_HORIZON, MAX_QUANTILES, check_forecast_memory, whole_number
from gatecast.data.freq import Freq, future_ds
from gatecast.data.grouped import GroupedArray
from gatecast.data.season import inferred_note, model_season
from gatecast.data.validate import SeriesFrame, validate
from gatecast.engine.local import (
    Engine,
    LocalEngine,
    active_engine,
    describe_series,
    split_positions,
)
from gatecast.errors import ConfigError, DataError, NotFittedError, series_list
from gatecast.io.serialize import load_local, save_local
from gatecast.models.failures import failures_named

Intervals = dict[float, tuple[np.ndarray, np.ndarray]]


@runtime_checkable
class Forecaster(Protocol):
    """What every gatecast forecaster does."""

    @property
    def name(self) -> str: ...

    def fit(self, data: Any) -> Self: ...

    def predict(self, h: int, level: list[float] | None = None) -> pd.DataFrame: ...


def fitted_positions(fitted_ids: np.ndarray, ids: Any) -> np.ndarray:
    """Positions of ``ids`` among the fitted series; DataError naming any unknown id."""
    asked = np.atleast_1d(np.asarray(ids, dtype=object))
    pos = pd.Index(fitted_ids).get_indexer(pd.Index(asked))
    if np.any(pos < 0):
        raise DataError(
            f"unknown unique_id {series_list(list(asked[pos < 0]))}: the model was fitted on"
            f" {len(fitted_ids)} series ({series_list(list(fitted_ids))}); fit it on data that"
            " contains them"
        )
    return pos


def select_series(out: pd.DataFrame, positions: np.ndarray | None, h: int) -> pd.DataFrame:
    """Rows of the series at ``positions`` (``h`` rows each) from a full forecast frame."""
    if positions is None:
        return out
    rows = (positions[:, None] * h + np.arange(h)[None, :]).reshape(-1)
    return out.iloc[rows].reset_index(drop=True)


def check_horizon(h: int) -> int:
    return whole_number(h, "horizon h", maximum=MAX_HORIZON)


def check_levels(level: Any) -> list[float]:
    """Normalise prediction-interval levels (percent, each strictly between 0 and 100)."""
    if level is None:
        return []
    levels = [level] if isinstance(level, (int, float)) else list(level)
    if len(levels) > MAX_QUANTILES // 2:
        raise ConfigError(f"{len(levels):,} interval levels is above gatecast's limit of"
                          f" {MAX_QUANTILES // 2}; ask for a few, such as [80, 95]")
    for lv in levels:
        if not 0 < float(lv) < 100:
            raise ConfigError(f"interval level must be a percentage in (0, 100), got {lv!r}")
    return sorted({float(lv) for lv in levels})


def level_label(level: float) -> str:
    return str(int(level)) if float(level).is_integer() else str(level)


def normal_intervals(mean: np.ndarray, sd: np.ndarray, levels: list[float]) -> Intervals:
    """Gaussian intervals ``mean ± z * sd`` for each level; ``sd`` broadcasts to ``mean``."""
    out: Intervals = {}
    for lv in levels:
        z = norm.ppf(0.5 + lv / 200.0)
        out[lv] = (mean - z * sd, mean + z * sd)
    return out


def forecast_frame(
    ids: np.ndarray,
    last_ds: np.ndarray,
    freq: Freq,
    name: str,
    mean: np.ndarray,
    intervals: Intervals | None = None,
) -> pd.DataFrame:
    """Assemble ``[n_series, h]`` forecasts into the long output frame."""
    h = mean.shape[1]
    ds = future_ds(last_ds, h, freq)
    out = {"unique_id": np.repeat(ids, h), "ds": ds.reshape(-1), name: mean.reshape(-1)}
    for lv, (lo, hi) in sorted((intervals or {}).items()):
        out[f"{name}-lo-{level_label(lv)}"] = lo.reshape(-1)
        out[f"{name}-hi-{level_label(lv)}"] = hi.reshape(-1)
    return pd.DataFrame(out)


@dataclasses.dataclass
class BaseForecaster:
    """Parameters shared by all forecasters: the output column name (``alias``)."""

    supports_intervals: ClassVar[bool] = False
    # Each series' forecast depends on that series alone, so partitions can be fitted and
    # predicted anywhere (an engine maps them); global models (one network) set False.
    per_series: ClassVar[bool] = False
    # Series per forward pass of a global model's ``predict``; the run layer's ``forecast``
    # cuts partitions at whole blocks of this size so that its batches are predict's.
    predict_block: ClassVar[int] = 1024

    @property
    def name(self) -> str:
        alias = getattr(self, "alias", None)
        return alias or type(self).__name__

    def get_params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def choices(self) -> dict[str, str]:
        """What the fit chose from the data that the parameters did not say (an order, a
        form, a network's shape); ``{}`` where nothing was chosen. Fitted models override."""
        return {}

    def describe(self) -> str:
        """One line: the model's name and what its fit chose (see :meth:`choices`), the
        season length first when the fit inferred it from the data's frequency."""
        if not self._is_fitted():
            return f"{self.name}: not fitted"
        parts = [f"{key} {value}" for key, value in self.choices().items()]
        m = getattr(self, "season_length_", None)
        if m is not None:
            note = inferred_note(self.season_length, m, self.freq_)
            parts = ([f"season length {note}"] if note else []) + parts
        return f"{self.name}: " + ("; ".join(parts) if parts else "fitted")

    # -- the season length: given, else decided in ``fit`` from the data's frequency ------
    def _takes_season(self) -> bool:
        return "season_length" in self.get_params()

    def _season(self) -> int:
        """The season length in force: the given one, else the fitted ``season_length_``
        (1 before a fit that leaves it to the data)."""
        given = getattr(self, "season_length", None)
        return given if given is not None else getattr(self, "season_length_", 1)

    def with_season(self, m: int) -> Self:
        """This model as a run with season length ``m`` fits it: an unfitted copy with
        ``season_length=m`` when it leaves its season to the data, else itself."""
        leaves_it = self._takes_season() and self.season_length is None
        return self._kernel(m) if leaves_it else self

    def _kernel(self, m: int | None = None) -> Self:
        """An unfitted copy whose ``season_length`` is ``m`` (default: the fitted one):
        what the fit's and the forecasts' numeric work runs on."""
        m = getattr(self, "season_length_", None) if m is None else m
        if m is None:
            return self.clone()
        return type(self)(**{**self.get_params(), "season_length": m})

    def _fit_frame(self, data: Any) -> tuple[Self, SeriesFrame, int | None]:
        """``(kernel, frame, season length)`` for a fit on ``data``: the season length
        settled from the frame's frequency first (``None`` for models without one), then
        every series checked for the kernel's ``min_length()`` points."""
        if not self._takes_season():
            return self.clone(), self._validated(data), None
        sf = data if isinstance(data, SeriesFrame) else validate(data)
        m = model_season(self.name, self.season_length, sf.freq)
        kernel = self._kernel(m)
        return kernel, kernel._validated(sf), m

    def _is_fitted(self) -> bool:
        try:
            self._check_fitted()
        except NotFittedError:
            return False
        return True

    def clone(self) -> Self:
        """An unfitted copy with the same parameters."""
        return type(self)(**self.get_params())

    def with_horizon(self, h: int) -> Self:
        """An unfitted copy prepared to forecast ``h`` steps (models that train for a
        horizon override this; the others just clone)."""
        return self.clone()

    def _check_fitted(self) -> None:
        if not hasattr(self, "series_"):
            raise NotFittedError(f"{self.name} is not fitted yet; call fit(frame) first")

    def min_length(self) -> int:
        """Fewest points a series needs for this model."""
        return 1

    def _validated(self, data: Any) -> SeriesFrame:
        """``data`` as a validated frame whose series all have ``min_length()`` points."""
        need = self.min_length()
        if isinstance(data, SeriesFrame):
            if np.any(data.lengths < need):
                validate(data.frame, freq=data.freq, min_length=need, needed_for=self.name)
            return data
        return validate(data, min_length=need, needed_for=self.name)

    def fit_predict(self, data: Any, h: int, level: list[float] | None = None) -> pd.DataFrame:
        return self.fit(data).predict(h, level=level)


@dataclasses.dataclass(kw_only=True)
class LocalForecaster(BaseForecaster):
    """Base for models fitted independently on each series.

    Subclasses implement ``_fit_partition`` and ``_predict_partition`` (pure functions of a
    partition: no frame, no global state) and may override ``_forward_partition`` to apply
    already-fitted parameters to new history (used by backtests with ``refit=False``).
    The partitions are mapped by the active engine (``with make_engine("ray"): ...``, see
    :mod:`gatecast.engine`), else by a local one with ``n_jobs`` processes.
    """

    per_series: ClassVar[bool] = True
    alias: str | None = None
    n_jobs: int = 1

    def _engine(self) -> Engine:
        return active_engine() or LocalEngine(self.n_jobs)

    # -- kernels (override) -----------------------------------------------------------
    def _fit_partition(self, ga: GroupedArray) -> Any:
        raise NotImplementedError

    def _predict_partition(
        self, state: Any, h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        raise NotImplementedError

    def _forward_partition(
        self, state: Any, ga: GroupedArray, h: int, levels: list[float]
    ) -> tuple[np.ndarray, Intervals]:
        # Parameter-free models: forecasting from new history is fitting on it.
        return self._predict_partition(self._fit_partition(ga), h, levels)

    # -- protocol ---------------------------------------------------------------------
    def fit(self, data: Any) -> Self:
        """Fit on a long frame (pandas/polars/path/:class:`SeriesFrame`)."""
        kernel, sf, season = self._fit_frame(data)
        engine = self._engine()
        parts = split_positions(sf.n_series, engine.n_partitions(sf.n_series))
        ga = sf.grouped()
        chunks = [ga.take(p) if len(parts) > 1 else ga for p in parts]
        labels = [describe_series(sf.ids[p]) for p in parts]
        start = time.perf_counter()
        with failures_named(sf):
            self.states_ = engine.map(kernel._fit_partition, chunks, labels)
        self.fit_seconds_ = time.perf_counter() - start
        if season is not None:
            self.season_length_ = season
        self.partitions_ = parts
        self.series_ = sf.ids
        self.freq_ = sf.freq
        self.last_ds_ = sf.last_ds()
        self.lengths_ = sf.lengths
        return self

    def predict(
        self, h: int, level: list[float] | None = None, ids: Any = None
    ) -> pd.DataFrame:
        """Forecast ``h`` steps after the end of every fitted series (or only ``ids``)."""
        self._check_fitted()
        h = check_horizon(h)
        levels = check_levels(level)
        if levels and not self.supports_intervals:
            raise ConfigError(f"{self.name} has no prediction intervals; drop level=")
        wanted = None if ids is None else fitted_positions(self.series_, ids)
        check_forecast_memory(len(self.series_), h, len(levels))
        labels = [describe_series(self.series_[p]) for p in self.partitions_]
        results = self._engine().map(_PredictCall(self._kernel(), h, levels), self.states_,
                                     labels)
        mean, intervals = _gather(results, self.partitions_, len(self.series_), h, levels)
        out = forecast_frame(self.series_, self.last_ds_, self.freq_, self.name, mean, intervals)
        return select_series(out, wanted, h)

    def _state_to_tree(self, state: Any) -> Any:
        """A partition state as nested dicts/lists/arrays for saving (override if needed)."""
        return state

    def _state_from_tree(self, tree: Any) -> Any:
        return tree

    def save(self, path: Any) -> Any:
        """Write ``config.json`` + ``weights.safetensors`` into the directory ``path``."""
        return save_local(self, path)

    @classmethod
    def load(cls, path: Any) -> Any:
        """Rebuild a forecaster written by :meth:`save`."""
        return load_local(path)

    def forward(
        self, data: Any, h: int, level: list[float] | None = None
    ) -> pd.DataFrame:
        """Forecast ``h`` steps after the end of ``data`` with the parameters fitted before.

        ``data`` must hold the same series as the frame given to ``fit``.
        """
        self._check_fitted()
        h = check_horizon(h)
        levels = check_levels(level)
        sf = self._validated(data)
        fitted_positions(self.series_, sf.ids)  # every series must be known
        pos = sf.position(self.series_)  # and every fitted one present
        check_forecast_memory(len(self.series_), h, len(levels))
        ga = sf.grouped().take(pos)
        items = [(state, ga.take(p)) for state, p in zip(self.states_, self.partitions_,
                                                          strict=True)]
        labels = [describe_series(self.series_[p]) for p in self.partitions_]
        with failures_named(sf):
            results = self._engine().map(_ForwardCall(self._kernel(), h, levels), items,
                                         labels)
        mean, intervals = _gather(results, self.partitions_, len(self.series_), h, levels)
        return forecast_frame(
            self.series_, sf.last_ds()[pos], sf.freq, self.name, mean, intervals
        )


@dataclasses.dataclass(frozen=True)
class _PredictCall:
    """Picklable ``state -> forecasts`` for the engine."""

    model: LocalForecaster
    h: int
    levels: list[float]

    def __call__(self, state: Any) -> tuple[np.ndarray, Intervals]:
        return self.model._predict_partition(state, self.h, self.levels)


@dataclasses.dataclass(frozen=True)
class _ForwardCall:
    """Picklable ``(state, new history) -> forecasts`` for the engine."""

    model: LocalForecaster
    h: int
    levels: list[float]

    def __call__(self, item: tuple[Any, GroupedArray]) -> tuple[np.ndarray, Intervals]:
        state, ga = item
        return self.model._forward_partition(state, ga, self.h, self.levels)


def _gather(
    results: list[tuple[np.ndarray, Intervals]],
    parts: list[np.ndarray],
    n: int,
    h: int,
    levels: list[float],
) -> tuple[np.ndarray, Intervals]:
    mean = np.empty((n, h))
    intervals = {lv: (np.empty((n, h)), np.empty((n, h))) for lv in levels}
    for (m, iv), p in zip(results, parts, strict=True):
        mean[p] = m
        for lv in levels:
            intervals[lv][0][p] = iv[lv][0]
            intervals[lv][1][p] = iv[lv][1]
    return mean, intervals
