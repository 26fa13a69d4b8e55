"""How should the short-data default combine the LSTM with the pretrained network?

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/combine_pretrained.py [--weights DIR]

On the 23 short datasets of ``defaults.py`` (groups ``small`` and ``heldout``, their folds),
fits the pretrained network alone (``pre``) and the LSTM trained from scratch
(``pretrained="off"``: the default before the combination) once per fold and scores rules
on the same forecasts: ``mean2`` (their average: the default now), ``med3`` (median of the
two and seasonal naive), ``w`` (1/3 pretrained + 2/3 LSTM). Prints MASE relative to
seasonal naive per dataset, then the geometric mean and the datasets beating seasonal
naive. The decision and its table: ``docs/decisions.md``, "The short-data default".
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np
import torch

import defaults
from gatecast.evaluation.compare import compare, leaderboard
from gatecast.models.pretrained import Pretrained
from gatecast.models.recurrent import LSTM

RULES = ("pre", "lstm", "mean2", "med3", "w")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="pretrained weights (default: shipped)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    names = [n for g in ("small", "heldout") for n in defaults.GROUPS[g]]
    rows = {}
    for name in names:
        df, m, h, want, step = defaults.load(name)[:5]
        windows = max(1, min(want, (len(df) - 3 - h) // (step or h) + 1))
        start = time.perf_counter()
        models = [Pretrained(season_length=m, weights=args.weights, alias="pre"),
                  LSTM(season_length=m, horizon=h, pretrained="off", alias="lstm")]
        _, res = compare(models, df, h, n_windows=windows, step=step, season_length=m,
                         metrics=("mase",), diagnose=False)
        fc = res.forecasts
        fc["mean2"] = (fc["pre"] + fc["lstm"]) / 2
        fc["med3"] = np.median(np.stack([fc["pre"], fc["lstm"], fc["snaive"]]), 0)
        fc["w"] = (fc["pre"] + 2 * fc["lstm"]) / 3
        board = leaderboard(dataclasses.replace(res, models=[*res.models, *RULES[2:]]),
                            ["mase"])
        ref = board.loc["snaive", "mase"]
        rows[name] = {k: board.loc[k, "mase"] / ref for k in RULES}
        print(name, " ".join(f"{k} {v:.3f}" for k, v in rows[name].items()),
              f"{time.perf_counter() - start:.0f}s", flush=True)
    for k in RULES:
        v = np.array([rows[n][k] for n in names])
        print(f"{k:6s} geometric mean {np.exp(np.log(v).mean()):.3f}, beats snaive on"
              f" {(v < 1).sum()} of {len(v)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
