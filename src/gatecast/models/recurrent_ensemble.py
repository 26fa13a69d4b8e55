"""The recurrent forecaster's members: one network per look-back x skip kind x seed.

Each member is a network built from its :class:`~gatecast.nn.NetworkConfig` and trained by
the trainer (:mod:`gatecast.training`) on windows cut with its look-back; the forecaster
median-combines their forecasts. Member ``i`` trains with seed ``seed + i``, so a member
of an ensemble equals the single model trained with that seed. The step budget belongs to
the trainer (``TrainerConfig.max_steps``); here only its default is chosen from the data.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch

from gatecast.checks import check_network
from gatecast.data.windows import WindowSpec, make_windows
from gatecast.errors import ConfigError
from gatecast.models.recurrent_covariates import keep_positions, tail_rows
from gatecast.models.recurrent_data import ArraySource, WindowSource, tail_windows
from gatecast.models.recurrent_defaults import auto_steps, batch_size, capacity, warm_budget
from gatecast.models.recurrent_prepare import TrainingData
from gatecast.nn import NetworkConfig, build_network
from gatecast.nn.activations import RANGES, outside_share
from gatecast.training.config import TrainerConfig
from gatecast.training.distributed import train_rank
from gatecast.training.losses import make_loss


def quantiles_for(levels: tuple[float, ...]) -> list[float]:
    """The median and both ends of every interval level, sorted."""
    qs = {0.5}
    for lv in levels:
        qs |= {0.5 - lv / 200, 0.5 + lv / 200}
    return sorted(qs)


def skip_period(season_length: int, look_back: int, skip: str) -> int:
    """The baseline's period for ``skip`` (0: no baseline): the season when the window
    holds one, else the last value (naive)."""
    if skip == "seasonal" and season_length > 1 and look_back >= season_length:
        return season_length
    return 0 if skip == "none" else 1


def member_trainer(cfg: TrainerConfig, n_windows: int, share: int = 1) -> TrainerConfig:
    """The trainer settings for members trained on ``n_windows`` windows: what ``cfg``
    leaves ``None`` chosen from the data, the batch size and the step budget (split
    ``share`` ways; none when ``steps_per_epoch`` sets the epochs' length)."""
    if cfg.batch_size is None:
        cfg = dataclasses.replace(cfg, batch_size=batch_size(n_windows))
    if cfg.max_steps is None and cfg.steps_per_epoch is None:
        cfg = dataclasses.replace(cfg, max_steps=auto_steps(n_windows, cfg.batch_size, share))
    return cfg


def warm_trainer(cfg: TrainerConfig) -> TrainerConfig:
    """``cfg`` (from :func:`member_trainer`) for a member that starts from fitted weights:
    its step budget cut to :func:`~gatecast.models.recurrent_defaults.warm_budget` (the
    epochs, where ``max_steps=0`` or ``steps_per_epoch`` count the budget in epochs)."""
    if cfg.max_steps and cfg.steps_per_epoch is None:
        return dataclasses.replace(cfg, max_steps=warm_budget(cfg.max_steps))
    return dataclasses.replace(cfg, max_steps=0 if cfg.max_steps == 0 else None,
                               epochs=warm_budget(cfg.epochs))


def member_sources(data: TrainingData, lb: int, normalize: str
                   ) -> tuple[WindowSource, ArraySource | None, int]:
    """Training and validation batches for members with look-back ``lb``, and the number
    of training windows."""
    h_out, val, series, train_part = data.horizon, data.val, data.series, data.train_part
    min_lb = max(1, min(lb, int(train_part.lengths.min()) - h_out))
    windows = make_windows(train_part, WindowSpec(lb, h_out), min_look_back=min_lb)
    source = WindowSource(windows, normalize, h_out)
    val_source = None
    if data.val_y is not None:
        val_x = tail_windows(train_part, lb)
        val_source = ArraySource(val_x, data.val_y[:, :h_out], normalize, h_out)
    covs, hist = data.covariates, data.history
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


def unreachable(activation: str, source: WindowSource, period: int, sample: int = 4096
                ) -> float:
    """Share of training targets, on the network's scale (normalised by their window, less
    the baseline of a skip member with period ``period``), that ``activation`` cannot produce;
    measured on up to ``sample`` windows spread evenly over the data (no RNG drawn)."""
    idx = np.unique(np.linspace(0, len(source) - 1, min(len(source), sample)).astype(np.int64))
    (x, _, _), y = source.batch(idx)  # x [b, look_back, channels], y [b, horizon]
    target = y.numpy()
    if period:
        last = x[:, x.shape[1] - period:, 0].numpy()  # [b, period]
        reps = -(-target.shape[1] // period)
        target = target - np.tile(last, (1, reps))[:, : target.shape[1]]
    return outside_share(activation, target)


def warn_unreachable(activation: str, share: float, normalize: str, period: int) -> None:
    low, high = RANGES[activation]
    scale = f"each window normalised with normalize={normalize!r}" + (
        ", less the skip member's baseline" if period else "")
    warnings.warn(
        f"output_activation={activation!r} produces values in [{low:g}, {high:g}] only, but"
        f" {share:.1%} of the training targets lie outside it ({scale}): the network cannot"
        " forecast them. Scale the series into that range instead (normalize='none' with"
        " transform='minmax:-1:1' for tanh, 'minmax' for sigmoid; skip='none' for targets"
        " that are not corrections), or drop output_activation",
        UserWarning, stacklevel=4)


def warm_start_of(model: Any) -> tuple[list[torch.nn.Module], list[NetworkConfig]] | None:
    """``(networks, configs)`` of ``model``, the fitted forecaster a warm start begins from
    (``None``: a cold start). Only the weights are taken: each member whose network is
    built the same way starts from them and trains on a share of the step budget
    (:func:`warm_trainer`), the others start cold; everything else (transform, scales,
    shapes) is fitted on the new data as in any fit."""
    if model is None:
        return None
    if not (getattr(model, "warm_starts", False) and model._is_fitted()):
        state = " not fitted yet" if getattr(model, "warm_starts", False) else ""
        raise ConfigError(f"start_from must be a fitted recurrent forecaster (LSTM, GRU, ...),"
                          f" got {type(model).__name__}{state}")
    return list(model.nets_), model._configs()


def train_members(model: Any, data: TrainingData, start: Any = None
                  ) -> tuple[list[torch.nn.Module], list[NetworkConfig], pd.DataFrame, int]:
    """Train every member of the recurrent forecaster ``model`` on ``data``: the networks
    (on the CPU), their configs, the training history (a ``member`` column each) and the
    number of training windows of the first look-back (what sized the network).

    ``start``: ``(networks, configs)`` of a fitted forecaster (a warm start): member ``i``
    starts from network ``i``'s weights where the two configs are equal, and trains on
    :func:`warm_trainer`'s smaller budget; the other members start cold."""
    start_nets, start_configs = start if start is not None else ([], [])
    quantiles = quantiles_for(model.levels) if model.levels else [0.5]
    loss = make_loss("pinball" if model.levels else model.loss, quantiles)
    skips, ensemble, spec = model.members.skips(), model.members.ensemble, data.spec
    # The default skip pair shares the default step budget: same training time as one.
    share = len(skips) if model.members.skip is None and model.trainer.max_steps is None else 1
    several = len(data.shapes) * len(skips) * ensemble > 1  # checkpoint subfolders
    nets: list[torch.nn.Module] = []
    configs: list[NetworkConfig] = []
    histories = []
    counts = []
    activation, warned = model.network.output_activation, False
    for _, lb, patch, _ in data.shapes:
        source, val_source, n_windows = member_sources(data, lb, model.window.normalize)
        counts.append(n_windows)
        cfg = member_trainer(model.trainer, n_windows, share)
        hidden, layers, head_hidden, head_layers = capacity(model, n_windows)
        for skip in skips:
            net_cfg = NetworkConfig(
                kind=model.network.cell, input_size=1 + len(spec.history), look_back=lb,
                horizon=data.horizon, future_size=len(spec.future),
                static_size=len(spec.static), hidden_size=hidden, num_layers=layers,
                dropout=model.network.dropout, n_outputs=len(quantiles), patch_size=patch,
                head_hidden=head_hidden, head_layers=head_layers,
                skip_period=skip_period(model.window.season_length, lb, skip),
                head_activation=model.network.head_activation, output_activation=activation,
            )
            check_network(net_cfg, cfg.batch_size or 256)
            if activation is not None and not warned:
                outside = unreachable(activation, source, net_cfg.skip_period)
                if outside > 0.0:
                    warn_unreachable(activation, outside, model.window.normalize,
                                     net_cfg.skip_period)
                    warned = True
            for _ in range(ensemble):
                i = len(nets)  # member i trains with seed + i
                member_cfg = dataclasses.replace(cfg, seed=cfg.seed + i)
                if cfg.checkpoint_dir and several:
                    member_cfg.checkpoint_dir = f"{cfg.checkpoint_dir}/member{i}"
                torch.manual_seed(member_cfg.seed)
                net = build_network(net_cfg)
                if i < len(start_nets) and start_configs[i] == net_cfg:
                    net.load_state_dict(start_nets[i].state_dict())
                    member_cfg = warm_trainer(member_cfg)
                result = train_rank(net, loss, source, member_cfg, val_source)
                nets.append(net.cpu())
                configs.append(net_cfg)
                histories.append(result.history.assign(member=i))
    return nets, configs, pd.concat(histories, ignore_index=True), counts[0]
