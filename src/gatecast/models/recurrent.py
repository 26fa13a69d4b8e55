"""Global recurrent forecasters: one network trained on windows of many series.

``RecurrentForecaster`` = a network (:mod:`gatecast.nn`, tensor in, tensor out) + a window
spec + per-window normalisation + an optional per-series transform (differencing, log) +
the trainer (:mod:`gatecast.training`). Swapping LSTM for GRU is the ``cell`` parameter.

Modes: ``direct`` predicts ``horizon`` steps in one pass (longer forecasts repeat it,
feeding predictions back); ``recursive`` predicts one step and feeds it back ``h`` times,
as the tutorials do. Everything fitted (transform, normalisation, weights) is fitted
inside :meth:`fit` on the data given to it, so backtests cannot leak.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Self

import numpy as np
import pandas as pd
import torch

from gatecast.catalog import KINDS
from gatecast.checks import (
    MAX_LOOK_BACK,
    MAX_MEMBERS,
    check_forecast_memory,
    check_network,
    whole_number,
)
from gatecast.checks import SIZE_LIMITS as LIMITS
from gatecast.data.stationarity import common_transform
from gatecast.data.transforms import make_pipeline
from gatecast.data.windows import WindowSpec, make_windows
from gatecast.errors import ConfigError, NotFittedError
from gatecast.io.onnx import export_forecaster
from gatecast.models.base import (
    BaseForecaster,
    check_horizon,
    check_levels,
    fitted_positions,
    forecast_frame,
    select_series,
)
from gatecast.models.recurrent_covariates import (
    CovariateSpec,
    fit_covariates,
    future_block,
    history_matrix,
    keep_positions,
    tail_rows,
)
from gatecast.models.recurrent_data import (
    NORMALIZERS,
    ArraySource,
    WindowSource,
    split_tail,
    tail_windows,
    window_stats,
)
from gatecast.models.recurrent_defaults import (
    DEFAULT_SKIPS,
    auto_steps,
    batch_size,
    capacity,
    resolve_shapes,
)
from gatecast.models.recurrent_io import load_recurrent, save_recurrent
from gatecast.nn import NetworkConfig, build_network
from gatecast.threads import limit_threads, network_work
from gatecast.training.config import TrainerConfig
from gatecast.training.distributed import (
    check_distributed,
    join_env_group,
    spawn_fit,
    train_rank,
)
from gatecast.training.losses import LOSSES, make_loss

AUTO = "auto"
#: Series per forward pass when forecasting (bounded memory; see ``_forecast``).
PREDICT_BLOCK = BaseForecaster.predict_block
MODES = ("direct", "recursive")
SKIPS = ("none", "naive", "seasonal")
#: Upper bound of each size parameter (a value of ``None`` means "choose from the data"):
#: the shared limits of :data:`gatecast.checks.SIZE_LIMITS`, plus two of this class's own.
SIZE_LIMITS: dict[str, int | None] = {
    **{name: LIMITS[name] for name in ("horizon", "look_back", "patch_size", "hidden_size",
                                        "num_layers", "head_hidden", "head_layers", "ensemble",
                                        "season_length")},
    "val_size": MAX_LOOK_BACK, "max_steps": None}


def _quantiles(levels: tuple[float, ...]) -> list[float]:
    qs = {0.5}
    for lv in levels:
        qs |= {0.5 - lv / 200, 0.5 + lv / 200}
    return sorted(qs)


@dataclasses.dataclass(kw_only=True)
class RecurrentForecaster(BaseForecaster):
    """A global recurrent forecaster. Every ``None`` is chosen from the data in ``fit``.

    Args:
        cell: network kind: ``rnn``, ``lstm``, ``gru``, ``peephole``, ``seq2seq``,
            ``cnn-lstm`` or ``mlp`` (the non-recurrent baseline).
        horizon: steps predicted per forward pass (default: the backtest/CLI ``h``, else
            ``season_length``).
        look_back: input window length, or a tuple of lengths to ensemble over: one
            member per length (times ``ensemble`` seeds), median-combined, which takes the
            guesswork out of choosing one (N-BEATS ensembles look-backs the same way).
        season_length: the series' season (used for defaults only).
        hidden_size, num_layers, head_hidden, head_layers: the recurrent encoder's width
            and depth, the MLP head's width and number of hidden layers (0: a linear head);
            by default 64, 1, 64, 2 below 20,000 training windows and 128, 2, 128, 1 above
            (small data overfits a large network; see
            :func:`~gatecast.models.recurrent_defaults.capacity`).
        mode: ``direct`` or ``recursive``.
        skip: ``none``; ``naive`` or ``seasonal`` make the network learn the correction to
            that baseline (the window's last value, or its last ``season_length`` values
            repeated; naive when the window is shorter than a season) added to its output
            (:class:`~gatecast.nn.networks.BaselineSkip`): an untrained network forecasts
            the baseline, so the network only has to learn what the baseline misses. A
            tuple such as ``("none", "seasonal")`` trains members of each kind (per
            look-back) and median-combines them. ``None`` (default): ``("none",
            "seasonal")``, the two sharing the step budget
            (:data:`~gatecast.models.recurrent_defaults.DEFAULT_SKIPS`).
        normalize: per-window ``standard``, ``mean`` or ``none``. Standardising (each
            window minus its mean, over its standard deviation) is the default.
        transform: per-series transform spec fitted on the training data, e.g. ``"diff"``
            (predict changes: the tutorials' fix for the right-shift trap), ``"log,diff"``;
            ``"auto"`` chooses log / seasonal / first differences from KPSS tests, the
            seasonal strength and Guerrero's Box-Cox lambda on the training series
            (:func:`gatecast.data.stationarity.common_transform`, one spec for all
            series by majority vote); the choice is ``transform_`` after ``fit``.
        loss: ``mae`` (default), ``mse``, ``huber`` (or ``pinball``, implied by
            ``levels``). MAE forecasts the median, which the M4 scores (sMAPE, MASE) reward.
        levels: interval levels to train quantile outputs for, e.g. ``(80, 95)``.
        max_steps: optimiser steps in all; ``0`` means ``trainer.epochs`` full passes over
            the windows (the tutorials' epochs).
        val_size: points held out at the end of every series for early stopping (0: none).
        ensemble: members per look-back, trained with seeds ``seed, seed+1, ...``,
            median-combined.
        past_covariates: frame columns known only up to the forecast origin (e.g. the
            temperature measured so far); fed as extra input channels. A model with them
            forecasts at most ``horizon`` steps (their later values are unknown).
        future_covariates: frame columns known in advance (calendar, planned prices);
            their history is an input channel and their values at the forecast steps go to
            the head/decoder, so ``predict`` needs ``future=`` a frame with them.
        static_features: per-series constants, from the frame (constant within each
            series) or from ``fit(..., static=frame)`` with one row per ``unique_id``.
        trainer: optimiser, schedule, batch size, seed, device, checkpoints.

    Covariates are standardised column-wise on the training data (see
    :mod:`gatecast.models.recurrent_covariates`).
    """

    cell: str = "lstm"
    horizon: int | None = None
    look_back: int | tuple[int, ...] | None = None
    season_length: int = 1
    hidden_size: int | None = None
    num_layers: int | None = None
    dropout: float = 0.0
    patch_size: int | None = None
    head_hidden: int | None = None
    head_layers: int | None = None
    mode: str = "direct"
    skip: str | tuple[str, ...] | None = None
    normalize: str = "standard"
    transform: str | None = None
    loss: str = "mae"
    levels: tuple[float, ...] = ()
    max_steps: int | None = None
    val_size: int | None = None
    ensemble: int = 1
    past_covariates: tuple[str, ...] = ()
    future_covariates: tuple[str, ...] = ()
    static_features: tuple[str, ...] = ()
    trainer: TrainerConfig = dataclasses.field(default_factory=TrainerConfig)
    alias: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.trainer, dict):
            self.trainer = TrainerConfig(**self.trainer)
        self.levels = tuple(check_levels(list(self.levels)))
        if isinstance(self.look_back, (list, tuple)):  # JSON gives lists back
            self.look_back = tuple(self.look_back)
        if isinstance(self.skip, list):
            self.skip = tuple(self.skip)
        for name in ("past_covariates", "future_covariates", "static_features"):
            value = getattr(self, name)
            setattr(self, name, (value,) if isinstance(value, str) else tuple(value))
        self._covariate_spec()  # fail at construction on clashing names
        self._check_sizes()
        checks = [
            (self.cell in KINDS, f"unknown cell {self.cell!r}; use {', '.join(KINDS)}"),
            (self.mode in MODES, f"unknown mode {self.mode!r}; use {', '.join(MODES)}"),
            (self.skip is None or (self.skip != () and all(
                k in SKIPS for k in (self.skip if isinstance(self.skip, tuple) else
                                     (self.skip,)))),
             f"unknown skip {self.skip!r}; use {', '.join(SKIPS)} (or a tuple of them)"),
            (self.normalize in NORMALIZERS,
             f"unknown normalize {self.normalize!r}; use {', '.join(NORMALIZERS)}"),
            (self.loss in LOSSES, f"unknown loss {self.loss!r}; use {', '.join(LOSSES)}"),
            (not (self.mode == "recursive" and self.cell == "seq2seq"),
             "seq2seq decodes all steps itself; use mode='direct'"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        if self.transform and self.transform != AUTO:
            make_pipeline(self.transform)  # fail at construction on a bad spec

    def _check_sizes(self) -> None:
        """Every size within :mod:`gatecast.checks`' limits, before anything is allocated."""
        if self.look_back == ():
            raise ConfigError("look_back=() names no length; give an int, a tuple of ints or"
                              " None")
        for name, top in SIZE_LIMITS.items():
            value = getattr(self, name)
            if name == "look_back" and isinstance(value, tuple):
                self.look_back = tuple(whole_number(v, name, maximum=top) for v in value)
            elif value is not None:
                low = 0 if name in ("head_layers", "max_steps", "val_size") else 1
                setattr(self, name, whole_number(value, name, minimum=low, maximum=top))
        members = len(self._look_backs()) * len(self._skips()) * self.ensemble
        if members > MAX_MEMBERS:
            raise ConfigError(
                f"{members} ensemble members (look-backs x skips x ensemble) is above"
                f" gatecast's limit of {MAX_MEMBERS}; ask for fewer"
            )

    def _check_data_sizes(self, lengths: np.ndarray, lb: int, h_out: int, val: int) -> None:
        """An explicit look-back must fit in the longest series: one whose every window
        is mostly padding would train on copies of the first value."""
        if self.look_back is None:
            return
        room = int(lengths.max()) - h_out - val
        if lb > room:
            held = f" and the {val} held out for validation" if val else ""
            raise ConfigError(
                f"look_back={lb} is longer than the data allows: the longest series has"
                f" {int(lengths.max())} points (after the transform), {max(room, 0)} before"
                f" the horizon of {h_out}{held}; use look_back <= {max(room, 1)} or None"
                " (chosen from the data)"
            )

    def _covariate_spec(self) -> CovariateSpec:
        return CovariateSpec(self.past_covariates, self.future_covariates, self.static_features)

    @property
    def name(self) -> str:
        return self.alias or self.cell

    @property
    def supports_intervals(self) -> bool:  # type: ignore[override]
        return bool(self.levels)

    def with_horizon(self, h: int) -> Self:
        clone = self.clone()
        if clone.horizon is None:
            clone.horizon = h
        return clone

    def min_length(self) -> int:
        if self.transform == AUTO:  # at most a seasonal and a first difference
            return 3 + (self.season_length if self.season_length > 1 else 0)
        return 2 + (make_pipeline(self.transform).n_dropped if self.transform else 0)

    def _choose_transform(self, ga: Any) -> str:
        """The transform spec to fit: ``transform`` itself, or the advice for ``"auto"``."""
        if self.transform != AUTO:
            return self.transform or ""
        # The vote needs a sample, not every series: 64 picked evenly keeps it to seconds.
        picks = np.unique(np.linspace(0, ga.n_series - 1, min(ga.n_series, 64)).astype(int))
        return common_transform([ga[int(i)] for i in picks], self.season_length)

    # -- defaults from the data (see recurrent_defaults) ------------------------------------
    # -- protocol ----------------------------------------------------------------------
    def fit(self, data: Any, static: Any = None, distributed: int | bool | None = None
            ) -> Self:
        """Train on ``data`` (long frame, path or SeriesFrame); ``static``: optional frame of
        static features, one row per ``unique_id`` (else they are read from ``data``).

        ``distributed``: ``N`` trains on ``N`` local processes with torch DDP, ``True`` as
        one rank of a ``torchrun`` launch (see :mod:`gatecast.training.distributed`).
        """
        distributed = check_distributed(distributed)
        if isinstance(distributed, int) and not isinstance(distributed, bool):
            return spawn_fit(self, data, static, distributed)
        if distributed is True:
            join_env_group(self.trainer.device)
        sf = self._validated(data)
        spec = self._covariate_spec()
        ga = sf.grouped()
        spec_t = self._choose_transform(ga)
        pipeline = make_pipeline(spec_t) if spec_t else None
        series = pipeline.fit_transform(ga) if pipeline else ga
        shapes = [resolve_shapes(self, series.lengths, want) for want in self._look_backs()]
        h_out, _, _, val = shapes[0]
        for _, lb, _, _ in shapes:
            self._check_data_sizes(series.lengths, lb, h_out, val)
        train_part, val_y = split_tail(series, val) if val else (series, None)
        max_lb = max(shape[1] for shape in shapes)
        covs = hist = None
        if spec:
            head = pipeline.n_dropped if pipeline else 0
            covs, hist = fit_covariates(sf, spec, head, series.indptr, val, max_lb, static)
        quantiles = _quantiles(self.levels) if self.levels else [0.5]
        loss = make_loss("pinball" if self.levels else self.loss, quantiles)
        nets, configs, histories = [], [], []
        skips = self._skips()
        # The chosen skip pair shares the chosen step budget: same training time.
        share = len(skips) if self.skip is None and self.max_steps is None else 1
        several = len(shapes) * len(skips) * self.ensemble > 1  # checkpoint subfolders
        start = time.perf_counter()
        for _, lb, patch, _ in shapes:
            source, val_source, n_windows = self._member_sources(
                series, train_part, val_y, val, h_out, lb, covs, hist)
            cfg = self._trainer_config(n_windows, share)
            hidden, layers, head_hidden, head_layers = capacity(self, n_windows)
            for skip in skips:
                net_cfg = NetworkConfig(
                    kind=self.cell, input_size=1 + len(spec.history), look_back=lb,
                    horizon=h_out, future_size=len(spec.future), static_size=len(spec.static),
                    hidden_size=hidden, num_layers=layers, dropout=self.dropout,
                    n_outputs=len(quantiles), patch_size=patch, head_hidden=head_hidden,
                    head_layers=head_layers, skip_period=self._skip_period(lb, skip),
                )
                check_network(net_cfg, cfg.batch_size or 256)
                for _ in range(self.ensemble):
                    i = len(nets)  # member i trains with seed + i
                    member_cfg = dataclasses.replace(cfg, seed=cfg.seed + i)
                    if cfg.checkpoint_dir and several:
                        member_cfg.checkpoint_dir = f"{cfg.checkpoint_dir}/member{i}"
                    torch.manual_seed(member_cfg.seed)
                    net = build_network(net_cfg)
                    result = train_rank(net, loss, source, member_cfg, val_source)
                    nets.append(net.cpu())
                    configs.append(net_cfg)
                    histories.append(result.history.assign(member=i))
        self.fit_seconds_ = time.perf_counter() - start
        self.history_ = pd.concat(histories, ignore_index=True)
        self.network_configs_ = configs
        self.network_config_ = configs[0]
        self.nets_ = nets
        self.quantiles_ = quantiles
        self.pipeline_ = pipeline
        # [n_series, longest look_back], transformed scale; a member reads its last columns
        self.tails_ = tail_windows(series, max_lb)
        self.transform_ = spec_t or None
        self.covariates_ = covs
        self.series_ = sf.ids
        self.freq_ = sf.freq
        self.last_ds_ = sf.last_ds()
        return self

    def _skips(self) -> tuple[str, ...]:
        """The skip kinds to train (``None``:
        :data:`~gatecast.models.recurrent_defaults.DEFAULT_SKIPS`)."""
        if self.skip is None:
            return DEFAULT_SKIPS
        return self.skip if isinstance(self.skip, tuple) else (self.skip,)

    def _skip_period(self, look_back: int, skip: str) -> int:
        """The baseline's period for ``skip`` (0: no baseline)."""
        m = self.season_length
        if skip == "seasonal" and m > 1 and look_back >= m:
            return m
        return 0 if skip == "none" else 1

    def _look_backs(self) -> tuple[int | None, ...]:
        """The look-backs asked for (``None``: choose from the data)."""
        lb = self.look_back
        return lb if isinstance(lb, tuple) else (lb,)

    def _member_sources(self, series: Any, train_part: Any, val_y: np.ndarray | None,
                        val: int, h_out: int, lb: int, covs: Any, hist: np.ndarray | None
                        ) -> tuple[WindowSource, ArraySource | None, int]:
        """Training and validation batches for members with look-back ``lb``, and the
        number of training windows."""
        min_lb = max(1, min(lb, int(train_part.lengths.min()) - h_out))
        windows = make_windows(train_part, WindowSpec(lb, h_out), min_look_back=min_lb)
        source = WindowSource(windows, self.normalize, h_out)
        val_source = None
        if val_y is not None:
            val_x = tail_windows(train_part, lb)
            val_source = ArraySource(val_x, val_y[:, :h_out], self.normalize, h_out)
        if covs is not None and hist is not None:
            train_rows, _ = keep_positions(series.indptr, 0, val)
            n_fut = len(covs.spec.future)
            source.history, source.n_future = hist[train_rows], n_fut
            source.static = covs.static
            if val_source is not None:
                val_source.cov = tail_rows(hist[train_rows], train_part.indptr, lb)
                first_val = series.indptr[1:] - val  # row of each series' first held-out step
                if n_fut:
                    val_source.future = hist[first_val[:, None] + np.arange(h_out), -n_fut:]
                val_source.static = covs.static
        return source, val_source, len(windows)

    def _trainer_config(self, n_windows: int, share: int = 1) -> TrainerConfig:
        """The trainer settings with the step budget (``max_steps``, or chosen from the
        number of windows and split ``share`` ways) spread over ``trainer.epochs`` epochs."""
        cfg = self.trainer
        if cfg.batch_size is None:
            cfg = dataclasses.replace(cfg, batch_size=batch_size(n_windows))
        if self.max_steps == 0:
            return cfg
        steps = self.max_steps or auto_steps(n_windows, cfg.batch_size, share)
        epochs = min(cfg.epochs, steps)  # never more epochs than steps
        per_epoch = math.ceil(steps / epochs)
        return dataclasses.replace(cfg, epochs=epochs,
                                   steps_per_epoch=cfg.steps_per_epoch or per_epoch)

    def _configs(self) -> list[NetworkConfig]:
        """Each member's network configuration (models saved before look-back ensembles
        have one for all)."""
        configs = getattr(self, "network_configs_", None)
        return list(configs) if configs else [self.network_config_] * len(self.nets_)

    @torch.no_grad()
    def _forecast(self, h: int, future: np.ndarray | None = None) -> np.ndarray:
        """Median-combined forecasts on the original scale: ``[n_series, h, n_quantiles]``.

        ``future``: scaled known-future covariates ``[n_series, passes * horizon, F]``.
        Series go through the network in blocks of ``PREDICT_BLOCK``: memory stays bounded
        for any number of series, and a block's result does not depend on how the series
        are partitioned across workers (the engines cut partitions at whole blocks).
        """
        n = self.tails_.shape[0]
        members = []
        for net, cfg in zip(self.nets_, self._configs(), strict=True):
            net.eval()
            blocks = [self._forecast_block(net, cfg, h, slice(i, min(i + PREDICT_BLOCK, n)),
                                           future)
                      for i in range(0, n, PREDICT_BLOCK)]
            members.append(np.concatenate(blocks, axis=0))
        pred = np.median(np.stack(members), axis=0) if len(members) > 1 else members[0]
        pred = np.sort(pred, axis=-1)  # quantiles must not cross
        if self.pipeline_ is not None:
            pred = self.pipeline_.inverse_forecast(pred)
        return pred

    def _forecast_block(self, net: torch.nn.Module, cfg: NetworkConfig, h: int, rows: slice,
                        future: np.ndarray | None) -> np.ndarray:
        """One member's forecasts for the series ``rows``, on the transformed scale:
        ``[n_rows, h, n_quantiles]`` (passes of ``horizon`` steps, each fed back)."""
        covs = getattr(self, "covariates_", None)
        lb = cfg.look_back  # the stored tails are as long as the longest member's
        window = self.tails_[rows, -lb:].copy()  # [n, look_back]
        n = window.shape[0]
        static = torch.zeros((n, 0)) if covs is None else torch.from_numpy(
            covs.static[rows].astype(np.float32))
        cov_window = None if covs is None else covs.tails[rows, -lb:].copy()  # [n, lb, P+F]
        parts = []
        done = 0
        while done < h:
            loc, scale = window_stats(window, self.normalize)
            x = torch.from_numpy(((window - loc) / scale).astype(np.float32))[:, :, None]
            fut = torch.zeros((n, cfg.horizon, 0))
            if cov_window is not None and cov_window.shape[2]:
                x = torch.cat([x, torch.from_numpy(cov_window.astype(np.float32))], dim=2)
            if future is not None:
                block = future[rows, done:done + cfg.horizon]  # [n, horizon, F]
                fut = torch.from_numpy(block.astype(np.float32))
            out = net(x, fut, static).numpy()
            out = out * scale[:, :, None] + loc[:, :, None]  # [n, horizon, q]
            parts.append(out)
            done += cfg.horizon
            median = out[:, :, self.quantiles_.index(0.5)]
            window = np.concatenate([window, median], axis=1)[:, -cfg.look_back:]
            if cov_window is not None and cov_window.shape[2] and done < h:
                # Only known-future covariates can be extended (checked in predict).
                cov_window = np.concatenate([cov_window, block], axis=1)[:, -cfg.look_back:]
        return np.concatenate(parts, axis=1)[:, :h]

    def _future_values(self, h: int, future: Any) -> np.ndarray | None:
        """Scaled known-future covariates for every pass of :meth:`_forecast`, after
        checking that the model can forecast ``h`` steps with the covariates it has."""
        covs = getattr(self, "covariates_", None)
        if covs is None:
            return None
        horizon = self.network_config_.horizon
        if covs.n_past and h > horizon:
            raise ConfigError(
                f"{self.name} uses past-only covariates {list(covs.spec.past)}, whose values"
                f" after the forecast origin are unknown, so it forecasts at most {horizon}"
                f" step(s); ask for h <= {horizon} or create it with horizon={h}")
        if not covs.spec.future:
            return None
        steps = math.ceil(h / horizon) * horizon
        raw = future_block(future, self.series_, self.last_ds_, self.freq_, covs.spec.future,
                           steps)  # [n, steps, F]
        scaler = covs.history_scaler
        return (raw - scaler.loc[covs.n_past:]) / scaler.scale[covs.n_past:]

    def predict(self, h: int, level: list[float] | None = None, ids: Any = None,
                future: Any = None) -> pd.DataFrame:
        """Forecast ``h`` steps after the end of every fitted series.

        ``future``: for a model with ``future_covariates``, a frame with ``unique_id``,
        ``ds`` and those columns for the steps after each series' end (whole passes of
        ``horizon`` steps: ``ceil(h / horizon) * horizon`` rows per series).
        """
        if not hasattr(self, "nets_"):
            raise NotFittedError(f"{self.name} is not fitted yet; call fit(frame) first")
        h = check_horizon(h)
        levels = check_levels(level)
        missing = [lv for lv in levels if lv not in self.levels]
        if missing:
            raise ConfigError(
                f"{self.name} was trained without interval level(s) {missing}; create it with"
                f" levels={tuple(sorted(set(self.levels) | set(missing)))}"
            )
        wanted = None if ids is None else fitted_positions(self.series_, ids)
        check_forecast_memory(len(self.series_), h, len(levels))
        rows = min(len(self.series_), PREDICT_BLOCK)  # a forward pass's batch
        work = max(network_work(net, rows) for net in self.nets_)
        with limit_threads(work, self.trainer.threads):
            pred = self._forecast(h, self._future_values(h, future))
        q = self.quantiles_
        mean = pred[:, :, q.index(0.5)]
        intervals = {lv: (pred[:, :, q.index(0.5 - lv / 200)], pred[:, :, q.index(0.5 + lv / 200)])
                     for lv in levels}
        out = forecast_frame(self.series_, self.last_ds_, self.freq_, self.name, mean, intervals)
        return select_series(out, wanted, h)

    def forward(self, data: Any, h: int, level: list[float] | None = None,
                future: Any = None) -> pd.DataFrame:
        """Forecast after the end of ``data`` with the trained network (no retraining)."""
        sf = self._validated(data)
        fitted_positions(self.series_, sf.ids)
        pos = sf.position(self.series_)
        ga = sf.grouped().take(pos)
        covs = getattr(self, "covariates_", None)
        saved = (self.tails_, self.last_ds_, self.pipeline_, covs)
        try:
            if self.pipeline_ is not None:
                self.pipeline_ = make_pipeline(self.transform_)
                series = self.pipeline_.fit_transform(ga)
            else:
                series = ga
            lb = max(cfg.look_back for cfg in self._configs())
            self.tails_ = tail_windows(series, lb)
            self.last_ds_ = sf.last_ds()[pos]
            if covs is not None:
                rows = np.concatenate([np.arange(sf.indptr[p], sf.indptr[p + 1]) for p in pos])
                hist = covs.history_scaler(history_matrix(sf, covs.spec)[rows])
                head = self.pipeline_.n_dropped if self.pipeline_ is not None else 0
                keep, _ = keep_positions(ga.indptr, head, 0)
                self.covariates_ = dataclasses.replace(
                    covs, tails=tail_rows(hist[keep], series.indptr, lb))
            return self.predict(h, level=level, future=future)
        finally:
            self.tails_, self.last_ds_, self.pipeline_, self.covariates_ = saved

    def save(self, path: Any) -> Any:
        """Write ``config.json`` + ``weights.safetensors`` into the directory ``path``."""
        return save_recurrent(self, path)

    @classmethod
    def load(cls, path: Any) -> Any:
        return load_recurrent(path)

    def export_onnx(self, path: Any) -> Any:
        """Write ``member{k}.onnx`` per ensemble member + ``onnx.json`` into directory ``path``.

        Needs ``pip install gatecast[onnx]``; see :mod:`gatecast.io.onnx` for the format.
        """
        return export_forecaster(self, path)


# Short names users expect; each only changes the default ``cell``.
@dataclasses.dataclass(kw_only=True)
class RNN(RecurrentForecaster):
    cell: str = "rnn"


@dataclasses.dataclass(kw_only=True)
class LSTM(RecurrentForecaster):
    cell: str = "lstm"


@dataclasses.dataclass(kw_only=True)
class GRU(RecurrentForecaster):
    cell: str = "gru"


@dataclasses.dataclass(kw_only=True)
class PeepholeLSTM(RecurrentForecaster):
    cell: str = "peephole"


@dataclasses.dataclass(kw_only=True)
class Seq2Seq(RecurrentForecaster):
    cell: str = "seq2seq"


@dataclasses.dataclass(kw_only=True)
class CNNLSTM(RecurrentForecaster):
    cell: str = "cnn-lstm"


@dataclasses.dataclass(kw_only=True)
class MLP(RecurrentForecaster):
    cell: str = "mlp"
