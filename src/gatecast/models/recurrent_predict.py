"""Forecasting with the recurrent forecaster's trained members, from an explicit state.

A :class:`ForecastState` holds what a forecast starts from besides the networks: each
series' last window (on the transformed scale), the fitted transform, the covariates' last
windows and the series' ids and last timestamps. ``predict`` forecasts from the state
``fit`` left; ``forward`` builds a fresh one from new data, so it never touches the fitted
model (it is re-entrant and thread-safe).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from gatecast.data.freq import Freq
from gatecast.errors import ConfigError
from gatecast.models.recurrent_covariates import FittedCovariates, future_block
from gatecast.models.recurrent_data import window_stats
from gatecast.models.recurrent_pretrained import PretrainedPart
from gatecast.nn import NetworkConfig


@dataclass(frozen=True)
class ForecastState:
    """Where every series' forecast starts (``tails``: ``[n_series, longest look_back]``,
    transformed scale; a member reads its last ``look_back`` columns)."""

    tails: np.ndarray
    pipeline: Any  # the fitted per-series transform, or None
    covariates: FittedCovariates | None
    series: np.ndarray
    last_ds: np.ndarray
    freq: Freq
    pretrained: PretrainedPart | None = None  # the pretrained forecast's contexts, if added


def future_values(state: ForecastState, horizon: int, h: int, future: Any, name: str
                  ) -> np.ndarray | None:
    """Scaled known-future covariates ``[n_series, passes * horizon, F]`` for every pass of
    :func:`forecast`, after checking that ``h`` steps can be forecast with the covariates
    the model has (``horizon``: steps per pass)."""
    covs = state.covariates
    if covs is None:
        return None
    if covs.n_past and h > horizon:
        raise ConfigError(
            f"{name} uses past-only covariates {list(covs.spec.past)}, whose values"
            f" after the forecast origin are unknown, so it forecasts at most {horizon}"
            f" step(s); ask for h <= {horizon} or create it with horizon={h}")
    if not covs.spec.future:
        return None
    steps = math.ceil(h / horizon) * horizon
    raw = future_block(future, state.series, state.last_ds, state.freq, covs.spec.future,
                       steps)  # [n, steps, F]
    scaler = covs.history_scaler
    return (raw - scaler.loc[covs.n_past:]) / scaler.scale[covs.n_past:]


@torch.no_grad()
def forecast(nets: list[torch.nn.Module], configs: list[NetworkConfig], state: ForecastState,
             h: int, normalize: str, quantiles: list[float], block: int,
             future: np.ndarray | None = None) -> np.ndarray:
    """Median-combined forecasts on the original scale: ``[n_series, h, n_quantiles]``.

    Series go through the networks ``block`` at a time: memory stays bounded for any number
    of series, and a block's result does not depend on how the series are partitioned
    across workers (the engines cut partitions at whole blocks).
    """
    n = state.tails.shape[0]
    members = []
    for net, cfg in zip(nets, configs, strict=True):
        net.eval()
        parts = [forecast_block(net, cfg, state, h, slice(i, min(i + block, n)), normalize,
                                quantiles, future)
                 for i in range(0, n, block)]
        members.append(np.concatenate(parts, axis=0))
    pred = np.median(np.stack(members), axis=0) if len(members) > 1 else members[0]
    pred = np.sort(pred, axis=-1)  # quantiles must not cross
    if state.pipeline is not None:
        pred = state.pipeline.inverse_forecast(pred)
    return pred


@torch.no_grad()
def forecast_block(net: torch.nn.Module, cfg: NetworkConfig, state: ForecastState, h: int,
                   rows: slice, normalize: str, quantiles: list[float],
                   future: np.ndarray | None = None) -> np.ndarray:
    """One member's forecasts for the series ``rows``, on the transformed scale:
    ``[n_rows, h, n_quantiles]`` (passes of ``cfg.horizon`` steps, each fed back)."""
    covs = state.covariates
    lb = cfg.look_back  # the tails are as long as the longest member's
    window = state.tails[rows, -lb:].copy()  # [n, look_back]
    n = window.shape[0]
    static = torch.zeros((n, 0)) if covs is None else torch.from_numpy(
        covs.static[rows].astype(np.float32))
    cov_window = None if covs is None else covs.tails[rows, -lb:].copy()  # [n, lb, P+F]
    parts = []
    done = 0
    while done < h:
        loc, scale = window_stats(window, normalize)
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
        median = out[:, :, quantiles.index(0.5)]
        window = np.concatenate([window, median], axis=1)[:, -cfg.look_back:]
        if cov_window is not None and cov_window.shape[2] and done < h:
            # Only known-future covariates can be extended (checked in predict).
            cov_window = np.concatenate([cov_window, block], axis=1)[:, -cfg.look_back:]
    return np.concatenate(parts, axis=1)[:, :h]
