"""Defaults the recurrent forecasters choose from the data: shapes, training steps, size.

Each is a function of the forecaster's parameters (``None`` means "choose") and of the data
it is fitted on. Why each default is what it is, with the measurements behind it:
``docs/decisions.md``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gatecast.errors import DataError

#: Fewer training windows than this get the smaller default network (see :func:`capacity`).
SMALL_DATA = 20_000
#: The floor and ceiling of the automatic step budget (see :func:`auto_steps`).
MIN_STEPS, MAX_STEPS = 300, 6000
#: A warm start (training from weights fitted on an earlier backtest fold) gets this share
#: of the step budget (see :func:`warm_budget`; measured in ``benchmarks/backtest_refit.py``).
WARM_SHARE = 0.25


def resolve_shapes(model: Any, lengths: np.ndarray, look_back: int | None = None
                   ) -> tuple[int, int, int, int]:
    """(horizon, look_back, patch, val_size) of forecaster ``model`` for series of these
    lengths (after the transform); ``look_back``: the one asked for (``None``: choose).

    The chosen look-back is ``max(3 h, 7 m, 8)`` (a week of hourly data, seven years of
    monthly), cut where a typical series is too short for it: the series must keep at
    least ``m`` training windows, one forecast origin per phase of the season. Without that
    bound a 72-point monthly series would train one network on a single window (look-back
    24 for 36 points and h = 12), which it memorises.
    """
    m = model.season_length
    h_out = model.horizon or (m if m > 1 else 1)
    if model.mode == "recursive":
        h_out = 1
    typical = int(np.median(lengths))
    # Hold out the last horizon of every series for early stopping only when every
    # series keeps at least one training window without it.
    shortest = int(np.min(lengths))
    val = model.val_size if model.val_size is not None else (
        h_out if typical >= 4 * h_out + 8 and shortest >= 2 * h_out + 2 else 0)
    if val and shortest < val + h_out + 1:
        raise DataError(
            f"val_size={val} leaves a series of {shortest} points no training window;"
            " use a smaller val_size (or 0) or drop the short series"
        )
    want = look_back
    if want is None:
        want = max(3 * h_out, 7 * m if m > 1 else 0, 8)
        room = typical - h_out - val  # look-back + window positions: room - lb + 1 windows
        lb = max(min(want, room + 1 - max(m, 1)), 2)
    else:
        lb = want
    patch = model.patch_size
    if patch is None:
        patch = m if (m > 1 and lb >= 4 * m and model.cell not in ("mlp",)) else 1
    # Whole patches: round up what was asked for or wanted, down what the data bounded.
    lb = lb // patch * patch if lb < want and lb >= patch else -(-lb // patch) * patch
    return h_out, int(lb), patch, val


def auto_steps(n_windows: int, batch_size: int, share: int = 1) -> int:
    """Optimiser steps per network from the amount of data: ``190 * sqrt(batches per
    pass)`` between ``MIN_STEPS`` and ``MAX_STEPS``, split ``share`` ways (the networks of
    the default pair share it), each network keeping at least ``MIN_STEPS``.

    Grows with the data but slower than one full pass, so large datasets train in
    minutes: M4 Hourly (~255k windows, ~1,000 batches of 256) gets 6,000 steps, 3,000 for
    each network of the default pair. A single short series gets the floor of 300 steps
    per network.
    """
    batches = n_windows / batch_size
    total = int(np.clip(190 * batches**0.5, MIN_STEPS, MAX_STEPS))
    return max(total // share, MIN_STEPS)


def warm_budget(max_steps: int) -> int:
    """Optimiser steps of a warm start whose cold fit would take ``max_steps``: the network
    starts from weights already fitted to all but the newest points, so a share of the
    budget adapts it (``WARM_SHARE``; ``docs/decisions.md``)."""
    return max(1, math.ceil(WARM_SHARE * max_steps))


def batch_size(n_windows: int) -> int:
    """Windows per batch when the trainer config leaves it ``None``: 256 below
    ``SMALL_DATA`` training windows, 128 from there on (on large data the smaller batch
    reaches about the same accuracy in less time; on small data it does not help).
    """
    return 256 if n_windows < SMALL_DATA else 128


def capacity(model: Any, n_windows: int) -> tuple[Any, int | None, Any, int | None]:
    """(hidden_size, num_layers, head_hidden, head_layers): set ones, else sized to the data
    (a layer count is ``None`` where per-layer widths give it).

    Below ``SMALL_DATA`` training windows (one monthly or yearly series, a daily series
    of a few years) a 1-layer LSTM(64) with a 64-wide head of 2 hidden layers; above, 2
    layers of 128 with a 128-wide head of 1 hidden layer: small data overfits a large
    network. ``benchmarks/defaults.py`` measures the defaults end to end.
    """
    small = n_windows < SMALL_DATA
    # per-layer widths (a tuple) set the layer count themselves: None lets the config take it
    per_layer = isinstance(model.hidden_size, tuple), isinstance(model.head_hidden, tuple)
    return (model.hidden_size or (64 if small else 128),
            model.num_layers or (None if per_layer[0] else 1 if small else 2),
            model.head_hidden or (64 if small else 128),
            model.head_layers if model.head_layers is not None or per_layer[1]
            else (2 if small else 1))


#: The skip kinds trained when ``skip`` is not set: a plain network and one learning the
#: correction to seasonal naive, median-combined, sharing the automatic step budget
#: (:func:`auto_steps`; each keeps at least ``MIN_STEPS``). Their errors differ, so the
#: median of the two beats either alone (``docs/decisions.md``).
DEFAULT_SKIPS = ("none", "seasonal")
