"""The recurrent default on short data: its own networks' forecast averaged with the
pretrained network's.

Trained from scratch on a few hundred points, the default LSTM knows only what those points
show; the pretrained network (:mod:`gatecast.pretrained`) has seen 20,000 synthetic series.
On the 23 short monthly/quarterly datasets of ``benchmarks/defaults.py`` the average of the
two forecasts beat either alone (``docs/decisions.md``, "The short-data default"), so a
recurrent forecaster with ``pretrained="auto"`` (the default of ``LSTM``) adds the pretrained
forecast when its data are short (fewer than ``SMALL_DATA`` training windows, or series
whose median length is within the pretrained network's context, however many) and its
network is the default one (an LSTM whose shape the user left to the data), with no
covariates, in direct mode, with interval levels within the pretrained quantiles. ``"on"``
asks for it whatever the network (an error where it cannot apply), ``"off"`` never.

Each quantile the model forecasts is the mean of its own and the pretrained network's
quantile at that level (the pretrained quantiles interpolated), so intervals combine as the
point forecasts do (the pretrained forecast with its log average, as ``Pretrained`` makes it).
Where the series are too short for the LSTM's window to hold one season of a seasonal
series (every member's look-back shorter than the season, so its seasonal skip became a
naive one and it cannot forecast the season), the pretrained forecast takes the whole
weight, and the fit says so in a warning and in ``describe()`` (:func:`share`).
The pretrained network reads the raw (untransformed) last
``max_context`` points of each series; they are kept with the fitted model.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gatecast.errors import ConfigError
from gatecast.models.recurrent_defaults import SMALL_DATA
from gatecast.pretrained.inference import forecast, interpolate, max_horizon
from gatecast.pretrained.network import Net
from gatecast.pretrained.store import cached_weights, shipped_dir, weights_hash
from gatecast.pretrained.views import RECENT_SEASONS

MODES = ("auto", "on", "off")
#: The pretrained forecast's share of the average with the LSTM's (``docs/decisions.md``,
#: "The short-data default": chosen on validation folds).
SHARE = 0.75
_SHIPPED: dict[str, tuple[Net, str]] = {}


def shipped() -> tuple[Net, str]:
    """The shipped pretrained network and the SHA-256 of its weights (loaded once)."""
    if "net" not in _SHIPPED:
        net = cached_weights()
        _SHIPPED["net"] = (net, weights_hash(net.state_dict()))
    return _SHIPPED["net"]


@dataclass(frozen=True)
class PretrainedPart:
    """What a fitted model keeps to add the pretrained forecast: each series' raw last
    points (``contexts``, ``[n_series, width]``, NaN-padded on the left), its season,
    whether the pretrained forecast takes the log average and the seasonal view (with the
    seasons its indices read, ``season_window``; :func:`inference.forecast`) and its
    ``weight`` in the average (:func:`share`)."""

    contexts: np.ndarray
    season_length: int
    sha256: str
    log_average: bool = True
    weight: float = SHARE  # the pretrained forecast's share of the average
    seasonal_view: bool = True
    season_window: int | None = RECENT_SEASONS

    def series(self) -> list[np.ndarray]:
        return [row[~np.isnan(row)] for row in self.contexts]

    def describe(self) -> str:
        if self.weight < 1:
            return (f"averaged with the pretrained network's forecast (short data; its"
                    f" weight {self.weight:g})")
        return "the pretrained network's forecast alone: no look-back holds a season"


def check_mode(mode: object) -> str:
    if mode not in MODES:
        raise ConfigError(f"pretrained must be one of {', '.join(MODES)}; got {mode!r}")
    return str(mode)


def default_network(network: Any) -> bool:
    """The default network: an LSTM whose shape the user left to the data."""
    return network.cell == "lstm" and network.dropout == 0.0 and all(
        getattr(network, name) is None
        for name in ("hidden_size", "num_layers", "patch_size", "head_hidden", "head_layers",
                     "output_activation")) and network.head_activation == "relu"


def short_data(n_windows: int, typical_length: int) -> bool:
    """Short data for the combination: fewer than ``SMALL_DATA`` training windows (one
    series, a few hundred short ones), or series whose median length is within the
    pretrained network's context (thousands of short series: their many windows do not
    make any one series long; ``docs/decisions.md``, "The short-data default")."""
    net, _ = shipped()
    return n_windows < SMALL_DATA or typical_length <= net.cfg.max_context


def applies(mode: str, network: Any, n_windows: int, covariates: bool, recursive: bool,
            levels: tuple[float, ...], typical_length: int | None = None) -> bool:
    """Whether a fit adds the pretrained forecast: ``"auto"`` on short data
    (:func:`short_data`; ``typical_length``: the series' median length, ``None`` when only
    the windows count) for the default network only (a network the user shaped is what
    they asked to see); ``"on"`` that cannot apply is an error."""
    if mode == "off":
        return False
    net, _ = shipped()
    widest = 100.0 * (1.0 - 2.0 * net.cfg.quantiles[0])
    blockers = [why for why, bad in (
        ("covariates", covariates), ("mode='recursive'", recursive),
        (f"interval levels above {widest:g}", any(lv > widest + 1e-9 for lv in levels)),
    ) if bad]
    if mode == "on":
        if blockers:
            raise ConfigError(f"pretrained='on' cannot combine with {', '.join(blockers)};"
                              " use pretrained='off'")
        return True
    long = 1 << 62 if typical_length is None else typical_length
    return not blockers and default_network(network) and short_data(n_windows, long)


def share(season_length: int, look_backs: list[int], name: str) -> float:
    """The pretrained forecast's weight: 1 where no member's look-back holds a season of a
    seasonal series (``docs/decisions.md``, "The short-data default"; a warning names it),
    else :data:`SHARE`."""
    if season_length > 1 and max(look_backs) < season_length:
        warnings.warn(f"{name}: the series are too short for a look-back of one season"
                      f" ({season_length} points; it is {max(look_backs)}), so its forecast"
                      " is the pretrained network's alone; pretrained='off' gives the"
                      " network's own", UserWarning, stacklevel=4)
        return 1.0
    return SHARE


def part_of(values: list[np.ndarray], season_length: int, like: PretrainedPart | None = None,
            weight: float = SHARE) -> PretrainedPart:
    """The contexts of raw series ``values`` for the shipped network; ``like``: a fitted
    part whose settings (log average, seasonal view and its window, weight) the new one
    keeps."""
    if like is not None:
        return replace(part_of(values, like.season_length), log_average=like.log_average,
                       weight=like.weight, seasonal_view=like.seasonal_view,
                       season_window=like.season_window)
    net, digest = shipped()
    width = min(net.cfg.max_context, max(len(v) for v in values))
    contexts = np.full((len(values), width), np.nan)
    for row, v in enumerate(values):
        tail = np.asarray(v, dtype=np.float64)[-width:]
        contexts[row, width - tail.size:] = tail
    return PretrainedPart(contexts, int(season_length), digest, weight=weight)


def fitted_part(model: Any, ga: Any, n_windows: int, season_length: int, configs: list[Any],
                covariates: bool) -> PretrainedPart | None:
    """What recurrent forecaster ``model``, fitted on the raw series ``ga``
    (:class:`~gatecast.data.grouped.GroupedArray`) with members ``configs``, keeps to add
    the pretrained forecast; ``None`` where it does not (:func:`applies`)."""
    if not applies(model.pretrained, model.network, n_windows, covariates,
                   model.window.mode == "recursive", model.levels, int(np.median(ga.lengths))):
        return None
    weight = share(season_length, [c.look_back for c in configs], model.name)
    return part_of([ga[i] for i in range(ga.n_series)], season_length, weight=weight)


def combine(pred: np.ndarray, quantiles: list[float], part: PretrainedPart, h: int
            ) -> np.ndarray:
    """``pred [n_series, h, len(quantiles)]`` averaged level by level with the pretrained
    network's forecast after ``part``'s contexts (its share: ``part.weight``)."""
    net, _ = shipped()
    if h > max_horizon(net):
        raise ConfigError(f"with the pretrained forecast added, the horizon is at most"
                          f" {max_horizon(net)} steps; got h={h} (use pretrained='off')")
    seasons = np.full(len(part.contexts), part.season_length)
    q = forecast(net, part.series(), seasons, h, log_average=part.log_average,
                 seasonal_view=part.seasonal_view,
                 season_window=part.season_window)  # [n, h, Q]
    theirs = np.stack([interpolate(q, net.cfg.quantiles, p) for p in quantiles], -1)
    if part.weight == 0.5:  # files' even average, bit for bit as before weights existed
        return (pred + theirs) / 2.0
    return (1.0 - part.weight) * pred + part.weight * theirs


def check_weights(digest: object) -> None:
    """ConfigError unless ``digest`` is the shipped weights' (a model saved with others)."""
    _, ours = shipped()
    if digest != ours:
        raise ConfigError(f"the model was fitted with pretrained weights {str(digest)[:12]}…,"
                          f" not this gatecast's ({ours[:12]}… in {shipped_dir()}); refit it")
