"""``Pretrained``: a recurrent network pretrained on a synthetic corpus, forecasting
zero-shot (or after a short fine-tuning on the user's series).

``fit`` stores each series' last points (the contexts) and, with ``finetune=N``, trains a
copy of the network N steps on windows of those series (seeded); ``predict`` runs the
network. Nothing is fitted on data that ``fit`` was not given, so backtests cannot leak.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file, save_file

from gatecast._version import __version__
from gatecast.checks import MAX_SEASON_LENGTH, whole_number
from gatecast.data.freq import parse_freq
from gatecast.data.season import check_season_length
from gatecast.errors import ConfigError, DataError
from gatecast.io.serialize import ds_from_json, ds_to_json
from gatecast.models.base import (
    BaseForecaster,
    check_horizon,
    check_levels,
    fitted_positions,
    forecast_frame,
    select_series,
)
from gatecast.pretrained.finetune import finetune
from gatecast.pretrained.inference import (
    forecast,
    interpolate,
    level_quantiles,
    max_horizon,
)
from gatecast.pretrained.network import build, count_members
from gatecast.pretrained.store import cached_weights, members_in, net_config
from gatecast.pretrained.views import MAX_SEASON_WINDOW, RECENT_SEASONS

MAX_FINETUNE = 100_000


@dataclasses.dataclass(kw_only=True)
class Pretrained(BaseForecaster):
    """A pretrained LSTM forecaster with quantile intervals (see docs/pretrained.md).

    Args:
        season_length: the series' season; ``None``: from the data's frequency (hourly 24,
            half-hourly 48, daily 7, business-daily 5, weekly 52, monthly 12, quarterly 4,
            yearly and integer steps 1; the table of :mod:`gatecast.data.season`).
        weights: a folder of ``config.json`` + ``model.safetensors`` (``gatecast
            pretrain``); ``None``: the weights shipped with gatecast.
        finetune: optimiser steps of fine-tuning on windows of the fitted series (0:
            zero-shot).
        finetune_lr: the fine-tuning learning rate (annealed to 0 by a cosine).
        context: read at most this many last points of each series (default and maximum:
            the network's ``max_context``).
        seed: seeds the fine-tuning windows and updates.
        log_average: average each positive series' forecast with the one made on its
            logarithms (``docs/pretrained.md``, "The log average"); models saved before this
            option existed load with ``False``, so they forecast as they did.
        seasonal_view: average each seasonal series' forecast (three seasons or more read)
            with the forecast of its seasonally adjusted points, the season put back
            (``docs/pretrained.md``, "The seasonal view"); models saved before this option
            existed load with ``False``.
        season_window: the seasonal view's indices average the last this many seasons read
            (``None``: every season read); models saved before it load with ``None``.
    """

    supports_intervals: ClassVar[bool] = True
    season_length: int | None = None
    weights: str | None = None
    finetune: int = 0
    finetune_lr: float = 1e-4
    context: int | None = None
    seed: int = 0
    log_average: bool = True
    seasonal_view: bool = True
    season_window: int | None = RECENT_SEASONS
    alias: str | None = None

    def __post_init__(self) -> None:
        check_season_length(self.season_length)
        # whole numbers stored as ints: 5.0 is accepted, and slices and step counts need 5
        self.finetune = whole_number(self.finetune, "finetune", minimum=0, maximum=MAX_FINETUNE)
        self.seed = whole_number(self.seed, "seed", minimum=0)
        if self.context is not None:
            self.context = whole_number(self.context, "context", minimum=2, maximum=100_000)
        if not (isinstance(self.finetune_lr, (int, float)) and 0 < self.finetune_lr < 1):
            raise ConfigError(f"finetune_lr must be in (0, 1), got {self.finetune_lr!r}")
        if self.weights is not None and not isinstance(self.weights, (str, os.PathLike)):
            raise ConfigError(f"weights must be a folder path, got {self.weights!r}")
        for name in ("log_average", "seasonal_view"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.season_window is not None:
            self.season_window = whole_number(self.season_window, "season_window", minimum=1,
                                              maximum=MAX_SEASON_WINDOW)
        if self.weights is not None:
            self.weights = str(self.weights)

    def min_length(self) -> int:
        return 3

    def choices(self) -> dict[str, str]:
        members = count_members(self.net_)
        return {"network": f"pretrained LSTM, {members} member(s)",
                "fit": f"fine-tuned {self.finetune} steps" if self.finetune else "zero-shot",
                "log average": "on (positive series)" if self.log_average else "off",
                "seasonal view": self._seasonal_choice()}

    def _seasonal_choice(self) -> str:
        if not self.seasonal_view:
            return "off"
        read = ("every season" if self.season_window is None
                else f"the last {self.season_window} seasons")
        return f"on (three seasons or more; indices from {read} read)"

    def fit(self, data: Any) -> Self:
        """Store the contexts (and fine-tune when ``finetune`` > 0)."""
        _, sf, m = self._fit_frame(data)
        base = cached_weights(self.weights)
        ga = sf.grouped()
        keep = max(base.cfg.max_context, 1)
        self.contexts_ = [np.asarray(ga[i][-keep:], dtype=np.float64)
                          for i in range(sf.n_series)]
        self.season_length_ = int(m)
        net = base
        if self.finetune:
            full = [(np.asarray(ga[i], dtype=np.float32), int(m)) for i in range(sf.n_series)]
            net = finetune(base, full, self.finetune, self.finetune_lr, self.seed)
        self.net_ = net
        self.series_ = sf.ids
        self.freq_ = sf.freq
        self.last_ds_ = sf.last_ds()
        return self

    def predict(self, h: int, level: list[float] | None = None, ids: Any = None
                ) -> pd.DataFrame:
        """Median forecasts (and quantile intervals for ``level``) ``h`` steps ahead."""
        self._check_fitted()
        return self._forecast_from(self.contexts_, self.last_ds_, h, level, ids)

    def forward(self, data: Any, h: int, level: list[float] | None = None) -> pd.DataFrame:
        """Forecast after the end of ``data`` with the fitted network (fine-tuned, when it
        was), reading ``data``'s last points; nothing of the model changes. ``data`` must
        hold the series given to ``fit``."""
        self._check_fitted()
        sf = self._validated(data)
        fitted_positions(self.series_, sf.ids)  # every series must be known
        pos = sf.position(self.series_)  # and every fitted one present
        ga = sf.grouped().take(pos)
        keep = max(self.net_.cfg.max_context, 1)
        contexts = [np.asarray(ga[i][-keep:], dtype=np.float64) for i in range(ga.n_series)]
        return self._forecast_from(contexts, sf.last_ds()[pos], h, level, None)

    def _forecast_from(self, contexts: list[np.ndarray], last_ds: Any, h: int,
                       level: list[float] | None, ids: Any) -> pd.DataFrame:
        h = check_horizon(h)
        if h > max_horizon(self.net_):
            raise ConfigError(f"{self.name} forecasts at most {max_horizon(self.net_)} steps"
                              f" ahead; got h={h}")
        levels = check_levels(level)
        qs = self.net_.cfg.quantiles
        level_quantiles(levels, qs)
        wanted = None if ids is None else fitted_positions(self.series_, ids)
        seasons = np.full(len(contexts), self.season_length_)
        q = forecast(self.net_, contexts, seasons, h, self.context, self.log_average,
                     self.seasonal_view, self.season_window)
        mean = q[..., qs.index(0.5)]
        intervals = {lv: (interpolate(q, qs, 0.5 - lv / 200), interpolate(q, qs, 0.5 + lv / 200))
                     for lv in levels}
        out = forecast_frame(self.series_, last_ds, self.freq_, self.name, mean, intervals)
        return select_series(out, wanted, h)

    # -- saving: config.json + weights.safetensors (the network and the contexts) ---------
    def save(self, path: str | Path) -> Path:
        """Write the fitted model into the folder ``path`` (no pickle)."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {f"net.{k}": v.detach().cpu().contiguous()
                   for k, v in self.net_.state_dict().items()}
        lengths = np.array([len(c) for c in self.contexts_], dtype=np.int64)
        tensors["contexts"] = torch.from_numpy(np.concatenate(self.contexts_))
        tensors["lengths"] = torch.from_numpy(lengths)
        freq = self.freq_ if isinstance(self.freq_, int) else self.freq_.freqstr
        last = ds_to_json(np.asarray(self.last_ds_))  # a time zone is kept
        config = {
            "format": 1, "gatecast_version": __version__,
            "class": f"{type(self).__module__}:{type(self).__qualname__}",
            "params": self.get_params(),
            "fitted": {"series": np.asarray(self.series_, dtype=object).tolist(),
                       "freq": freq, "last_ds": last, "season_length": self.season_length_,
                       "network": dataclasses.asdict(self.net_.cfg),
                       "members": count_members(self.net_)},
        }
        fd, tmp = tempfile.mkstemp(dir=path, prefix=".weights.")
        os.close(fd)
        save_file(tensors, tmp)
        os.replace(tmp, path / "weights.safetensors")
        fd, tmp = tempfile.mkstemp(dir=path, prefix=".config.")
        with os.fdopen(fd, "w") as fh:
            json.dump(config, fh, indent=2, default=str)
        os.replace(tmp, path / "config.json")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Pretrained:
        """Rebuild a model written by :meth:`save`."""
        path = Path(path)
        try:
            config = json.loads((path / "config.json").read_text())
            tensors = load_file(str(path / "weights.safetensors"))
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read a saved pretrained model at {path} ({exc})") from exc
        fitted = config.get("fitted", {})
        try:
            # files from before the log average / seasonal view / its window forecast
            # without them
            model = cls(**{"log_average": False, "seasonal_view": False,
                           "season_window": None, **config.get("params", {})})
            where = str(path / "config.json")
            net = build(net_config(fitted.get("network"), where), members_in(fitted, where))
            net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
            lengths = tensors["lengths"].numpy()
            values = tensors["contexts"].numpy()
            freq = parse_freq(fitted["freq"])
            model.season_length_ = whole_number(fitted["season_length"], "season_length",
                                                maximum=MAX_SEASON_LENGTH)
        except (KeyError, TypeError, RuntimeError, AttributeError) as exc:
            raise DataError(f"{path} is not a saved pretrained model ({exc})") from exc
        if lengths.sum() != values.size or np.any(lengths < 1):
            raise DataError(f"{path}: stored contexts do not match their lengths")
        net.eval()
        model.net_ = net
        model.contexts_ = np.split(values, np.cumsum(lengths)[:-1])
        model.series_ = np.asarray(fitted["series"], dtype=object)
        model.freq_ = freq
        model.last_ds_ = ds_from_json(fitted["last_ds"], freq)
        return model
