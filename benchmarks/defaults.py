"""Does the default LSTM beat seasonal naive on every kind of bundled data?

    .venv/bin/python benchmarks/defaults.py [--datasets airline,sales] [--windows 3]
        [--seed 0] [--param hidden_size=64 ...]

For each bundled dataset: a rolling-origin backtest of the default ``lstm`` (nothing set
but horizon and season length, as ``gatecast forecast --model lstm`` runs it) against
naive, seasonal naive and AutoARIMA; prints MASE and seconds, and the LSTM's MASE
relative to seasonal naive (< 1 means the LSTM wins).
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import sys

from rich.console import Console
from rich.table import Table

from _m4 import machine
from gatecast import datasets
from gatecast.evaluation.compare import compare
from gatecast.models.registry import make_model
from gatecast.training.config import TrainerConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="sales,airline,sunspots,stock,sine")
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="the LSTM's training seed")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override an LSTM parameter (Python literal), repeatable")
    args = parser.parse_args(argv)
    overrides = {k: ast.literal_eval(v) for k, v in (p.split("=", 1) for p in args.param)}
    table = Table(title=f"default lstm vs baselines ({dt.date.today()}, {machine()})")
    for col in ("dataset", "points", "h", "m", "model", "MASE", "sMAPE", "fit s",
                "MASE / snaive"):
        table.add_column(col, justify="left" if col in ("dataset", "model") else "right")
    for name in args.datasets.split(","):
        info = datasets.info(name)
        df = datasets.load(name)
        m, h = info.season_length, info.horizon
        models = [make_model("lstm", season_length=m, horizon=h,
                             trainer=TrainerConfig(seed=args.seed), **overrides),
                  make_model("autoarima", season_length=m, horizon=h)]
        need = max(mdl.min_length() for mdl in models)
        windows = max(1, min(args.windows, (len(df) - need - h) // h + 1))
        board, _ = compare(models, df, h, n_windows=windows, season_length=m,
                           metrics=("mase", "smape"))
        ref = board.loc["snaive", "mase"] if "snaive" in board.index else board.loc[
            "naive", "mase"]
        for model, row in board.iterrows():
            table.add_row(name, str(len(df)), str(h), str(m), str(model), f"{row.mase:.3f}",
                          f"{row.smape:.2f}", f"{row.fit_seconds:.1f}",
                          f"{row.mase / ref:.3f}")
        table.add_section()
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
