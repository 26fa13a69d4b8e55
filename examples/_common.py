"""Shared plumbing of the example scripts: options, one-step evaluation, the result table."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SMALL_ENV = "GATECAST_EXAMPLES_SMALL"


def parse_args(name: str, description: str,
               add_options: Callable[[argparse.ArgumentParser], None] | None = None
               ) -> argparse.Namespace:
    """``--small`` (or GATECAST_EXAMPLES_SMALL=1) for a reduced run; ``--output DIR``;
    ``add_options(parser)`` adds a script's own options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--small", action="store_true",
                        help=f"a reduced run in seconds (also: {SMALL_ENV}=1)")
    parser.add_argument("--output", default=f"examples-output/{name}",
                        help="folder for the figures")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    if add_options is not None:
        add_options(parser)
    args = parser.parse_args()
    args.small = args.small or os.environ.get(SMALL_ENV, "") not in ("", "0")
    args.output = Path(args.output)
    args.output.mkdir(parents=True, exist_ok=True)
    import torch

    torch.set_num_threads(args.threads)
    return args


def one_step(model: Any, data: Any, n_last: int) -> np.ndarray:
    """One-step forecasts of the last ``n_last`` points, each from the history before it,
    with the model's parameters as fitted (see ``gatecast.report.one_step_predictions``)."""
    from gatecast.report import one_step_predictions

    out = one_step_predictions(model, data, n_last)
    return out[model.name].to_numpy(np.float64)


@dataclass
class Row:
    """One line of the result table."""

    what: str
    values: dict[str, float | str]
    note: str = ""


def print_table(title: str, rows: list[Row], columns: list[str]) -> None:
    """A plain-text table: the tutorial's figures, gatecast's and the baselines'."""
    def cell(v: float | str) -> str:
        if isinstance(v, str):
            return v
        if not np.isfinite(v):
            return "-"
        return f"{v:.2f}" if abs(v) >= 100 else f"{v:.4f}"

    width = max(len(r.what) for r in rows) + 2
    col = max(12, *(len(c) + 2 for c in columns))
    print(f"\n{title}")
    print(f"{'':{width}}" + "".join(f"{c:>{col}}" for c in columns) + "  note")
    for r in rows:
        vals = "".join(f"{cell(r.values.get(c, float('nan'))):>{col}}" for c in columns)
        print(f"{r.what:{width}}{vals}  {r.note}")


def long_frame(ds: Any, values: np.ndarray, name: str, uid: str) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": ds, name: values})
