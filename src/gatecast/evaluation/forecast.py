"""Forecast many series: fit and predict partition by partition on an engine.

``forecast(models, data, h, engine=...)`` is fit-then-predict for several models at once,
with the per-series work done where each partition is:

- per-series models (``per_series = True``: the naive family, ARIMA, ETS, Theta, ...): each
  partition task fits a fresh copy on its series and predicts; fitted states never leave the
  worker;
- global models (one network for all series): trained once first (on the in-memory data, or
  on a seeded sample of ``train_series`` series of a Parquet directory; a model that is
  already fitted is used as it is, e.g. one trained with ``fit(..., distributed=N)``), then
  each partition task applies the trained network to its series' history, in blocks of
  ``predict_block`` series (bounded memory; partitions start at whole blocks, so any engine
  and any number of workers evaluate the network on exactly the same batches: float
  results of a matrix product can depend on the batch size, the batches here never do).

Data in memory (frame, file, :class:`SeriesFrame`) is validated here and sliced into
partitions; a directory of Parquet files is planned by :func:`~gatecast.data.lazy.scan_parquet`
and every task reads its own files, so no process holds the whole frame. With ``output=DIR``
each task writes ``DIR/part-<k>.parquet`` and nothing but a summary comes back.

The forecasts equal the local run (``engine="local"``) row for row and value for value on
any engine; for per-series models they also equal ``model.fit(data).predict(h)`` exactly,
and so do global models' with the default ``predict_block``, which is the block size
``predict`` itself uses (the model class's ``predict_block``, see
:class:`~gatecast.models.base.BaseForecaster`).
"""

from __future__ import annotations

import copy
import dataclasses
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gatecast.data.lazy import (
    ParquetPartition,
    ParquetSeries,
    is_dataset_dir,
    read_partition,
    scan_parquet,
    write_part,
)
from gatecast.data.slices import slice_series
from gatecast.data.validate import SeriesFrame, validate
from gatecast.engine import Engine, LocalEngine, describe_series, resolve_engine, split_positions
from gatecast.errors import ConfigError
from gatecast.evaluation.conformal import (
    ConformalBands,
    ConformalConfig,
    add_bands,
    check_intervals,
    check_windows,
    conformal_bands,
)
from gatecast.models.base import BaseForecaster, check_horizon, check_levels, fitted_positions


@dataclass
class ForecastRun:
    """What :func:`forecast` did: the forecasts (``None`` when written to ``output``), one
    row per partition: ``partition, series, rows, seconds, peak_rss_mb`` (the worker's peak
    resident memory so far), and the interval method (``"quantile"`` or ``"conformal"``)."""

    forecasts: pd.DataFrame | None
    output: Path | None
    partitions: pd.DataFrame
    seconds: float
    intervals: str = "quantile"


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def global_forecast(model: Any, sf: SeriesFrame, h: int, levels: list[float] | None,
                    future: Any = None, block: int | None = None) -> pd.DataFrame:
    """A fitted global model's forecasts for the series of ``sf`` from their history,
    evaluated ``block`` series at a time (default: all at once).

    The network is shared; series-level state (last windows, per-series transforms) is
    rebuilt from ``sf``, so any subset of series, even unseen ones, can be forecast (static
    features only exist for the series the model was fitted on).
    """
    if block is not None and sf.n_series > block:
        starts = range(0, sf.n_series, block)
        return pd.concat([global_forecast(model, slice_series(sf, np.arange(
            a, min(a + block, sf.n_series))), h, levels, future) for a in starts],
            ignore_index=True)
    if future is not None:
        future = future[future["unique_id"].isin(sf.ids)]
    view = copy.copy(model)
    view.series_ = sf.ids
    covs = getattr(model, "covariates_", None)
    if covs is not None:
        static = covs.static
        if static.shape[1]:
            static = static[fitted_positions(model.series_, sf.ids)]
        else:
            static = np.zeros((sf.n_series, 0))
        view.covariates_ = dataclasses.replace(covs, static=static)
    extra = {"future": future} if future is not None else {}
    return view.forward(sf, h, level=levels, **extra)


def forecast_partition(models: list[Any], sf: SeriesFrame, h: int, levels: list[float],
                       future: Any = None, block: int | None = None,
                       bands: dict[str, ConformalBands] | None = None) -> pd.DataFrame:
    """Every model's forecasts for one partition, merged on ``unique_id``/``ds``; a model
    with conformal ``bands`` forecasts its point and gets the bands' intervals."""
    out = None
    bands = bands or {}
    with LocalEngine(1):  # inside a partition: no nested pools
        for model in models:
            lv = levels if levels and model.supports_intervals else None
            if model.name in bands:  # the point, or the own intervals it calibrated
                lv = bands[model.name].model_levels()
            if model.per_series:
                fc = model.clone().fit(sf).predict(h, level=lv)
            else:
                fc = global_forecast(model, sf, h, lv, future, block)
            if model.name in bands:
                fc = add_bands(fc, bands[model.name])
            out = fc if out is None else out.merge(fc, on=["unique_id", "ds"])
    assert out is not None
    return out


@dataclass(frozen=True)
class _Part:
    index: int
    data: SeriesFrame | ParquetPartition
    future: pd.DataFrame | None = None


@dataclass(frozen=True)
class _Task:
    """Picklable ``part -> (forecasts or None, stats)``, mapped by the engine."""

    models: tuple[Any, ...]
    h: int
    levels: list[float]
    source: ParquetSeries | None  # column names only (partitions travel in the parts)
    freq: Any
    fill: Any
    output: str | None
    block: int
    bands: dict[str, ConformalBands] | None = None

    def __call__(self, part: _Part) -> tuple[pd.DataFrame | None, dict[str, float]]:
        t0 = time.perf_counter()
        if isinstance(part.data, SeriesFrame):
            sf = part.data
        else:
            assert self.source is not None
            sf = read_partition(self.source, part.data, freq=self.freq, fill=self.fill)
        out = forecast_partition(list(self.models), sf, self.h, self.levels, part.future,
                                 self.block, self.bands)
        stats = {"partition": part.index, "series": sf.n_series, "rows": len(out),
                 "seconds": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}
        if self.output is not None:
            write_part(out, self.output, part.index)
            return None, stats
        return out, stats


def _train_sample(data: ParquetSeries, n_series: int, seed: int, freq: Any, fill: Any
                  ) -> SeriesFrame:
    """Whole partitions drawn at random (seeded) until ``n_series`` series are read."""
    order = np.random.default_rng(seed).permutation(len(data.partitions))
    frames, total = [], 0
    for k in order:
        sf = data.read(int(k), freq=freq, fill=fill)
        frames.append(sf.frame)
        total += sf.n_series
        if total >= n_series:
            break
    return validate(pd.concat(frames, ignore_index=True), freq=freq)


def _parts(data: Any, engine: Engine, future: Any, block: int | None
           ) -> tuple[list[_Part], list[str]]:
    if isinstance(data, ParquetSeries):
        return ([_Part(p.index, p) for p in data.partitions],
                [describe_series(p.ids) for p in data.partitions])
    n = data.n_series
    if block is None:
        chunks = split_positions(n, engine.n_partitions(n))
    else:  # whole blocks per partition
        blocks = split_positions(-(-n // block), engine.n_partitions(n))
        chunks = [np.arange(b[0] * block, min((b[-1] + 1) * block, n)) for b in blocks]
    parts = []
    for k, p in enumerate(chunks):
        fut = None if future is None else future[future["unique_id"].isin(data.ids[p])]
        parts.append(_Part(k, slice_series(data, p), fut))
    return parts, [describe_series(data.ids[p]) for p in chunks]


def forecast(
    models: Any,
    data: Any,
    h: int,
    *,
    level: list[float] | None = None,
    engine: str | Engine | None = None,
    output: str | Path | None = None,
    future: Any = None,
    freq: str | int | None = None,
    fill: str | None = None,
    train_series: int = 10_000,
    seed: int = 0,
    series_per_partition: int = 20_000,
    predict_block: int | None = None,
    intervals: str = "quantile",
    conformal: ConformalConfig | None = None,
) -> ForecastRun:
    """Fit ``models`` and forecast ``h`` steps for every series (see the module docstring).

    Args:
        models: a forecaster or a list of them (per-series ones are copied, never fitted).
        data: long frame, CSV/Parquet file, :class:`SeriesFrame`, or a directory of Parquet
            files (optionally ``unique_id=...`` folders), read lazily.
        level: interval levels (models without intervals give the point forecast only).
        engine: ``"local"`` (default: in this process), ``"ray"`` or an engine object.
        output: a directory: write ``part-<k>.parquet`` per partition there instead of
            returning the forecasts.
        future: known-future covariates for global models that use them (in-memory data).
        train_series: series sampled from a Parquet directory to train unfitted global
            models (seeded by ``seed``).
        series_per_partition: series per task for a Parquet directory.
        predict_block: series per forward pass of a global model (default: the smallest
            ``predict_block`` of the global models, the block their ``predict`` uses; see
            the module docstring).
        intervals: ``"quantile"`` (default: each model's own intervals, where it has them)
            or ``"conformal"``: every model gets distribution-free intervals calibrated on
            a rolling-origin backtest of its errors per horizon step
            (:mod:`gatecast.evaluation.conformal`; in-memory data only).
        conformal: how conformal intervals are calibrated (default
            :class:`~gatecast.evaluation.conformal.ConformalConfig`).
    """
    h = check_horizon(h)
    levels = check_levels(level)
    intervals = check_intervals(intervals)
    if conformal is not None and not isinstance(conformal, ConformalConfig):
        raise ConfigError(f"conformal must be a ConformalConfig, got {conformal!r}")
    conformal = conformal or ConformalConfig()
    if intervals == "conformal" and not levels:
        raise ConfigError("intervals='conformal' needs level=, e.g. level=[80, 95]")
    models = list(models) if isinstance(models, (list, tuple)) else [models]
    if predict_block is None:  # one block size for both paths: the models' own
        predict_block = min((getattr(m, "predict_block", BaseForecaster.predict_block)
                             for m in models if not getattr(m, "per_series", False)),
                            default=BaseForecaster.predict_block)
    if isinstance(predict_block, bool) or not isinstance(predict_block, int) or predict_block < 1:
        raise ConfigError(f"predict_block must be a whole number >= 1, got {predict_block!r}")
    if not models:
        raise ConfigError("give at least one model to forecast with")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ConfigError(f"model names must be unique, got {names}; set alias= to tell apart")
    lazy = isinstance(data, ParquetSeries) or is_dataset_dir(data)
    if lazy and intervals == "conformal":
        raise ConfigError("intervals='conformal' works with in-memory data only; read the"
                          " Parquet directory into a frame")
    if lazy and future is not None:
        raise ConfigError("future= works with in-memory data only; read the Parquet"
                          " directory into a frame or use models without future covariates")
    if is_dataset_dir(data):
        data = scan_parquet(data, series_per_partition=series_per_partition)
    elif not lazy:
        data = data if isinstance(data, SeriesFrame) else validate(data, freq=freq, fill=fill)
    chosen = resolve_engine(engine) or LocalEngine(1)
    start = time.perf_counter()
    with chosen:
        bands = None
        if intervals == "conformal":  # calibrated on all series at once
            for m in models:  # every too-short series is named before any fitting
                check_windows(m, data, h, conformal.n_windows)
            bands = {m.name: conformal_bands(m, data, h, levels, conformal) for m in models}
        ready = []
        for model in models:
            if model.per_series:
                ready.append(model.clone())
            elif hasattr(model, "series_"):
                ready.append(model)
            else:  # train the global model once, here, before the partitions are mapped
                sample = _train_sample(data, train_series, seed, freq, fill) if lazy else data
                # conformal margins were calibrated on the model set for h (as backtests
                # fit it): the forecast must come from that same model
                ready.append((model.with_horizon(h) if bands else model).fit(sample))
        source = dataclasses.replace(data, partitions=[]) if lazy else None
        task = _Task(tuple(ready), h, levels, source, freq, fill,
                     None if output is None else str(output), predict_block, bands)
        block = None if all(m.per_series for m in ready) else predict_block
        parts, labels = _parts(data, chosen, future, block)
        results = chosen.map(task, parts, labels)
    stats = pd.DataFrame([s for _, s in results])
    forecasts = None
    if output is None:
        forecasts = pd.concat([fc for fc, _ in results], ignore_index=True)
        if lazy and not forecasts["unique_id"].is_monotonic_increasing:
            forecasts = forecasts.sort_values("unique_id", kind="stable", ignore_index=True)
        if bands:
            forecasts.attrs["intervals"] = "conformal"
    return ForecastRun(forecasts, None if output is None else Path(output), stats,
                       time.perf_counter() - start, intervals)
