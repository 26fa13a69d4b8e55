"""Prediction intervals on M4 Hourly (414 series, h=48, m=24): conformal vs quantile vs peers.

    /work/venv-bench/bin/python benchmarks/intervals.py             # every row, ~30 minutes
    /work/venv-bench/bin/python benchmarks/intervals.py --series 20 --steps 30   # smoke test

Runs in a venv with the ``bench`` extra (neuralforecast) beside gatecast; without
neuralforecast the NF row is skipped and said so. Rows, all fitted and scored in one run:

- gatecast ``lstm`` with quantile intervals (``levels=(80, 95)``: trained on the pinball
  loss of the median and the four interval ends), and the same network's intervals
  calibrated conformally (``around="interval"``, ``--windows`` refitted folds);
- gatecast ``lstm`` (defaults, point forecast) with conformal intervals
  (:mod:`gatecast.evaluation.conformal`: ``--windows`` refitted rolling-origin folds of 48
  steps; the fallback for 95%, which needs 19 windows per series, is each of ``pool`` and
  ``max`` from the same calibration, and the last 3 windows of it give the 3-window row);
- gatecast ``snaive`` with its Gaussian intervals and with conformal ones (several
  window counts; cheap, so the number of windows is swept on it);
- StatsForecast ``AutoETS`` and ``AutoARIMA`` (season 24) with their own 80/95% intervals;
  AutoARIMA takes ~20 minutes on all 414 series on 2 cores, so ``--arima-series N`` fits it
  on the first N only, and every row is also scored on those N series (last two columns);
- NeuralForecast ``LSTM`` (its defaults at h=48) trained on ``MQLoss(level=[80, 95])``.

Columns: coverage of the 95% and 80% intervals (share of the 48 test points inside, over
all series), MSIS at 95% (M4's mean scaled interval score: width plus 2/alpha times each
miss, over the in-sample seasonal naive MAE; mean over series), and fit + predict seconds
(conformal rows: calibration included). Writes ``benchmarks/results/intervals.csv``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS

from _m4 import H, M, add_common_args, load_hourly, machine
from gatecast.data.validate import SeriesFrame, validate
from gatecast.evaluation.conformal import (
    ConformalConfig,
    add_bands,
    calibrate,
    conformal_bands,
    margins,
)
from gatecast.metrics import msis
from gatecast.models.registry import make_model

LEVELS = [80.0, 95.0]


def scores(train: pd.DataFrame, test: pd.DataFrame, fc: pd.DataFrame, name: str,
           lo: str = "{name}-lo-{lv}", hi: str = "{name}-hi-{lv}") -> dict[str, np.ndarray]:
    """Per-series coverage at 80 and 95% and MSIS at 95% (arrays over the series)."""
    ids = test["unique_id"].drop_duplicates().to_numpy()
    y = test["y"].to_numpy().reshape(len(ids), H)
    merged = test[["unique_id", "ds"]].merge(fc, on=["unique_id", "ds"], how="left")
    groups = dict(tuple(train.groupby("unique_id", sort=False)["y"]))
    out: dict[str, np.ndarray] = {}
    for lv in (80, 95):
        low = merged[lo.format(name=name, lv=lv)].to_numpy(np.float64).reshape(len(ids), H)
        high = merged[hi.format(name=name, lv=lv)].to_numpy(np.float64).reshape(len(ids), H)
        out[f"cov{lv}"] = ((y >= low) & (y <= high)).mean(axis=1)
        if lv == 95:
            out["msis"] = np.array([msis(y[i], low[i], high[i], groups[s].to_numpy(), M,
                                         alpha=0.05) for i, s in enumerate(ids)])
    return out


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def conformal_rows(model: Any, sf: SeriesFrame, windows: int, label: str,
                   extra: dict[int, str] | None = None, keep: Path | None = None,
                   refit: bool = True) -> list[tuple[str, pd.DataFrame, float]]:
    """(label, forecasts, seconds) for pool and max from one calibration, and for the last
    ``k`` windows of it (``extra``: k -> label) with pool. ``keep``: also save the
    calibration errors and the point forecasts there (``.npz`` + ``.csv``)."""
    config = ConformalConfig(n_windows=windows, refit=refit)
    cal, s_cal = timed(lambda: calibrate(model, sf, H, config))
    if not refit:
        label += " (refit=False)"
    fitted, s_fit = timed(lambda: model.with_horizon(H).fit(sf))
    point = fitted.predict(H)
    if keep is not None:
        np.savez(keep.with_suffix(".npz"), errors=cal.errors, scales=cal.scales, ids=cal.ids)
        point.to_csv(keep.with_suffix(".csv"), index=False)
    rows = []
    for short in ("pool", "max"):
        fc = add_bands(point, margins(cal, LEVELS, short))
        rows.append((f"{label} conformal, {windows} windows, {short}", fc, s_cal + s_fit))
    for k, text in (extra or {}).items():
        text += "" if refit else " (refit=False)"
        sub = type(cal)(cal.name, cal.ids, cal.errors[-k:], cal.scales)
        fc = add_bands(point, margins(sub, LEVELS, "pool"))
        rows.append((text, fc, (s_cal * k / windows) + s_fit))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--windows", type=int, default=5, help="conformal windows (LSTM)")
    parser.add_argument("--steps", type=int, default=None,
                        help="optimiser steps for every neural model (smoke tests only)")
    parser.add_argument("--arima-series", type=int, default=100,
                        help="AutoARIMA on the first N series only (0: skip it)")
    parser.add_argument("--n-jobs", type=int, default=2, help="StatsForecast processes")
    parser.add_argument("--no-refit", action="store_true",
                        help="LSTM conformal: fit once for the calibration windows"
                        " (ConformalConfig(refit=False)) instead of once per window")
    parser.add_argument("--skip", default="", help="comma-separated row groups to skip:"
                        " lstm (all three below), lstm-quantile, lstm-interval, lstm-point"
                        " (conformal around the point), snaive, ets, arima, nf")
    parser.add_argument("--merge", default=None, metavar="CSV,CSV",
                        help="print and write one table from the intervals.csv files of"
                        " row groups run side by side (--skip) instead of running anything")
    args = parser.parse_args(argv)
    if args.merge:
        parts = pd.concat([pd.read_csv(p) for p in args.merge.split(",")], ignore_index=True)
        show(parts, args, dt.datetime.now(), int(parts["series"].max()))
        return 0
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    started = dt.datetime.now()
    train, test = load_hourly(args.series)
    sf = validate(train, freq=1)
    steps = {"max_steps": args.steps} if args.steps else {}
    rows: list[tuple[str, pd.DataFrame, float, str, str]] = []  # label, fc, s, lo, hi fmt
    std = ("{name}-lo-{lv}", "{name}-hi-{lv}")

    def add(label: str, fc: pd.DataFrame, seconds: float, name: str,
            fmt: tuple[str, str] = std) -> None:
        rows.append((label, fc.rename(columns={name: "point"}), seconds,
                     fmt[0].replace("{name}", name), fmt[1].replace("{name}", name)))
        print(f"done: {label} ({seconds:.0f} s)", flush=True)

    if "snaive" not in skip:
        sn = make_model("snaive", season_length=M)
        fc, s = timed(lambda: sn.clone().fit(sf).predict(H, level=LEVELS))
        add("gatecast snaive, Gaussian intervals", fc, s, sn.name)
        for w in (3, 5, 10):
            for label, fc, s in conformal_rows(sn, sf, w, "gatecast snaive"):
                add(label, fc, s, sn.name)
    if "lstm" not in skip:
        if "lstm-quantile" not in skip or "lstm-interval" not in skip:
            q = make_model("lstm", season_length=M, horizon=H, levels=tuple(LEVELS), **steps)
            own, s_own = timed(lambda: q.fit(sf).predict(H, level=LEVELS))
            if "lstm-quantile" not in skip:
                add("gatecast lstm, quantile intervals (levels 80, 95)", own, s_own, q.name)
        if "lstm-interval" not in skip:  # the same network's intervals, calibrated
            config = ConformalConfig(n_windows=args.windows, around="interval")
            bands, s_cal = timed(lambda: conformal_bands(q, sf, H, LEVELS, config))
            add(f"gatecast lstm (levels 80, 95) + conformal around its interval,"
                f" {args.windows} windows, pool", add_bands(own, bands), s_cal + s_own, q.name)
        if "lstm-point" not in skip:
            point = make_model("lstm", season_length=M, horizon=H, **steps)
            extra = {3: "gatecast lstm conformal, last 3 of those windows, pool"}
            args.out.mkdir(parents=True, exist_ok=True)
            for label, fc, s in conformal_rows(point, sf, args.windows, "gatecast lstm",
                                               extra, args.out / "lstm-calibration",
                                               not args.no_refit):
                add(label, fc, s, point.name)
    sf_models = []
    if "ets" not in skip:
        sf_models.append(("AutoETS", None))
    if "arima" not in skip and args.arima_series:
        sf_models.append(("AutoARIMA", args.arima_series))
    for kind, n in sf_models:
        model = (AutoETS if kind == "AutoETS" else AutoARIMA)(season_length=M)
        part = train
        if n is not None:
            keep = train["unique_id"].drop_duplicates().iloc[:n]
            part = train[train["unique_id"].isin(keep)]
        engine = StatsForecast(models=[model], freq=1, n_jobs=args.n_jobs)
        fc, s = timed(lambda e=engine, p=part: e.forecast(df=p, h=H, level=[80, 95]))
        label = f"StatsForecast {kind}" + (f" (first {n} series)" if n else "")
        add(label, fc.reset_index() if "unique_id" not in fc else fc, s, kind)
    if "nf" not in skip:
        try:
            from neuralforecast import NeuralForecast
            from neuralforecast.losses.pytorch import MQLoss
            from neuralforecast.models import LSTM as NFLSTM
        except ImportError:
            print("neuralforecast is not installed: NF row skipped", file=sys.stderr)
        else:
            quiet = {"accelerator": "cpu", "devices": 1, "enable_progress_bar": False,
                     "enable_model_summary": False, "logger": False,
                     "enable_checkpointing": False}
            nf_steps = {"max_steps": args.steps} if args.steps else {}
            model = NFLSTM(h=H, input_size=-1, loss=MQLoss(level=[80, 95]),
                           scaler_type="robust", random_seed=1, alias="NF", **nf_steps,
                           **quiet)
            nf = NeuralForecast(models=[model], freq=1)
            fc, s = timed(lambda: (nf.fit(train[["unique_id", "ds", "y"]], val_size=0),
                                   nf.predict())[1])
            fc = fc.reset_index() if "unique_id" not in fc else fc
            add("NeuralForecast LSTM, MQLoss(80, 95)", fc, s, "NF-median",
                ("NF-lo-{lv}", "NF-hi-{lv}"))

    arima_ids = None
    if args.arima_series:
        arima_ids = set(train["unique_id"].drop_duplicates().iloc[:args.arima_series])
    table = []
    for label, fc, seconds, lo, hi in rows:
        fc = fc.copy()
        fc.columns = [c.replace(lo.replace("{lv}", "80"), "lo-80")
                      .replace(lo.replace("{lv}", "95"), "lo-95")
                      .replace(hi.replace("{lv}", "80"), "hi-80")
                      .replace(hi.replace("{lv}", "95"), "hi-95") for c in fc.columns]
        sub_train, sub_test = train, test
        if "first" in label and arima_ids is not None:
            sub_train = train[train["unique_id"].isin(arima_ids)]
            sub_test = test[test["unique_id"].isin(arima_ids)]
        sc = scores(sub_train, sub_test, fc, "", "lo-{lv}", "hi-{lv}")
        row = {"method": label, "series": len(sc["msis"]), "cov95": sc["cov95"].mean(),
               "msis95": sc["msis"].mean(), "cov80": sc["cov80"].mean(), "seconds": seconds}
        if arima_ids is not None:
            ids = sub_test["unique_id"].drop_duplicates().to_numpy()
            mask = np.isin(ids, list(arima_ids))
            row["cov95_arima_series"] = sc["cov95"][mask].mean()
            row["msis95_arima_series"] = sc["msis"][mask].mean()
        table.append(row)
    show(pd.DataFrame(table), args, started, sf.n_series)
    return 0


def show(out: pd.DataFrame, args: argparse.Namespace, started: dt.datetime, n: int) -> None:
    """Print the table and write it to ``<out>/intervals.csv``."""
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 60)
    print(f"\nM4 Hourly intervals, h={H}, {n} series; {machine()};"
          f" OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')};"
          f" started {started:%Y-%m-%d %H:%M}")
    print(out.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    args.out.mkdir(parents=True, exist_ok=True)
    if "date" not in out:
        out = out.assign(date=started.date().isoformat(), machine=machine())
    out.to_csv(args.out / "intervals.csv", index=False)


if __name__ == "__main__":
    sys.exit(main())
