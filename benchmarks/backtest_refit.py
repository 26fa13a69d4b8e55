"""Refit interval and warm starts in a long backtest of one series: time against accuracy.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/backtest_refit.py   # ~15 minutes on 2 cores
    .venv/bin/python benchmarks/backtest_refit.py --series stock --shares 0.25 --seeds 0,1

The case of issue 19 (item 7): ``gatecast compare goog.csv --models lstm,naive --h 1
--windows 20`` on a ~1,000-point stock series, i.e. ``compare(["lstm", "naive"], data,
h=1, n_windows=20)``: 20 one-step folds whose cutoffs move one day at a time. Data: the
last ``--points`` points of the bundled ``msft`` (Microsoft daily closes) and ``stock``
(a seeded geometric random walk) datasets, each backtested on its own, as the CLI would.

Settings, each a full ``compare`` run with the defaults (season length 5 from the
business-day frequency, the LSTM's automatic step budget):

* **cold, every fold** (``refit=1, warm_start=False``, the default before warm starts): 20
  LSTM fits from scratch;
* **warm x<share>, every fold** (``refit=1, warm_start=True``): the first fit cold, each of
  the 19 others from the previous fold's weights with ``<share>`` of the step budget (the
  share is ``gatecast.models.recurrent_defaults.WARM_SHARE``, set here per row);
* **every 5 folds** (``refit=5``, cold): 4 fits, the folds between forecast from their new
  history with the last fit's weights (``forward``);
* **once** (``refit=0``): 1 fit, 19 forwards.

Columns: LSTM fits, the LSTM's fit and predict seconds summed over folds (the backtest's
own timings), the whole run's wall seconds and CPU seconds (``time.process_time``: on a
machine shared with other jobs the wall clock measures the neighbours as much as the run;
with ``OMP_NUM_THREADS=1`` the CPU seconds are the work done), and the LSTM's and the
naive forecast's MASE (season 5 scale, the run's) and sMAPE, averaged over the folds and
the ``--seeds``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time

import pandas as pd
from rich.console import Console
from rich.table import Table

import gatecast.datasets as datasets
import gatecast.models.recurrent_defaults as recurrent_defaults
from gatecast.data.season import resolve_season_length
from gatecast.data.validate import validate
from gatecast.evaluation.compare import compare
from gatecast.models.registry import make_model


def settings(shares: list[float]) -> list[tuple[str, dict, float | None]]:
    """(label, compare keywords, warm share) of every row."""
    cold = {"refit": 1, "warm_start": False}
    rows: list[tuple[str, dict, float | None]] = [("cold, every fold", cold, None)]
    rows += [(f"warm x{share:g}, every fold", {"refit": 1, "warm_start": True}, share)
             for share in shares]
    rows += [("every 5 folds", {"refit": 5, "warm_start": False}, None),
             ("once", {"refit": 0}, None)]
    return rows


def run_one(series: str, points: int, windows: int, seed: int, kwargs: dict,
            share: float | None) -> dict:
    sf = validate(datasets.load(series).tail(points))
    default_share = recurrent_defaults.WARM_SHARE
    if share is not None:
        recurrent_defaults.WARM_SHARE = share  # read by warm_budget at each warm fit
    try:
        # as the CLI builds it: the run's season length and horizon, --seed
        lstm = make_model("lstm", season_length=resolve_season_length(None, sf.freq),
                          horizon=1, seed=seed)
        start, cpu = time.perf_counter(), time.process_time()
        board, result = compare([lstm, "naive"], sf, h=1, n_windows=windows,
                                diagnose=False, **kwargs)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        recurrent_defaults.WARM_SHARE = default_share
    fits = len(result.choices.get("lstm", []))
    return {"fits": fits, "fit_s": board.loc["lstm", "fit_seconds"],
            "predict_s": board.loc["lstm", "predict_seconds"], "wall_s": wall, "cpu_s": cpu,
            "mase": board.loc["lstm", "mase"], "smape": board.loc["lstm", "smape"],
            "naive_mase": board.loc["naive", "mase"], "naive_smape": board.loc["naive", "smape"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", default="msft,stock")
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--windows", type=int, default=20)
    parser.add_argument("--shares", default="0.1,0.25,0.5", help="warm step-budget shares")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--csv", help="also write the rows here")
    args = parser.parse_args()
    shares = [float(s) for s in args.shares.split(",") if s]
    seeds = [int(s) for s in args.seeds.split(",") if s]
    console = Console(width=130)
    console.print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, {platform.machine()},"
                  f" {platform.python_version()}; {args.points} points, h=1,"
                  f" {args.windows} windows, seeds {seeds}")
    rows = []
    for series in args.series.split(","):
        for label, kwargs, share in settings(shares):
            for seed in seeds:
                out = run_one(series, args.points, args.windows, seed, kwargs, share)
                rows.append({"series": series, "setting": label, "seed": seed, **out})
                console.print(f"  {series} {label} seed {seed}: {out}", style="dim")
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    mean = frame.groupby(["series", "setting"], sort=False).mean(numeric_only=True)
    table = Table(title="LSTM backtest of one series: refit interval and warm starts")
    for col in ("series", "setting", "fits", "fit s", "pred s", "wall s", "CPU s", "MASE",
                "sMAPE", "naive MASE", "naive sMAPE"):
        table.add_column(col, justify="left" if col in ("series", "setting") else "right")
    for (series, label), r in mean.iterrows():
        table.add_row(series, label, f"{r.fits:.0f}", f"{r.fit_s:.1f}", f"{r.predict_s:.1f}",
                      f"{r.wall_s:.1f}", f"{r.cpu_s:.1f}", f"{r.mase:.3f}", f"{r.smape:.3f}",
                      f"{r.naive_mase:.3f}", f"{r.naive_smape:.3f}")
    console.print(table)


if __name__ == "__main__":
    main()
