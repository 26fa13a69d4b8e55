"""Forecasting with a pretrained network: numpy contexts in, quantile forecasts out.

Series are sorted by length and forecast in blocks (little padding, bounded memory).
Forecasts longer than the network's horizon ``H`` are rolled out in blocks of ``H``: the
median of one block is appended to the context of the next. Quantiles past the first block
are the network's quantiles given that median path, so they understate the uncertainty of
a long rollout; :data:`MAX_ROLLOUT` bounds how far a rollout goes.

:func:`forecast` adds the log average: a series whose context is positive is forecast twice,
on its values and on their logarithms, and the two quantile forecasts (the second mapped back
by ``exp``) are averaged level by level. The network normalises each context by its mean and
spread, which treats a multiplicative season or trend as additive; the log view sees it as
additive, and the average of the two views forecasts positive series better than either
(``docs/pretrained.md``, "The log average"). The seasonal view then averages a seasonal
series' forecast with that of its seasonally adjusted context, the season put back
(:mod:`gatecast.pretrained.views`; ``docs/pretrained.md``, "The seasonal view").
"""

from __future__ import annotations

import numpy as np
import torch

from gatecast.errors import ConfigError
from gatecast.pretrained.network import Net
from gatecast.pretrained.views import RECENT_SEASONS, season_of

#: Series per forward pass.
BLOCK = 512
#: At most this many network horizons per forecast (64 x 16 = 1,024 steps by default).
MAX_ROLLOUT = 16


def max_horizon(net: Net) -> int:
    return net.cfg.horizon * MAX_ROLLOUT


@torch.no_grad()
def _one_pass(net: Net, contexts: list[np.ndarray], seasons: np.ndarray
              ) -> np.ndarray:
    """Quantiles of the next ``H`` steps for same-block contexts: ``[n, H, Q]``."""
    width = max(len(c) for c in contexts)
    y = np.zeros((len(contexts), width), np.float32)
    mask = np.zeros((len(contexts), width), np.float32)
    for row, c in enumerate(contexts):
        y[row, width - len(c):] = c
        mask[row, width - len(c):] = 1.0
    pred, loc, scale = net(torch.from_numpy(y), torch.from_numpy(mask),
                           torch.from_numpy(seasons.astype(np.int64)))
    out = pred * scale[:, None, None] + loc[:, None, None]  # [n, H, Q]
    return out.double().numpy()


def forecast_quantiles(net: Net, series: list[np.ndarray], seasons: np.ndarray,
                       h: int, context: int | None = None) -> np.ndarray:
    """Quantile forecasts ``[n_series, h, Q]`` (``net.cfg.quantiles``) after each series.

    ``context``: at most this many last points are read (default: the network's
    ``max_context``).
    """
    if h > max_horizon(net):
        raise ConfigError(f"the pretrained model forecasts at most {max_horizon(net)} steps"
                          f" ({MAX_ROLLOUT} blocks of {net.cfg.horizon}); got h={h}")
    net.eval()
    width = min(context or net.cfg.max_context, net.cfg.max_context)
    big = net.cfg.horizon
    out = np.empty((len(series), h, len(net.cfg.quantiles)))
    order = np.argsort([len(s) for s in series], kind="stable")
    median = net.cfg.quantiles.index(0.5)
    for start in range(0, len(order), BLOCK):
        rows = order[start:start + BLOCK]
        hist = [np.asarray(series[r], dtype=np.float64) for r in rows]
        done = 0
        while done < h:
            ctx = [x[-width:].astype(np.float32) for x in hist]
            q = _one_pass(net, ctx, seasons[rows])  # [b, H, Q]
            take = min(big, h - done)
            out[rows, done:done + take] = q[:, :take]
            hist = [np.concatenate([x, q[k, :, median]]) for k, x in enumerate(hist)]
            done += take
    return out


def _positive(series: list[np.ndarray], width: int) -> list[int]:
    return [row for row, x in enumerate(series)
            if len(x) and bool(np.all(np.asarray(x[-width:], dtype=np.float64) > 0))]


def _value_views(net: Net, series: list[np.ndarray], seasons: np.ndarray, h: int,
                 context: int | None, log_average: bool) -> np.ndarray:
    """The network's forecast of ``series`` as they are, averaged with the log view's where
    ``log_average`` and the read context is positive."""
    q = forecast_quantiles(net, series, seasons, h, context)
    width = min(context or net.cfg.max_context, net.cfg.max_context)
    rows = _positive(series, width) if log_average else []
    if not rows:
        return q
    logs = [np.log(np.asarray(series[r], dtype=np.float64)[-width:]) for r in rows]
    lq = forecast_quantiles(net, logs, seasons[rows], h, context)
    with np.errstate(over="ignore"):
        back = np.exp(lq)
    for k, r in enumerate(rows):
        if np.all(np.isfinite(back[k])):
            q[r] = 0.5 * (q[r] + back[k])
    return q


def forecast(net: Net, series: list[np.ndarray], seasons: np.ndarray, h: int,
             context: int | None = None, log_average: bool = True,
             seasonal_view: bool = True, season_window: int | None = RECENT_SEASONS
             ) -> np.ndarray:
    """Quantile forecasts ``[n_series, h, Q]``; with ``log_average``, series whose read
    context is positive average their forecast with the one made on their logarithms; with
    ``seasonal_view``, seasonal series (``m`` > 1, at least three seasons read) average that
    with the forecast of their seasonally adjusted context (:mod:`.views`, the indices from
    the last ``season_window`` seasons read, ``None``: all; the network reads it as
    non-seasonal) with the season put back.

    A series whose log forecast does not map back to finite values (an exponential blow-up
    of a long rollout) keeps its plain forecast; likewise for the seasonal view.
    """
    q = _value_views(net, series, seasons, h, context, log_average)
    if not seasonal_view:
        return q
    width = min(context or net.cfg.max_context, net.cfg.max_context)
    rows, adjusted, found = [], [], []
    for r, x in enumerate(series):
        tail = np.asarray(x, dtype=np.float64)[-width:]
        season = season_of(tail, int(seasons[r]), season_window)
        if season is not None:
            rows.append(r)
            adjusted.append(season.remove(tail))
            found.append(season)
    if not rows:
        return q
    aq = _value_views(net, adjusted, np.ones(len(rows), dtype=np.int64), h, context,
                      log_average)
    for k, r in enumerate(rows):
        back = found[k].restore(aq[k])
        if np.all(np.isfinite(back)):
            q[r] = 0.5 * (q[r] + back)
    return q


def level_quantiles(levels: list[float], quantiles: tuple[float, ...]) -> None:
    """ConfigError unless every interval level lies within the trained quantiles."""
    widest = 100.0 * (1.0 - 2.0 * quantiles[0])
    bad = [lv for lv in levels if lv > widest + 1e-9]
    if bad:
        raise ConfigError(f"interval level(s) {bad} are wider than the pretrained model's"
                          f" quantiles cover ({quantiles[0]} to {quantiles[-1]}): use levels"
                          f" up to {widest:g}")


def interpolate(q: np.ndarray, quantiles: tuple[float, ...], p: float) -> np.ndarray:
    """The ``p`` quantile from the forecast quantiles ``q [..., Q]`` by linear
    interpolation in probability."""
    grid = np.asarray(quantiles)
    k = int(np.clip(np.searchsorted(grid, p), 1, len(grid) - 1))
    w = (p - grid[k - 1]) / (grid[k] - grid[k - 1])
    return q[..., k - 1] * (1 - w) + q[..., k] * w
