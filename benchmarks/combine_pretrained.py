"""How should the short-data default combine the LSTM with the pretrained network?

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/combine_pretrained.py [--weights DIR]
        [--split test|validation|validation2] [--lstm-skip seasonal]

On the 23 short datasets of ``defaults.py`` (groups ``small`` and ``heldout``, their folds),
fits the pretrained network alone (``pre``) and the LSTM trained from scratch
(``pretrained="off"``: the default before the combination) once per fold and scores rules
on the same forecasts: ``wX`` (X of the pretrained forecast + 1 - X of the LSTM's; the
default weighs them as ``recurrent_pretrained.SHARE``) and ``med3`` (median of the two and
seasonal naive). Prints MASE relative to seasonal naive per dataset, then the geometric mean
and the datasets beating seasonal naive. ``--split`` scores the test folds or the
validation folds before them (``_quick_pretrained.split_folds``; a dataset too short for
them, or for the LSTM there, is left out and named). ``--bands 80,50`` also scores
``cBwX``: the LSTM's forecast clipped to the pretrained network's central B % interval
before the average; ``--gates 2,3,4`` scores ``gGwS`` (S: ``SHARE``): the pretrained forecast
alone where a fold has fewer than G seasons (G x 4 points when m < 4) + h training points.
The decision and its table: ``docs/decisions.md``, "The short-data default".
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np
import pandas as pd
import torch

import defaults
from _quick_pretrained import SPLITS, split_folds
from gatecast.errors import GatecastError
from gatecast.evaluation.compare import compare, leaderboard
from gatecast.models.pretrained import Pretrained
from gatecast.models.recurrent import LSTM
from gatecast.models.recurrent_pretrained import SHARE

SHARES = (0.33, 0.5, 0.6, 0.67, 0.75, 0.8, 0.9)
RULES = ("pre", "lstm", "med3", *(f"w{x}" for x in SHARES))


def training_points(df: pd.DataFrame, fc: pd.DataFrame) -> np.ndarray:
    """Each forecast row's training points: its series' points up to its fold's cutoff."""
    cut = fc[["unique_id", "cutoff"]].drop_duplicates()
    joined = cut.merge(df[["unique_id", "ds"]], on="unique_id")
    counts = joined[joined["ds"] <= joined["cutoff"]].groupby(["unique_id", "cutoff"]).size()
    return fc.set_index(["unique_id", "cutoff"]).index.map(counts).to_numpy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="pretrained weights (default: shipped)")
    parser.add_argument("--split", choices=SPLITS, default="test")
    parser.add_argument("--lstm-skip", default=None, choices=("none", "naive", "seasonal"),
                        help="the LSTM's members: this skip kind alone (default: the"
                        " default's plain and seasonal-skip pair)")
    parser.add_argument("--bands", default="", help="e.g. 80,50: also clip the LSTM's"
                        " forecast to the pretrained network's central interval")
    parser.add_argument("--gates", default="", help="e.g. 2,3,4: also the pretrained forecast"
                        " alone below G seasons + h training points")
    args = parser.parse_args(argv)
    bands = [int(b) for b in args.bands.split(",") if b]
    gates = [int(g) for g in args.gates.split(",") if g]
    torch.set_num_threads(1)
    names = [n for g in ("small", "heldout") for n in defaults.GROUPS[g]]
    rows: dict[str, dict[str, float]] = {}
    for name in names:
        df, m, h, want, step = defaults.load(name)[:5]
        df, n, windows = split_folds(df, h, want, step, args.split)
        start = time.perf_counter()
        pre = Pretrained(season_length=m, weights=args.weights, alias="pre")
        lstm = LSTM(season_length=m, horizon=h, pretrained="off", skip=args.lstm_skip,
                    alias="lstm")
        try:  # the LSTM is fitted without levels, as the default is: two backtests
            _, res = compare([lstm], df, h, n_windows=windows, step=step, season_length=m,
                             metrics=("mase",), diagnose=False)
            _, theirs = compare([pre], df, h, n_windows=windows, step=step, season_length=m,
                                metrics=("mase",), diagnose=False, baselines=False,
                                level=bands or None)
        except GatecastError as exc:
            print(f"{name} left out: {n} points before the {args.split} folds ({exc})")
            continue
        key = ["unique_id", "ds", "cutoff"]
        fc = res.forecasts.merge(theirs.forecasts.filter(regex="^(unique_id|ds|cutoff|pre)"),
                                 on=key, how="left", validate="one_to_one")
        fc["med3"] = np.median(np.stack([fc["pre"], fc["lstm"], fc["snaive"]]), 0)
        rules = [*RULES]
        for x in SHARES:
            fc[f"w{x}"] = x * fc["pre"] + (1 - x) * fc["lstm"]
        for b in bands:
            clipped = fc["lstm"].clip(fc[f"pre-lo-{b}"], fc[f"pre-hi-{b}"])
            for x in SHARES:
                fc[f"c{b}w{x}"] = x * fc["pre"] + (1 - x) * clipped
                rules.append(f"c{b}w{x}")
        points = training_points(df, fc)
        default = SHARE * fc["pre"] + (1 - SHARE) * fc["lstm"]  # SHARE need not be in SHARES
        for g in gates:
            fc[f"g{g}w{SHARE}"] = np.where(points < g * max(m, 4) + h, fc["pre"], default)
            rules.append(f"g{g}w{SHARE}")
        extra = [k for k in rules if k not in res.models]
        res = dataclasses.replace(res, forecasts=fc, models=[*res.models, *extra])
        board = leaderboard(res, ["mase"])
        ref = board.loc["snaive", "mase"]
        rows[name] = {k: board.loc[k, "mase"] / ref for k in rules}
        print(name, " ".join(f"{k} {v:.3f}" for k, v in rows[name].items()),
              f"{time.perf_counter() - start:.0f}s", flush=True)
    if not rows:
        return 1
    for k in next(iter(rows.values())):
        v = np.array([r[k] for r in rows.values()])
        print(f"{k:9s} geometric mean {np.exp(np.log(v).mean()):.3f}, beats snaive on"
              f" {(v < 1).sum()} of {len(v)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
