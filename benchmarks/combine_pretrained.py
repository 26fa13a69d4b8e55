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
them, or for the LSTM there, is left out and named). The decision and its table:
``docs/decisions.md``, "The short-data default".
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np
import torch

import defaults
from _quick_pretrained import SPLITS, split_folds
from gatecast.errors import GatecastError
from gatecast.evaluation.compare import compare, leaderboard
from gatecast.models.pretrained import Pretrained
from gatecast.models.recurrent import LSTM

SHARES = (0.33, 0.5, 0.6, 0.67, 0.75, 0.8, 0.9)
RULES = ("pre", "lstm", "med3", *(f"w{x}" for x in SHARES))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="pretrained weights (default: shipped)")
    parser.add_argument("--split", choices=SPLITS, default="test")
    parser.add_argument("--lstm-skip", default=None, choices=("none", "naive", "seasonal"),
                        help="the LSTM's members: this skip kind alone (default: the"
                        " default's plain and seasonal-skip pair)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    names = [n for g in ("small", "heldout") for n in defaults.GROUPS[g]]
    rows = {}
    for name in names:
        df, m, h, want, step = defaults.load(name)[:5]
        df, n, windows = split_folds(df, h, want, step, args.split)
        start = time.perf_counter()
        models = [Pretrained(season_length=m, weights=args.weights, alias="pre"),
                  LSTM(season_length=m, horizon=h, pretrained="off", skip=args.lstm_skip,
                       alias="lstm")]
        try:
            _, res = compare(models, df, h, n_windows=windows, step=step, season_length=m,
                             metrics=("mase",), diagnose=False)
        except GatecastError as exc:
            print(f"{name} left out: {n} points before the {args.split} folds ({exc})")
            continue
        fc = res.forecasts
        fc["med3"] = np.median(np.stack([fc["pre"], fc["lstm"], fc["snaive"]]), 0)
        for x in SHARES:
            fc[f"w{x}"] = x * fc["pre"] + (1 - x) * fc["lstm"]
        board = leaderboard(dataclasses.replace(res, models=[*res.models, *RULES[2:]]),
                            ["mase"])
        ref = board.loc["snaive", "mase"]
        rows[name] = {k: board.loc[k, "mase"] / ref for k in RULES}
        print(name, " ".join(f"{k} {v:.3f}" for k, v in rows[name].items()),
              f"{time.perf_counter() - start:.0f}s", flush=True)
    for k in RULES:
        v = np.array([r[k] for r in rows.values()])
        print(f"{k:6s} geometric mean {np.exp(np.log(v).mean()):.3f}, beats snaive on"
              f" {(v < 1).sum()} of {len(v)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
