"""Global recurrent forecasters: one network trained on windows of many series.

``RecurrentForecaster`` = a network spec (:mod:`gatecast.nn`) + a window spec + per-window
normalisation + an optional per-series transform + the trainer; the specs are in
:mod:`~gatecast.models.recurrent_specs`; ``LSTM``, ``GRU``, ... only set the default ``cell``.
``fit`` = prepare the data (:mod:`~gatecast.models.recurrent_prepare`) + train the members
(:mod:`~gatecast.models.recurrent_ensemble`); ``predict`` and ``forward`` forecast from an
explicit state (:mod:`~gatecast.models.recurrent_predict`). ``direct`` mode predicts
``horizon`` steps in one pass; ``recursive`` predicts one step and feeds it back ``h`` times,
as the tutorials do. Everything fitted is fitted inside :meth:`fit` on the data given to it,
so backtests cannot leak.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from gatecast.catalog import KINDS
from gatecast.checks import check_forecast_memory
from gatecast.data.transforms import make_pipeline
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
    history_matrix,
    keep_positions,
    tail_rows,
)
from gatecast.models.recurrent_data import tail_windows
from gatecast.models.recurrent_ensemble import quantiles_for, train_members, warm_start_of
from gatecast.models.recurrent_io import load_recurrent, save_recurrent
from gatecast.models.recurrent_predict import ForecastState, forecast, future_values
from gatecast.models.recurrent_prepare import prepare
from gatecast.models.recurrent_pretrained import check_mode, combine, fitted_part, part_of
from gatecast.models.recurrent_specs import (
    AUTO,
    FLAT,
    TRAINER_FLAT,
    EnsembleSpec,
    NetworkSpec,
    WindowConfig,
    build_specs,
    check_together,
)
from gatecast.nn import NetworkConfig
from gatecast.threads import limit_threads, network_work
from gatecast.training.config import TrainerConfig
from gatecast.training.distributed import check_distributed, join_env_group, spawn_fit
from gatecast.training.losses import LOSSES

__all__ = ["CNNLSTM", "GRU", "KINDS", "LSTM", "MLP", "PREDICT_BLOCK", "RNN", "PeepholeLSTM",
           "RecurrentForecaster", "Seq2Seq"]

#: Series per forward pass when forecasting (bounded memory; see ``recurrent_predict``).
PREDICT_BLOCK = BaseForecaster.predict_block


class _Flat:
    """A flat parameter (``model.look_back``) read from, and written to, its spec; a write
    replaces the spec, so the new value is checked as at construction."""

    def __init__(self, spec: str, field: str) -> None:
        self.spec, self.field = spec, field

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return self if obj is None else getattr(getattr(obj, self.spec), self.field)

    def __set__(self, obj: Any, value: Any) -> None:
        spec = getattr(obj, self.spec)
        setattr(obj, self.spec, dataclasses.replace(spec, **{self.field: value}))


@dataclasses.dataclass(init=False)
class RecurrentForecaster(BaseForecaster):
    """A global recurrent forecaster. Every ``None`` is chosen from the data in ``fit``.

    Takes the specs (``window=WindowConfig(...)``, ``network=NetworkSpec(...)``,
    ``members=EnsembleSpec(...)``, ``covariates=CovariateSpec(...)``,
    ``trainer=TrainerConfig(...)``) or, as most users write it, their fields as flat
    keywords, which override the fields of a spec given whole::

        LSTM(look_back=24, hidden_size=64, max_steps=500, seed=0)

    Window (:class:`~gatecast.models.recurrent_specs.WindowConfig`): ``look_back`` (an int,
    or a tuple of lengths to median-ensemble over), ``horizon``, ``mode`` (``direct`` or
    ``recursive``), ``season_length`` (``None``: from the data's frequency, kept as
    ``season_length_``), ``val_size``, ``normalize``, ``transform``.
    Network (:class:`~gatecast.models.recurrent_specs.NetworkSpec`): ``cell``,
    ``hidden_size``, ``num_layers``, ``dropout``, ``patch_size``, ``head_hidden``,
    ``head_layers``; by default 64, 1, 64, 2 below 20,000 training windows and 128, 2,
    128, 1 above (:func:`~gatecast.models.recurrent_defaults.capacity`). ``hidden_size``
    and ``head_hidden`` also take per-layer widths, ``head_activation`` and
    ``output_activation`` name activations: ``hidden_size=(50, 100), head_hidden=(64, 32),
    output_activation="tanh"`` is Keras' LSTM(50) -> LSTM(100) -> Dense(64) -> Dense(32) ->
    Dense(1, tanh).
    Members (:class:`~gatecast.models.recurrent_specs.EnsembleSpec`): ``skip`` (``None``: a
    plain network and one learning the correction to seasonal naive, median-combined),
    ``ensemble`` (seeds per look-back and skip kind).
    Covariates: ``past_covariates`` (known up to the forecast origin; such a model forecasts
    at most ``horizon`` steps), ``future_covariates`` (known in advance: ``predict`` needs
    ``future=``), ``static_features`` (per-series constants, from the frame or
    ``fit(..., static=frame)``); standardised column-wise on the training data.
    Trainer (:class:`~gatecast.training.config.TrainerConfig`): any of its fields, e.g.
    ``seed``, ``lr``, ``max_steps`` (the step budget; ``None``: chosen from the number of
    windows, ``0``: ``epochs`` full passes).

    Args:
        loss: ``mae`` (default), ``mse``, ``huber`` (or ``pinball``, implied by ``levels``).
            MAE forecasts the median, which the M4 scores (sMAPE, MASE) reward.
        levels: interval levels to train quantile outputs for, e.g. ``(80, 95)``.
        pretrained: ``"auto"`` (default): on short data (fewer than 20,000 training
            windows, no covariates, direct mode) the default network (an LSTM whose shape
            is left to the data) averages its forecast with the pretrained network's;
            ``"on"``: always; ``"off"``: never (see
            :mod:`gatecast.models.recurrent_pretrained`).
        alias: the forecast column's name (default: the cell).
    """

    window: WindowConfig
    network: NetworkSpec
    members: EnsembleSpec
    covariates: CovariateSpec
    trainer: TrainerConfig
    loss: str = "mae"
    levels: tuple[float, ...] = ()
    pretrained: str = "auto"
    alias: str | None = None

    #: The network kind when neither ``cell=`` nor ``network=`` says (``LSTM``: "lstm").
    default_cell: ClassVar[str] = "lstm"
    #: Series per forward pass when forecasting; the engines cut partitions at whole blocks.
    predict_block: ClassVar[int] = PREDICT_BLOCK
    #: ``fit(..., start_from=fitted)`` trains from fitted weights (backtest warm starts).
    warm_starts: ClassVar[bool] = True

    def __init__(self, *, window: Any = None, network: Any = None, members: Any = None,
                 covariates: Any = None, trainer: Any = None, loss: str = "mae",
                 levels: Any = (), pretrained: str = "auto", alias: str | None = None,
                 **flat: Any) -> None:
        given = {"window": window, "network": network, "members": members,
                 "covariates": covariates, "trainer": trainer}
        try:
            specs = build_specs(given, flat, self.default_cell)
        except TypeError as exc:  # name the class, as a dataclass __init__ would
            raise TypeError(f"{type(self).__name__}.__init__() got an {exc}") from None
        self.window, self.network = specs["window"], specs["network"]
        self.members, self.covariates = specs["members"], specs["covariates"]
        self.trainer = specs["trainer"]
        self.loss, self.levels, self.alias = loss, tuple(check_levels(list(levels))), alias
        self.pretrained = check_mode(pretrained)
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; use {', '.join(LOSSES)}")
        check_together(self.window, self.network, self.members)

    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """Every keyword the constructor takes: flat ones, the specs and the trainer's."""
        return (*FLAT, "loss", "levels", "pretrained", "alias", *TRAINER_FLAT, "window",
                "network",
                "members", "covariates", "trainer")

    def get_params(self) -> dict[str, Any]:
        """The flat parameters (what ``config.json`` holds), with the trainer's config."""
        return {**{name: getattr(self, name) for name in FLAT}, "loss": self.loss,
                "levels": self.levels, "pretrained": self.pretrained, "trainer": self.trainer,
                "alias": self.alias}

    @property
    def name(self) -> str:
        return self.alias or self.network.cell

    @property
    def supports_intervals(self) -> bool:  # type: ignore[override]
        return bool(self.levels)

    def with_horizon(self, h: int) -> Self:
        clone = self.clone()
        if clone.window.horizon is None and clone.window.mode == "direct":
            clone.window = dataclasses.replace(clone.window, horizon=h)
        return clone

    def min_length(self) -> int:
        transform, m = self.window.transform, self._season()
        if transform == AUTO:  # at most a seasonal and a first difference
            return 3 + (m if m > 1 else 0)
        return 2 + (make_pipeline(transform).n_dropped if transform else 0)

    # -- protocol ----------------------------------------------------------------------
    def fit(self, data: Any, static: Any = None, distributed: int | bool | None = None,
            start_from: Any = None) -> Self:
        """Train on ``data`` (long frame, path or SeriesFrame); ``static``: optional frame of
        static features, one row per ``unique_id`` (else they are read from ``data``).

        ``distributed``: ``N`` trains on ``N`` local processes with torch DDP, ``True`` as
        one rank of a ``torchrun`` launch (see :mod:`gatecast.training.distributed`).
        ``start_from``: a fitted recurrent forecaster to warm-start from (backtests do it
        between folds; see :func:`~gatecast.models.recurrent_ensemble.warm_start_of`).
        """
        distributed = check_distributed(distributed)
        start_nets = warm_start_of(start_from)
        if isinstance(distributed, int) and not isinstance(distributed, bool):
            if start_nets is not None:  # the ranks would not receive the weights
                raise ConfigError("a warm start (start_from=) trains in one process")
            return spawn_fit(self, data, static, distributed)
        if distributed is True:
            join_env_group(self.trainer.device)
        work, sf, m = self._fit_frame(data)  # ``work``: this model with the season settled
        prepared = prepare(work, sf, static)
        start = time.perf_counter()
        nets, configs, history, n_windows = train_members(work, prepared, start_nets)
        self.fit_seconds_ = time.perf_counter() - start
        self.history_ = history
        self.network_configs_ = configs
        self.network_config_ = configs[0]
        self.nets_ = nets
        self.quantiles_ = quantiles_for(self.levels) if self.levels else [0.5]
        self.pipeline_ = prepared.pipeline
        # [n_series, longest look_back], transformed scale; a member reads its last columns
        self.tails_ = tail_windows(prepared.series, prepared.longest)
        self.transform_ = prepared.transform or None
        self.covariates_ = prepared.covariates
        self.pretrained_ = fitted_part(self, sf.grouped(), n_windows, m, configs,
                                       prepared.covariates is not None)
        self.season_length_ = m
        self.series_ = sf.ids
        self.freq_ = sf.freq
        self.last_ds_ = sf.last_ds()
        return self

    def choices(self) -> dict[str, str]:
        configs = self._configs()
        cfg = configs[0]
        kinds = {0: "plain", 1: "naive skip"}
        members = ", ".join(f"{kinds.get(c.skip_period, f'seasonal skip {c.skip_period}')}"
                            f" look-back {c.look_back}" for c in configs)
        out = {"networks": f"{cfg.summary()}: {members}"}
        if self.transform_:
            out["transform"] = self.transform_
        if getattr(self, "pretrained_", None) is not None:
            out["pretrained"] = self.pretrained_.describe()
        return out

    def _configs(self) -> list[NetworkConfig]:
        """Each member's network configuration (models saved before look-back ensembles
        have one for all)."""
        configs = getattr(self, "network_configs_", None)
        return list(configs) if configs else [self.network_config_] * len(self.nets_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "nets_"):
            raise NotFittedError(f"{self.name} is not fitted yet; call fit(frame) first")

    def _fitted_state(self) -> ForecastState:
        """Where ``predict`` starts: the end of the series given to ``fit``."""
        return ForecastState(self.tails_, self.pipeline_, getattr(self, "covariates_", None),
                             self.series_, self.last_ds_, self.freq_,
                             getattr(self, "pretrained_", None))

    def _state_from(self, data: Any) -> ForecastState:
        """Where ``forward`` starts: the end of ``data``'s series (the fitted ones, in the
        fitted order), with the transform refitted on them; nothing of ``self`` changes."""
        sf = self._validated(data)
        fitted_positions(self.series_, sf.ids)
        pos = sf.position(self.series_)
        ga = sf.grouped().take(pos)
        pipeline = make_pipeline(self.transform_) if self.pipeline_ is not None else None
        series = pipeline.fit_transform(ga) if pipeline is not None else ga
        lb = max(cfg.look_back for cfg in self._configs())
        covs = getattr(self, "covariates_", None)
        if covs is not None:
            rows = np.concatenate([np.arange(sf.indptr[p], sf.indptr[p + 1]) for p in pos])
            hist = covs.history_scaler(history_matrix(sf, covs.spec)[rows])
            head = pipeline.n_dropped if pipeline is not None else 0
            keep, _ = keep_positions(ga.indptr, head, 0)
            covs = dataclasses.replace(covs, tails=tail_rows(hist[keep], series.indptr, lb))
        part = getattr(self, "pretrained_", None)
        if part is not None:
            part = part_of([ga[i] for i in range(ga.n_series)], part.season_length, part)
        return ForecastState(tail_windows(series, lb), pipeline, covs, self.series_,
                             sf.last_ds()[pos], self.freq_, part)

    def predict(self, h: int, level: list[float] | None = None, ids: Any = None,
                future: Any = None) -> pd.DataFrame:
        """Forecast ``h`` steps after the end of every fitted series (or only ``ids``).

        ``future``: for a model with ``future_covariates``, a frame with ``unique_id``,
        ``ds`` and those columns for the steps after each series' end (whole passes of
        ``horizon`` steps: ``ceil(h / horizon) * horizon`` rows per series).
        """
        self._check_fitted()
        return self._forecast_from(self._fitted_state(), h, level, ids, future)

    def forward(self, data: Any, h: int, level: list[float] | None = None,
                future: Any = None) -> pd.DataFrame:
        """Forecast after the end of ``data`` with the trained network (no retraining).

        ``data`` must hold the series given to ``fit``. The fitted model is left as it is,
        so calls may overlap (threads, or a ``predict`` inside a ``forward``)."""
        self._check_fitted()
        return self._forecast_from(self._state_from(data), h, level, None, future)

    def _forecast_from(self, state: ForecastState, h: int, level: list[float] | None,
                       ids: Any, future: Any) -> pd.DataFrame:
        h = check_horizon(h)
        levels = check_levels(level)
        missing = [lv for lv in levels if lv not in self.levels]
        if missing:
            raise ConfigError(
                f"{self.name} was trained without interval level(s) {missing}; create it with"
                f" levels={tuple(sorted(set(self.levels) | set(missing)))}"
            )
        wanted = None if ids is None else fitted_positions(state.series, ids)
        check_forecast_memory(len(state.series), h, len(levels))
        rows = min(len(state.series), self.predict_block)  # a forward pass's batch
        work = max(network_work(net, rows) for net in self.nets_)
        with limit_threads(work, self.trainer.threads):
            fut = future_values(state, self.network_config_.horizon, h, future, self.name)
            pred = forecast(self.nets_, self._configs(), state, h, self.window.normalize,
                            self.quantiles_, self.predict_block, fut)
            if state.pretrained is not None:
                pred = combine(pred, self.quantiles_, state.pretrained, h)
        q = self.quantiles_
        mean = pred[:, :, q.index(0.5)]
        intervals = {lv: (pred[:, :, q.index(0.5 - lv / 200)], pred[:, :, q.index(0.5 + lv / 200)])
                     for lv in levels}
        out = forecast_frame(state.series, state.last_ds, state.freq, self.name, mean,
                             intervals)
        return select_series(out, wanted, h)

    def save(self, path: Any) -> Any:
        """Write ``config.json`` + ``weights.safetensors`` into the directory ``path``."""
        return save_recurrent(self, path)

    @classmethod
    def load(cls, path: Any) -> Any:
        return load_recurrent(path)

    def export_onnx(self, path: Any) -> Any:
        """Write ``member{k}.onnx`` per ensemble member + ``onnx.json`` into directory ``path``.

        Needs ``pip install gatecast[onnx]``; see :mod:`gatecast.io.onnx` for the format.
        A model that adds the pretrained forecast (short data) cannot be exported: fit it
        with ``pretrained="off"``.
        """
        if getattr(self, "pretrained_", None) is not None:
            raise ConfigError(f"{self.name} adds the pretrained network's forecast, which the"
                              " ONNX export does not hold; fit it with pretrained='off' to"
                              " export")
        return export_forecaster(self, path)


# ``model.look_back``, ``model.hidden_size``, ...: the flat names read and write the specs.
for _name, (_spec, _field) in FLAT.items():
    setattr(RecurrentForecaster, _name, _Flat(_spec, _field))


# Short names users expect; each only changes the default ``cell`` (one level below
# RecurrentForecaster; a saved model names its class, so these stay classes).
class RNN(RecurrentForecaster):
    default_cell = "rnn"


class LSTM(RecurrentForecaster):
    default_cell = "lstm"


class GRU(RecurrentForecaster):
    default_cell = "gru"


class PeepholeLSTM(RecurrentForecaster):
    default_cell = "peephole"


class Seq2Seq(RecurrentForecaster):
    default_cell = "seq2seq"


class CNNLSTM(RecurrentForecaster):
    default_cell = "cnn-lstm"


class MLP(RecurrentForecaster):
    default_cell = "mlp"
