"""M4 Hourly (414 series, h=48, m=24): gatecast's models beside the published M4 table.

    .venv/bin/python benchmarks/m4_hourly.py                 # every classical model
    .venv/bin/python benchmarks/m4_hourly.py --models naive,snaive,naive2 --series 50
    .venv/bin/python benchmarks/m4_hourly.py --models pretrained     # zero-shot
    .venv/bin/python benchmarks/m4_hourly.py --models pretrained --param finetune=200

Prints sMAPE / MASE / OWA and fit+predict seconds, then the published scores around
them, and updates ``benchmarks/results/m4_hourly.csv``: the models run replace their own
earlier rows (same model and number of series), the other models' rows stay.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import pandas as pd
from rich.console import Console
from rich.table import Table

from _m4 import (
    H,
    M,
    Timer,
    add_common_args,
    load_hourly,
    machine,
    merge_rows,
    published,
    score,
)
from gatecast.cli.common import parse_params
from gatecast.data.validate import validate
from gatecast.errors import GatecastError
from gatecast.models.registry import accepts, make_model, model_class
from gatecast.training.config import TrainerConfig

DEFAULT = "naive,snaive,naive2,drift,theta,ets,autoarima"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=DEFAULT)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--param", action="append", default=[],
                        help="extra model parameter NAME=VALUE (Python literal), repeatable")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="recurrent models: train with TrainerConfig(batch_size=N)")
    add_common_args(parser)
    args = parser.parse_args(argv)
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    try:  # a model this checkout lacks (pretrained before it is merged): one line, exit 2
        for name in names:
            model_class(name)
    except (GatecastError, ImportError) as exc:
        print(f"m4_hourly: model not available: {exc}", file=sys.stderr)
        return 2

    train, test = load_hourly(args.series)
    sf = validate(train, freq=1)
    rows = []
    console = Console()
    for name in names:
        extra = parse_params(args.param)
        extra = {k: v for k, v in extra.items() if accepts(model_class(name), k)}
        if args.batch_size and accepts(model_class(name), "trainer"):
            extra["trainer"] = TrainerConfig(batch_size=args.batch_size)
        model = make_model(name, season_length=M, horizon=H, n_jobs=args.n_jobs, **extra)
        with Timer() as t:
            fc = model.fit(sf).predict(H)
        s, m, o = score(train, test, fc, model.name)
        label = name + "".join(f" {p}" for p in args.param) + (
            f" batch {args.batch_size}" if args.batch_size and "trainer" in extra else "")
        rows.append({"model": label, "sMAPE": s, "MASE": m, "OWA": o, "seconds": t.seconds})
        console.print(f"{label:12s} sMAPE {s:7.3f}  MASE {m:6.3f}  OWA {o:6.3f}  {t.seconds:8.1f}s")

    ours = pd.DataFrame(rows)
    stamp = dt.date.today().isoformat()
    merge_rows(args.out / "m4_hourly.csv",
               ours.assign(date=stamp, machine=machine(), series=sf.n_series), ["model", "series"])

    table = Table(title=f"M4 Hourly, {sf.n_series} series, h={H}, m={M} ({stamp}, {machine()})")
    for col in ("method", "sMAPE", "MASE", "OWA", "fit+predict s"):
        table.add_column(col, justify="left" if col == "method" else "right")
    pub = published()
    merged = [(f"gatecast {r.model}", r.sMAPE, r.MASE, r.OWA, f"{r.seconds:.1f}")
              for r in ours.itertuples()]
    merged += [(f"M4 {r.label}", r.sMAPE, r.MASE, r.OWA, "") for r in pub.itertuples()]
    for label, s, m, o, secs in sorted(merged, key=lambda r: r[3]):
        style = "bold green" if label.startswith("gatecast") else None
        table.add_row(label, f"{s:.3f}", f"{m:.3f}", f"{o:.3f}", secs, style=style)
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
